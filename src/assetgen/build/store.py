"""Where finished assets land: derive from the master, then commit atomically.

Derivation: chroma-key (for `transparent: chroma`), fit to the exact size, encode with the
asset's settings and its embedded provenance record, then the variants from the same pixels.

Commit order: every file to a temp file beside its target, the sidecar to a *pending* file,
rename the variants, rename the main image, rename the sidecar. A crash before the last
rename leaves a pending sidecar; `recover()` finishes that commit at the next build when
the main image and every variant on disk match it, and discards it otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple

from assetgen.core.canonical import sha256_bytes
from assetgen.core.fsutil import (
    PENDING_SUFFIX,
    SafeFolder,
    escapes,
    read_no_follow,
    remove_stale_temp_files,
)
from assetgen.errors import ImageError
from assetgen.images import codec as imaging
from assetgen.images import pngdata
from assetgen.images import variants as variant_rules
from assetgen.images.chroma import remove_key
from assetgen.images.formats import DEFAULT_ENCODING
from assetgen.images.headers import header_of
from assetgen.manifest import Asset
from assetgen.provenance import embed
from assetgen.provenance.naming import SUFFIX, sidecar_path
from assetgen.provenance.record import MAX_RECORD_BYTES, CorruptSidecar, Record

if TYPE_CHECKING:
    from assetgen.images.codec import Decoded  # imaging imports Pillow: only when deriving



class DerivedFile(NamedTuple):
    """One variant, ready to write."""

    rel: str  # below output_dir
    data: bytes
    width: int
    height: int
    format: str
    embedded: str  # png-itxt | xmp | none
    digital_source_type: str | None = None  # the IPTC AI marking read back from the file

    def entry(self) -> dict[str, Any]:
        """Its line in the main sidecar's `variants` list."""
        entry = {"file": self.rel, "width": self.width, "height": self.height,
                 "format": self.format, "sha256": sha256_bytes(self.data),
                 "bytes": len(self.data), "embedded": self.embedded}
        if self.digital_source_type:
            entry["digital_source_type"] = self.digital_source_type
        return entry


@dataclass(frozen=True)
class Derived:
    """The final file made from a master (fitted, encoded, marked) and its variants."""

    data: bytes
    width: int
    height: int
    format: str
    postprocess: list[dict[str, Any]]
    embedded: dict[str, Any] = field(default_factory=dict)
    variants: tuple[DerivedFile, ...] = ()

    @cached_property
    def sha256(self) -> str:
        """The final file's digest, computed once (a 2048x2048 PNG is up to ~12 MB)."""
        return sha256_bytes(self.data)


def final_size(asset: Asset) -> tuple[int, int] | None:
    """The exact size the file must have: width/height if set, else the asked size."""
    return variant_rules.final_size(asset)


def _encode_kwargs(asset: Asset, fmt: str) -> dict[str, Any]:
    settings = variant_rules.encoding_for(asset, fmt)
    return {key: settings[key] for key in ("quality", "lossless", "progressive", "optimize")
            if key in settings}


def _encode(image: Any, asset: Asset, fmt: str, record: dict[str, str] | None,
            source_type: str | None) -> tuple[bytes, dict[str, Any]]:
    """Encoded bytes and the sidecar's description of what they embed (read back, not assumed)."""
    data = imaging.encode(image, fmt, **_encode_kwargs(asset, fmt),
                          **embed.encode_options(fmt, record, source_type))
    return data, _read_back(data, fmt, record, source_type)


def _read_back(data: bytes, fmt: str, record: dict[str, str] | None,
               source_type: str | None) -> dict[str, Any]:
    if record is None and source_type is None:
        return embed.describe(fmt, None, None)

    header = header_of(data)
    text = header.text if header is not None else {}
    return embed.describe(fmt, record, embed.record_from_info(text),
                          embed.source_type_from_info(text) if source_type else None)


def derive(master: bytes, asset: Asset, *, record: dict[str, str] | None = None,
           decoded: Decoded | None = None, source_type: str | None = None,
           keep_master: bool = False) -> Derived:
    """The final file (and its variants) from a master.

    Routes that choose their own size (codex, gateway) are fitted to the size asked; for
    the Images API the master already has it and nothing is resized. ``record`` is the
    provenance record to embed in every file (see `embed.make_record`); ``source_type``
    the IPTC AI marking to write beside it (None for drafts). ``decoded``: the master's
    `imaging.Decoded` when the caller already has it (it is decoded at most once).
    A PNG master that already is the final file keeps its image data (see `pngdata`).
    ``keep_master``: the master carries Content Credentials; when it already is the final
    file it is published byte for byte (SPEC 8), nothing embedded, so they stay valid.
    """
    def pixels() -> imaging.Decoded:
        nonlocal decoded
        if decoded is None:
            decoded = imaging.decode_checked(master)
        return decoded

    unchanged = _unchanged(master, asset) if keep_master else None
    rewrapped = None if unchanged is not None else _rewrap(master, asset, record, source_type)
    if unchanged is not None:
        data, (width, height) = master, unchanged
        steps: list[dict[str, Any]] = [{"op": "keep", "bytes": "unchanged",
                                        "reason": "the route's Content Credentials"}]
        embedded = {"format": "none", "reason": "the route's bytes are published unchanged:"
                    " their C2PA manifest is the marking, assetgen's record is the sidecar"}
        image = None
    elif rewrapped is not None:
        data, width, height = rewrapped
        steps = [{"op": "embed", "to": "png", "image_data": "kept"}]
        embedded = _read_back(data, "png", record, source_type)
        image = None
    else:
        info = pixels().info
        image = pixels().image
        steps = []
        if asset.transparent == "chroma":

            image, step = remove_key(image, asset.chroma_key or "#00ff00")
            steps.append(step)
        target = final_size(asset)
        if target and image.size != target:
            before = list(image.size)
            image = imaging.fit(image, *target)
            steps.append({"op": "fit", "from": before, "to": list(target),
                          "method": "cover-centre-crop"})
        data, embedded = _encode(image, asset, asset.format, record, source_type)
        steps.append({"op": "encode", "from": info.format, "to": asset.format,
                      **variant_rules.encoding_for(asset, asset.format)})
        width, height = image.size
    derived_variants = []
    for variant in variant_rules.plan(asset, width, height):
        if image is None:
            image = pixels().image
        scaled = imaging.resize_to_width(image, variant.width)
        blob, described = _encode(scaled, asset, variant.format, record, source_type)
        derived_variants.append(DerivedFile(variant.rel, blob, scaled.width, scaled.height,
                                            variant.format, described["format"],
                                            described.get("digital_source_type")))
    return Derived(data, width, height, asset.format, steps, embedded,
                   tuple(derived_variants))


def _unchanged(master: bytes, asset: Asset) -> tuple[int, int] | None:
    """The master's size when it already is the final file: the format and size asked,
    no chroma key and no encoder settings of the manifest's own for that format."""

    if asset.transparent == "chroma" or asset.encoding.get(asset.format):
        return None
    try:
        info = imaging.header(master)
    except ImageError:
        return None
    target = final_size(asset)
    if info.format != asset.format or (target and (info.width, info.height) != target):
        return None
    return info.width, info.height


def _rewrap(master: bytes, asset: Asset, record: dict[str, str] | None,
            source_type: str | None = None) -> tuple[bytes, int, int] | None:
    """The final file without touching the pixels, when the master already is it."""
    size = pngdata.size(master)
    default_encoding = variant_rules.encoding_for(asset, "png") == DEFAULT_ENCODING["png"]
    if size is None or asset.format != "png" or asset.transparent == "chroma" or not (
            default_encoding):
        return None
    target = final_size(asset)
    if target and size != target:
        return None
    text = embed.encode_options("png", record, source_type).get("png_text", {})
    data = pngdata.rewrap(master, text)
    return None if data is None else (data, *size)


def pending_path(image: Path) -> Path:
    return image.with_name(f".{image.name}{SUFFIX}{PENDING_SUFFIX}")


def commit(image_path: Path, data: bytes, record: Record, *,
           extra: Sequence[tuple[Path, bytes]] = (),
           obsolete: Sequence[tuple[Path, str]] = (), root: Path | None = None,
           inside: Path | None = None) -> None:
    """Write image + ``extra`` files (variants) + sidecar so that each is whole.

    Variants and image first, sidecar last; then remove ``obsolete`` files (variants the
    previous sidecar listed that this one does not), each only while its bytes still match
    the sha256 given with it. Everything happens in the image's folder, opened once
    symlink-safely from ``root`` and checked to be inside ``inside`` (output_dir, or the
    asset's own root) at write time (see `fsutil.SafeFolder`): a folder swapped for a
    symlink meanwhile is refused.
    """
    sidecar_bytes = record.to_json()
    folder_path = image_path.parent
    for path, _ in (*extra, *obsolete):
        if path.parent != folder_path:
            raise ValueError(f"variant {path} is not beside {image_path.name}")
    with SafeFolder.open(folder_path, root=root, inside=inside) as folder:
        temps: list[tuple[str, str]] = []
        pending = pending_path(image_path).name
        try:
            for path, blob in extra:
                temps.append((folder.write_temp(path.name, blob), path.name))
            temps.append((folder.write_temp(image_path.name, data), image_path.name))
            with folder.naming(sidecar_path(image_path).name):  # the pending file is ours
                folder.write_atomic(pending, sidecar_bytes)
            while temps:
                temp, name = temps[0]
                folder.replace(temp, name)
                temps.pop(0)
        except BaseException:
            for temp, _name in temps:
                folder.discard(temp)
            folder.discard(pending)
            raise
        folder.replace(pending, sidecar_path(image_path).name)
        keep = {path.name for path, _ in extra} | {image_path.name}
        for path, sha256 in obsolete:
            if path.name not in keep and _matches_in(folder, path.name, sha256):
                folder.unlink(path.name)


def _matches_in(folder: SafeFolder, name: str, sha256: str) -> bool:
    try:
        return sha256_bytes(folder.read_bytes(name)) == sha256
    except OSError:
        return False


def recover(output_dir: Path, *roots: Path) -> list[str]:
    """Finish or discard commits an interrupted build left; remove its temp files.

    ``roots`` are the other folders assets are written to (their `root:`). Call only while
    holding the build lock. Returns what was done, for the log.
    """
    notes: list[str] = []
    seen: set[Path] = set()
    for folder in dict.fromkeys((output_dir, *roots)):
        if not folder.is_dir():
            continue
        for pending in sorted(folder.rglob(f"*{PENDING_SUFFIX}")):
            if pending in seen or pending.is_symlink():
                continue  # never ours: assetgen writes pending sidecars as files
            seen.add(pending)
            notes.append(_recover_one(pending))
        for temp in remove_stale_temp_files(folder):
            notes.append(f"removed temp file {temp.name}")
    return notes


def _recover_one(pending: Path) -> str:
    image = pending.with_name(pending.name[1: -len(SUFFIX + PENDING_SUFFIX)])
    try:
        record = Record.parse(read_no_follow(pending, MAX_RECORD_BYTES), pending.name)
        base = _base_of(image, record.file)
        matches = base is not None and _matches(image, record.sha256) and all(
            escapes(entry["file"], base) is None
            and _matches(base / entry["file"], entry["sha256"])
            for entry in record.well_formed_variants())
    except (OSError, CorruptSidecar):
        matches = False
    if matches:
        os.replace(pending, sidecar_path(image))
        return f"completed the interrupted write of {image.name}"
    pending.unlink(missing_ok=True)
    return f"discarded an unfinished write of {image.name}"


def _base_of(image: Path, recorded: str) -> Path | None:
    """The folder the record's `file` (and its variants' names) is relative to: the image's
    path minus ``recorded``; None when they do not match (an untrusted record)."""
    parts = PurePosixPath(recorded).parts
    if not parts or ".." in parts or PurePosixPath(recorded).is_absolute() \
            or image.parts[-len(parts):] != parts:
        return None
    return Path(*image.parts[:-len(parts)])


def _matches(path: Path, sha256: str) -> bool:
    return sha256_bytes(read_no_follow(path)) == sha256
