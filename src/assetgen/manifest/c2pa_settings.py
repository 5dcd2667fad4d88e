"""`provenance.c2pa` of the manifest (SPEC 8): the signing settings, checked at load.

The signing itself (certificates, c2pa-python) lives in `assetgen.build.signing`; the manifest
only needs to know what was asked for (`model.SigningSettings`), without loading either.
"""

from __future__ import annotations

from typing import Any

from assetgen.core.fsutil import escapes
from assetgen.manifest.checks import LoadContext
from assetgen.manifest.model import SigningSettings
from assetgen.manifest.nodes import line_of

ALGORITHMS = ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519")


def resolve(context: LoadContext, data: Any) -> SigningSettings | None:
    """`provenance:` of a manifest mapping, checked; problems go to ``context``."""
    provenance = data.get("provenance")
    if provenance is None:
        return None
    line = line_of(data, "provenance")
    if not isinstance(provenance, dict) or set(provenance) - {"c2pa"}:
        context.problem(line, "provenance must be a mapping with one key, `c2pa`",
                       "e.g. provenance: {c2pa: {sign: true}}")
        return None
    c2pa = provenance.get("c2pa") or {}
    unknown = set(c2pa) - {"sign", "alg", "tsa_url", "trust_anchors"} if isinstance(
        c2pa, dict) else {"?"}
    if unknown:
        context.problem(line_of(provenance, "c2pa", line), "provenance.c2pa takes sign, alg, "
                       f"tsa_url and trust_anchors (not {', '.join(sorted(map(str, unknown)))})",
                       "e.g. provenance: {c2pa: {sign: true, alg: es256}}")
        return None
    sign, alg, tsa = c2pa.get("sign", False), c2pa.get("alg", "es256"), c2pa.get("tsa_url")
    anchors = c2pa.get("trust_anchors")
    where = line_of(provenance, "c2pa", line)
    if not isinstance(sign, bool):
        context.problem(where, "provenance.c2pa.sign must be true or false", None)
    if not isinstance(alg, str) or alg.lower() not in ALGORITHMS:
        context.problem(where, f"provenance.c2pa.alg `{alg}` is not a C2PA signing algorithm",
                       "accepted: " + ", ".join(ALGORITHMS))
        alg = "es256"
    if tsa is not None and not (isinstance(tsa, str) and tsa.startswith(("https://",
                                                                         "http://"))):
        context.problem(where, "provenance.c2pa.tsa_url must be an http(s) URL of an RFC 3161 "
                       "time-stamp authority", None)
        tsa = None
    anchors_path = None
    if anchors is not None:
        why = escapes(anchors, context.root, context.resolved_paths) if isinstance(
            anchors, str) else "not a path"
        if why:
            context.problem(where, f"provenance.c2pa.trust_anchors `{anchors}` is refused: "
                           f"{why}", "a PEM file of root certificates inside the manifest's "
                           "folder")
        else:
            anchors_path = (context.root / anchors).resolve()
    return SigningSettings(sign=sign is True, alg=str(alg).lower(), tsa_url=tsa,
                    trust_anchors=anchors_path)


