"""A test PKI for Content Credentials: a root CA and an end-entity signing certificate,
made with `cryptography`, standing in for OpenAI's C2PA signer.

What a C2PA signer needs (c2pa-rs, checked by the issue author with c2pa-python 0.38): an
X.509 v3 end-entity certificate, EC P-256/384/521 or RSA >= 2048, key usage
digitalSignature, not a CA, with an extended key usage of emailProtection or
documentSigning; no EKU, or serverAuth only, fails at signing. `make_pki(eku=...)` also
makes the unusable kinds, for the tests of what assetgen says about them.

`sign_created` signs an image the way OpenAI's images are (C2PA spec 2.x, "c2pa.created"
with digital source type trainedAlgorithmicMedia, per OpenAI's "C2PA in ChatGPT images"
help article), cached per distinct image so the emulator stays fast.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}


@dataclass(frozen=True)
class TestPKI:
    root_pem: bytes
    chain_pem: bytes  # end-entity first, then the root
    key_pem: bytes
    organisation: str

    def write(self, folder: Path) -> tuple[Path, Path, Path]:
        """cert chain, private key and root as PEM files in ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = (folder / "signer-chain.pem", folder / "signer-key.pem", folder / "root.pem")
        for path, data in zip(paths, (self.chain_pem, self.key_pem, self.root_pem),
                              strict=True):
            path.write_bytes(data)
        return paths


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=ca, crl_sign=ca, encipher_only=False,
                         decipher_only=False)


_make_lock = threading.Lock()


def make_pki(organisation: str = "Test OpenAI", eku: str | None = "email",
             end_entity_is_ca: bool = False) -> TestPKI:
    """One PKI per arguments for the whole session, also when the emulator's threads ask
    for it at once (two roots for one name would make `Trusted` flaky).

    ``eku``: "email" (emailProtection), "server" (serverAuth only: unusable) or None."""
    with _make_lock:
        return _make_pki(organisation, eku, end_entity_is_ca)


@lru_cache(maxsize=8)
def _make_pki(organisation: str, eku: str | None, end_entity_is_ca: bool) -> TestPKI:
    now = datetime.datetime.now(datetime.UTC)
    valid = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=3650))
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{organisation} Test Root", organisation)
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(valid[0]).not_valid_after(valid[1])
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(_name(f"{organisation} Signer",
                                                            organisation))
               .issuer_name(root_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(valid[0]).not_valid_after(valid[1])
               .add_extension(x509.BasicConstraints(ca=end_entity_is_ca, path_length=None),
                              critical=True)
               .add_extension(_key_usage(ca=end_entity_is_ca), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   root_key.public_key()), critical=False))
    if eku is not None:
        usage = {"email": ExtendedKeyUsageOID.EMAIL_PROTECTION,
                 "server": ExtendedKeyUsageOID.SERVER_AUTH}[eku]
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    cert = builder.sign(root_key, hashes.SHA256())
    pem = serialization.Encoding.PEM
    root_pem = root.public_bytes(pem)
    return TestPKI(root_pem=root_pem, chain_pem=cert.public_bytes(pem) + root_pem,
                   key_pem=key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()),
                   organisation=organisation)


_signed: dict[str, bytes] = {}
_signed_lock = threading.Lock()


def sign_created(data: bytes, fmt: str, pki: TestPKI | None = None,
                 generator: str = "Test OpenAI Images") -> bytes:
    """``data`` with a C2PA manifest: c2pa.created, trainedAlgorithmicMedia, no thumbnail.
    The same image signs once (signing ~5-10 ms, an emulator answers many times)."""
    import c2pa

    pki = pki or make_pki()
    key = hashlib.sha256(data + fmt.encode() + pki.chain_pem).hexdigest()
    with _signed_lock:
        if key in _signed:
            return _signed[key]
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", pki.chain_pem, pki.key_pem,
                                                       None))
    manifest = {"claim_generator_info": [{"name": generator, "version": "1.0"}],
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [
                    {"action": "c2pa.created", "digitalSourceType": TRAINED}]}}]}
    builder = c2pa.Builder(manifest, context=context)
    out = io.BytesIO()
    try:
        builder.sign(signer, _MIME[fmt], io.BytesIO(data), out)
    finally:
        signer.close()
    signed = out.getvalue()
    with _signed_lock:
        _signed[key] = signed
    return signed
