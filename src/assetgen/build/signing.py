"""Opt-in C2PA signing of every published file (SPEC 8).

    provenance:
      c2pa: {sign: true, alg: es256, tsa_url: https://..., trust_anchors: certs/roots.pem}

with the certificate chain and private key as PEM files named by `ASSETGEN_C2PA_CERT` and
`ASSETGEN_C2PA_KEY` (paths, never the key itself in the manifest). Each published file
gets its own manifest: the route's original as the `parentOf` ingredient opened by
`c2pa.opened`, then `c2pa.resized` / `c2pa.cropped` / `c2pa.converted` as they happened;
`c2pa.created` with the AI digital source type when the original carries no manifest.
No thumbnails (c2pa-rs's default turned a 480-px webp into 1.1 MB). Signing is the last
thing done to a file; the sidecar's sha256 is of the signed bytes.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetgen import TOOL, __version__
from assetgen.build.store import DerivedFile
from assetgen.errors import ConfigError, ImageError
from assetgen.manifest import SigningSettings as Settings
from assetgen.manifest.c2pa_settings import ALGORITHMS, resolve

__all__ = ["ALGORITHMS", "CERT_ENV", "KEY_ENV", "Kit", "Settings", "load_kit", "resolve"]

if TYPE_CHECKING:
    from assetgen.build.store import Derived

CERT_ENV = "ASSETGEN_C2PA_CERT"
KEY_ENV = "ASSETGEN_C2PA_KEY"
MAX_PEM_BYTES = 256 * 1024
CERT_NEEDS = ("a C2PA signing certificate must be X.509 v3, EC P-256/384/521 or RSA >= 2048 "
              "(or Ed25519), key usage digitalSignature, not a CA, with an extended key usage "
              "of emailProtection or documentSigning; give the chain (end-entity first) in "
              f"{CERT_ENV} and its private key (PKCS#8 PEM) in {KEY_ENV}")
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp",
         "avif": "image/avif"}
_PARENT = "route-original"


@dataclass(frozen=True)
class Kit:
    """The loaded certificate chain and key, checked by signing a probe image once."""

    alg: str
    chain_pem: bytes
    key_pem: bytes = field(repr=False)  # a private key: never in a repr, log or crash file
    tsa_url: str | None

    def signer(self) -> Any:
        import c2pa  # type: ignore[import-untyped]

        alg = self.alg.encode()
        tsa = self.tsa_url.encode() if self.tsa_url else None
        return c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg, self.chain_pem, self.key_pem,
                                                         tsa))


def load_kit(settings: Settings, environ: Any = os.environ) -> Kit:
    """The signing material, or a ConfigError (exit 2) saying what the certificate needs.

    Called before any request: a build must not pay for images it then cannot sign.
    """
    pems = []
    for name in (CERT_ENV, KEY_ENV):
        value = environ.get(name)
        if not value:
            raise ConfigError(f"provenance.c2pa.sign is on but {name} is not set",
                              hint=CERT_NEEDS)
        path = Path(value)
        try:
            if path.stat().st_size > MAX_PEM_BYTES:
                raise ConfigError(f"{name} names a file larger than a PEM chain can be",
                                  hint=CERT_NEEDS)
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{name}: cannot read the file it names ({exc.strerror})",
                              hint=CERT_NEEDS) from exc
        if b"-----BEGIN " not in data:
            raise ConfigError(f"{name} names a file that is not PEM", hint=CERT_NEEDS)
        pems.append(data)
    kit = Kit(settings.alg, pems[0], pems[1], settings.tsa_url)
    try:
        probe(kit)
    except Exception as exc:  # the library's own verdict on the certificate and key
        raise ConfigError(f"the signing certificate in {CERT_ENV} cannot sign C2PA "
                          f"manifests ({_one_line(exc)})", hint=CERT_NEEDS) from exc
    return kit


def probe(kit: Kit) -> bytes:
    """A tiny PNG signed with ``kit``: c2pa-rs checks the chain, key usage and EKU only
    when signing."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b""))
    if kit.tsa_url:  # the probe must not reach the network: no time-stamp for it
        kit = replace(kit, tsa_url=None)
    return _sign(kit, png, "png", [{"action": "c2pa.created",
                             "digitalSourceType": "http://cv.iptc.org/newscodes/"
                             "digitalsourcetype/trainedAlgorithmicMedia"}], None)


def _sign(kit: Kit, data: bytes, fmt: str, actions: list[dict[str, Any]],
          parent: tuple[bytes, str] | None) -> bytes:
    import c2pa

    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    manifest = {"claim_generator_info": [{"name": "assetgen", "version": __version__}],
                "title": TOOL,
                "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}]}
    builder = c2pa.Builder(manifest, context=context)
    signer = kit.signer()
    try:
        if parent is not None:
            parent_data, parent_fmt = parent
            builder.add_ingredient({"title": f"route original.{parent_fmt}",
                                    "relationship": "parentOf", "label": _PARENT},
                                   _MIME.get(parent_fmt, parent_fmt), io.BytesIO(parent_data))
        out = io.BytesIO()
        builder.sign(signer, _MIME[fmt], io.BytesIO(data), out)
    except Exception as exc:  # the library's failure (a time-stamp server down, ...)

        raise ImageError(f"C2PA signing of a {fmt} file failed: {_one_line(exc)}",
                         hint="run `assetgen doctor` to check the signing setup (and "
                         "tsa_url, if set, is reachable)") from exc
    finally:
        signer.close()
        builder.close()
    return out.getvalue()


def actions_for(steps: list[dict[str, Any]], *, master_format: str, fmt: str,
                resized: bool, parent: bool, source_type: str | None) -> list[dict[str, Any]]:
    """The C2PA actions that describe what happened between the original and this file."""
    actions: list[dict[str, Any]] = []
    if parent:
        actions.append({"action": "c2pa.opened", "parameters": {"ingredientIds": [_PARENT]}})
    else:
        actions.append({"action": "c2pa.created", "digitalSourceType": source_type})
    for step in steps:
        if step.get("op") == "fit":
            before, after = step.get("from"), step.get("to")
            if (isinstance(before, list) and isinstance(after, list) and len(before) == 2
                    and len(after) == 2 and before[0] * after[1] != before[1] * after[0]):
                actions.append({"action": "c2pa.cropped"})
            actions.append({"action": "c2pa.resized"})
        elif step.get("op") == "chroma-key":
            actions.append({"action": "c2pa.color_adjustments"})
    if resized and not any(a["action"] == "c2pa.resized" for a in actions):
        actions.append({"action": "c2pa.resized"})
    if fmt != master_format:
        actions.append({"action": "c2pa.converted"})
    return actions


def sign_derived(derived: Derived, master: bytes, master_format: str, kit: Kit, *,
                 parent: bool, source_type: str | None) -> Derived:
    """``derived`` with every file (main and variants) signed; nothing touches them after.

    ``parent``: the original carries a manifest, so it is the `parentOf` ingredient (its
    manifest, and the AI source type it declares, travel in the chain); otherwise each file
    declares `c2pa.created` with ``source_type`` itself.
    """

    ingredient = (master, master_format) if parent else None
    if derived.format not in _MIME:  # gif, tiff, ...: assetgen signs what it marks
        return derived
    main = _sign(kit, derived.data, derived.format, actions_for(
        derived.postprocess, master_format=master_format, fmt=derived.format, resized=False,
        parent=parent, source_type=source_type), ingredient)
    variants = []
    for variant in derived.variants:
        if variant.format not in _MIME:
            variants.append(variant)
            continue
        actions = actions_for(derived.postprocess, master_format=master_format,
                              fmt=variant.format, resized=True, parent=parent,
                              source_type=source_type)
        blob = _sign(kit, variant.data, variant.format, actions, ingredient)
        variants.append(DerivedFile(variant.rel, blob, variant.width, variant.height,
                                    variant.format, variant.embedded,
                                    variant.digital_source_type))
    step = {"op": "c2pa-sign", "alg": kit.alg, "parent": "route original" if parent else None}
    return replace(derived, data=main, variants=tuple(variants),
                   postprocess=[*derived.postprocess, {k: v for k, v in step.items()
                                                       if v is not None}])


def _one_line(exc: BaseException) -> str:
    return (" ".join(str(exc).split()) or type(exc).__name__)[:300]
