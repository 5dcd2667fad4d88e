"""Provenance inside the image: a compact record embedded in every file assetgen writes.

The sidecar is the full record; the embedded one travels with the file when it is copied
out of the repository: asset id, route, model, a digest of the prompt and the spec hash.
It is written before the file is hashed, so the sidecar's sha256 covers it, and it is
deterministic (no timestamps), so the same master and spec give the same bytes.

- PNG: an uncompressed iTXt chunk, keyword `assetgen.provenance.sidecar`, canonical JSON.
- JPEG, WebP, AVIF: an XMP packet with the fields as `assetgen:` attributes.
- Other formats (gif, tiff, bmp, ...): nothing; the sidecar says so.

Beside the record, a generated image carries the IPTC AI marking (SPEC 8): XMP
`Iptc4xmpExt:DigitalSourceType` = trainedAlgorithmicMedia (or composite...). In a PNG the
XMP packet is an `XML:com.adobe.xmp` iTXt chunk, which is where XMP readers look for it.
Drafts pass no source type and carry no AI claim.

Also here: noticing a C2PA manifest in an image a route returned.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from assetgen.core.canonical import canonical_json
from assetgen.images import formats
from assetgen.images.headers import header_of, read_header
from assetgen.provenance.record import Record

SCHEMA = "assetgen.embedded/1"
PNG_KEY = "assetgen.provenance"
XMP_NS = "urn:assetgen:provenance:1/"
FIELDS = ("schema", "asset", "route", "model", "prompt_sha256", "spec_hash")
MAX_XMP_BYTES = 64 * 1024
_ATTR_RE = re.compile(r'assetgen:([a-z_0-9]+)\s*=\s*("([^"]*)"|\'([^\']*)\')')
_ENTITIES = {"&quot;": '"', "&apos;": "'", "&#10;": "\n", "&#13;": "\r", "&#9;": "\t"}
_XMP_NS_RE = re.compile(r'xmlns:assetgen\s*=\s*["\']([^"\']*)["\']')

# IPTC Photo Metadata Standard, "Digital Source Type" (Iptc4xmpExt:DigitalSourceType) and
# its NewsCodes vocabulary, https://cv.iptc.org/newscodes/digitalsourcetype/
IPTC_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
SOURCE_TYPE_BASE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = SOURCE_TYPE_BASE + "trainedAlgorithmicMedia"
COMPOSITE = SOURCE_TYPE_BASE + "compositeWithTrainedAlgorithmicMedia"
AI_SOURCE_TYPES = frozenset({TRAINED, COMPOSITE})
PNG_XMP_KEY = "XML:com.adobe.xmp"
_SOURCE_TYPE_RE = re.compile(
    r'Iptc4xmpExt:DigitalSourceType\s*(?:=\s*["\']([^"\'<>]*)["\']'
    r'|>\s*([^<\s]*)\s*</Iptc4xmpExt:DigitalSourceType>)')


def quoteattr(value: str) -> str:
    """``value`` as a quoted XML attribute, exactly as xml.sax.saxutils.quoteattr writes it
    (kept byte for byte: it is inside files already published); written here because
    importing xml.sax.saxutils loads urllib and http.client, ~18 ms on every `verify`."""
    escaped = (value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
               .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))
    if '"' not in escaped:
        return f'"{escaped}"'
    if "'" not in escaped:
        return f"'{escaped}'"
    return '"{}"'.format(escaped.replace('"', "&quot;"))


def prompt_digest(prompt: str) -> str:
    return "sha256:" + hashlib.sha256(prompt.encode("utf-8")).hexdigest()


def make_record(*, asset: str, route: str, model: str, prompt: str,
                spec_hash: str) -> dict[str, str]:
    return {"schema": SCHEMA, "asset": asset, "route": route, "model": model,
            "prompt_sha256": prompt_digest(prompt), "spec_hash": spec_hash}


def xmp_packet(record: dict[str, str] | None, source_type: str | None = None) -> bytes:
    """A minimal XMP packet carrying ``record`` as attributes and, when given, the IPTC
    digital source type (stable bytes)."""
    attrs = "".join(f" assetgen:{key}={quoteattr(str(record[key]))}"
                    for key in FIELDS if record and key in record)
    namespaces = f' xmlns:assetgen="{XMP_NS}"' if record else ""
    if source_type:
        namespaces += f' xmlns:Iptc4xmpExt="{IPTC_NS}"'
        attrs += f" Iptc4xmpExt:DigitalSourceType={quoteattr(source_type)}"
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about=""{namespaces}{attrs}/>'
            '</rdf:RDF></x:xmpmeta><?xpacket end="r"?>').encode()


def encode_options(fmt: str, record: dict[str, str] | None,
                   source_type: str | None = None) -> dict[str, Any]:
    """The `imaging.encode` keyword arguments that embed ``record`` (and the AI marking
    ``source_type``, when given) in a ``fmt`` file."""
    kind = formats.embed_kind(fmt)
    if kind is None or (record is None and not source_type):
        return {}
    if kind == "png-itxt":
        text = {PNG_KEY: canonical_json(record)} if record is not None else {}
        if source_type:
            text[PNG_XMP_KEY] = xmp_packet(None, source_type).decode()
        return {"png_text": text}
    return {"xmp": xmp_packet(record, source_type)}


def describe(fmt: str, record: dict[str, str] | None, found: dict[str, str] | None,
             source_type: str | None = None) -> dict[str, Any]:
    """The sidecar's `embedded` field: what was embedded and how, or why nothing was.

    ``source_type``: the IPTC digital source type read back from the file (None if none).
    """
    kind = formats.embed_kind(fmt)
    marking = {"digital_source_type": source_type} if source_type else {}
    if record is None or kind is None:
        return {"format": "none", "reason": f"assetgen embeds no record in {fmt} files",
                **marking}
    if found != record:  # this Pillow could not write it: never claim what is not there
        return {"format": "none", "reason": f"this Pillow could not embed a record in {fmt}",
                **marking}
    where = {"key": PNG_KEY} if kind == "png-itxt" else {"namespace": XMP_NS}
    return {"format": kind, **where, "record": dict(record), **marking}


def source_type_from_info(info: Mapping[Any, Any]) -> str | None:
    """The IPTC digital source type in an image's XMP (Pillow's `info`), or None."""
    xmp = info.get("xmp")
    if isinstance(xmp, bytes | bytearray):
        xmp = bytes(xmp).decode("utf-8", "replace")
    if not isinstance(xmp, str) or len(xmp) > MAX_XMP_BYTES:
        return None
    match = _SOURCE_TYPE_RE.search(xmp)
    if match is None:
        return None
    return _unescape(match.group(1) if match.group(1) is not None else match.group(2),
                    _ENTITIES) or None


def read_source_type(data: bytes) -> str | None:
    """The IPTC digital source type in an image's bytes, or None."""

    header = header_of(data)
    return source_type_from_info(header.text) if header is not None else None


def read_source_type_file(path: Any) -> str | None:
    """The IPTC digital source type of an image file (headers only); None if none/unreadable."""
    header = read_header(path)
    return source_type_from_info(header.text) if header is not None else None


def read_record(data: bytes) -> dict[str, str] | None:
    """The embedded record of an image's bytes, or None if it carries none."""

    header = header_of(data)
    return record_from_info(header.text) if header is not None else None


def read_record_file(path: Any) -> dict[str, str] | None:
    """The embedded record of an image file (headers only); None if none or unreadable."""
    header = read_header(path)
    return record_from_info(header.text) if header is not None else None


def record_from_info(info: Mapping[Any, Any]) -> dict[str, str] | None:
    text = info.get(PNG_KEY)
    if isinstance(text, str):
        try:
            record = json.loads(text)
        except (ValueError, RecursionError):  # an image's text chunk is untrusted
            return None
        if isinstance(record, dict) and all(isinstance(v, str) for v in record.values()):
            return {k: v for k, v in record.items() if k in FIELDS}
        return None
    xmp = info.get("xmp")
    if isinstance(xmp, bytes | bytearray) and len(xmp) <= MAX_XMP_BYTES:
        return _from_xmp(bytes(xmp).decode("utf-8", "replace"))
    if isinstance(xmp, str) and len(xmp) <= MAX_XMP_BYTES:
        return _from_xmp(xmp)
    return None


def _from_xmp(text: str) -> dict[str, str] | None:
    namespace = _XMP_NS_RE.search(text)
    if namespace is None or namespace.group(1) != XMP_NS:
        return None
    record: dict[str, str] = {}
    for match in _ATTR_RE.finditer(text):
        key = match.group(1)
        if key in FIELDS:
            raw = match.group(3) if match.group(3) is not None else match.group(4)
            record[key] = _unescape(raw, _ENTITIES)
    return record or None


def _unescape(text: str, entities: Mapping[str, str]) -> str:
    """`xml.sax.saxutils.unescape`, without importing xml.sax (which loads urllib and
    http.client: ~13 ms of every verify that reads a marking)."""
    if "&" not in text:
        return text
    text = text.replace("&lt;", "<").replace("&gt;", ">")
    for entity, character in entities.items():
        text = text.replace(entity, character)
    return text.replace("&amp;", "&")


def mismatches(found: dict[str, str] | None, sidecar: Record) -> list[str]:
    """How a file's embedded record disagrees with its sidecar ([] when they agree).

    Only for sidecars that say a record was embedded (`embedded.format` is not `none`);
    older sidecars and formats without a record are not compared.
    """
    if not says_embedded(sidecar):
        return []
    if found is None:
        return ["the sidecar says a provenance record is embedded, but the file has none"]
    expected = {
        "asset": sidecar.asset, "route": sidecar.route, "model": sidecar.model,
        "spec_hash": sidecar.spec_hash, "prompt_sha256": prompt_digest(sidecar.prompt),
    }
    problems = []
    for key, want in expected.items():
        got = found.get(key)
        if got != want:
            problems.append(f"embedded {key} is {_short(got)}, the sidecar says {_short(want)}")
    return problems


def check_file(path: Any, sidecar: Record) -> list[str]:
    """`mismatches` for a file on disk (reads its headers only when a record is expected)."""
    if not says_embedded(sidecar):
        return []
    return mismatches(read_record_file(path), sidecar)


def says_embedded(sidecar: Record) -> bool:
    """Whether a sidecar records a provenance record embedded in its file."""
    return sidecar.embedded is not None and sidecar.embedded.get("format") not in (None, "none")


def _short(value: Any) -> str:
    if value is None:
        return "missing"
    text = str(value)
    return f"`{text[:19]}…`" if len(text) > 24 and text.startswith("sha256:") else f"`{text}`"


# --- C2PA ---------------------------------------------------------------------------------


def has_c2pa(data: bytes) -> bool:
    """Whether an image carries a C2PA manifest store (PNG caBX, JPEG APP11, RIFF C2PA)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png_has_chunk(data, b"caBX")
    if data.startswith(b"\xff\xd8"):
        return _jpeg_has_jumbf(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _riff_has_chunk(data, b"C2PA")
    # ISOBMFF (AVIF/HEIF) and others: a JUMBF box labelled c2pa.
    head = data[: 1 << 20]
    return b"jumb" in head and b"c2pa" in head


def _png_has_chunk(data: bytes, kind: bytes) -> bool:
    offset = 8
    while offset + 8 <= len(data):
        length = int.from_bytes(data[offset:offset + 4], "big")
        chunk = data[offset + 4:offset + 8]
        if chunk == kind:
            return True
        if chunk == b"IEND":
            return False
        offset += 12 + length
    return False


def _jpeg_has_jumbf(data: bytes) -> bool:
    offset = 2
    while offset + 4 <= len(data) and data[offset] == 0xFF:
        marker = data[offset + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
            return False
        length = int.from_bytes(data[offset + 2:offset + 4], "big")
        if marker == 0xEB and b"c2pa" in data[offset + 4:offset + 2 + length]:
            return True
        offset += 2 + length
    return False


def _riff_has_chunk(data: bytes, kind: bytes) -> bool:
    offset = 12
    while offset + 8 <= len(data):
        chunk = data[offset:offset + 4]
        length = int.from_bytes(data[offset + 4:offset + 8], "little")
        if chunk == kind:
            return True
        offset += 8 + length + (length & 1)
    return False
