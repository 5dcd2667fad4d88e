"""Variants: the extra widths and formats written beside an asset's main file.

`img/hero.webp` with `variants: {widths: [480, 960, 1600], formats: [avif, webp]}` and a
1536-px-wide main file gives `img/hero-480w.avif`, `img/hero-480w.webp`,
`img/hero-960w.avif`, `img/hero-960w.webp` and `img/hero-1536w.avif`: widths wider than
the image are never upscaled — when one is skipped the image's own width takes its place
— and the main file itself stands for its own width in its own format.

This module is Pillow-free (the planner and verify use it); `store` does the encoding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple, Protocol

from assetgen.core.fsutil import escapes
from assetgen.images import formats
from assetgen.images.sizes import parse_size

DEFAULT_SIZES = "100vw"


class VariantSource(Protocol):
    """What the variant rules read of an image's settings (a manifest `Asset` is one)."""

    @property
    def path(self) -> str: ...  # posix, below output_dir

    @property
    def format(self) -> str: ...  # the main file's

    @property
    def size(self) -> str: ...  # the generation size: "WxH" or "auto"

    @property
    def width(self) -> int | None: ...  # exact final size, when asked

    @property
    def height(self) -> int | None: ...

    @property
    def variant_widths(self) -> tuple[int, ...]: ...

    @property
    def variant_formats(self) -> tuple[str, ...]: ...

    @property
    def encoding(self) -> dict[str, dict[str, Any]]: ...


class Variant(NamedTuple):
    """One variant file to write: its size, format and path below output_dir."""

    width: int
    height: int
    format: str
    rel: str


def variant_rel(asset_path: str, width: int, fmt: str) -> str:
    """`img/hero.webp`, 480, avif → `img/hero-480w.avif`."""
    path = PurePosixPath(asset_path)
    return str(path.with_name(f"{path.stem}-{width}w{formats.suffix_for(fmt)}"))


def is_variant_name(asset_path: str, rel: str) -> bool:
    """Whether ``rel`` is a name `variant_rel` could give one of ``asset_path``'s variants:
    same folder, `<stem>-<width>w<suffix>` with a suffix assetgen writes. A sidecar is
    untrusted: a build deletes only files that pass this (and match their sha256)."""
    path, candidate = PurePosixPath(asset_path), PurePosixPath(rel)
    if candidate.parent != path.parent:
        return False
    written = {spec.suffixes[0] for spec in formats.FORMATS}
    name, stem = candidate.name, path.stem + "-"
    if not name.startswith(stem) or candidate.suffix not in written:
        return False
    width = name[len(stem):-len(candidate.suffix)]
    return width.endswith("w") and width[:-1].isascii() and width[:-1].isdigit() \
        and len(width) <= 6 and not width.startswith("0")


def formats_of(asset: VariantSource) -> tuple[str, ...]:
    return asset.variant_formats or (asset.format,)


def final_size(asset: VariantSource) -> tuple[int, int] | None:
    """The exact size the main file will have, when the manifest decides it."""
    if asset.width and asset.height:
        return asset.width, asset.height
    try:
        return parse_size(asset.size) if asset.size != "auto" else None
    except ValueError:
        return None


def plan(asset: VariantSource, width: int, height: int) -> list[Variant]:
    """The variants of ``asset`` whose main file is ``width`` x ``height``, in a stable order."""
    if not asset.variant_widths:
        return []
    widths = sorted({w for w in asset.variant_widths if w <= width})
    if any(w > width for w in asset.variant_widths) and width not in widths:
        widths.append(width)  # never upscaled: the image's own width stands in
    result: list[Variant] = []
    for w in widths:
        h = height if w == width else max(1, round(height * w / width))
        for fmt in formats_of(asset):
            if w == width and fmt == asset.format:
                continue  # that one is the main file
            result.append(Variant(w, h, fmt, variant_rel(asset.path, w, fmt)))
    return result


def candidate_names(asset: VariantSource) -> list[str]:
    """Every variant path the manifest could lead to (for collision checks)."""
    widths = set(asset.variant_widths)
    size = final_size(asset)
    if size is not None:
        widths = {w for w in widths if w <= size[0]}
        if any(w > size[0] for w in asset.variant_widths):
            widths.add(size[0])
    names = []
    for w in sorted(widths):
        for fmt in formats_of(asset):
            if size is not None and w == size[0] and fmt == asset.format:
                continue
            names.append(variant_rel(asset.path, w, fmt))
    return names


def written_formats(asset: VariantSource) -> list[str]:
    """The formats of every file the asset publishes: the main one first."""
    result = [asset.format]
    if asset.variant_widths:
        result += [f for f in formats_of(asset) if f not in result]
    return result


def encoding_for(asset: VariantSource, fmt: str) -> dict[str, Any]:
    """Effective encoder settings for one format: built-in defaults, then the manifest's."""
    name = formats.normalise(fmt)
    return {**formats.DEFAULT_ENCODING.get(name, {}), **asset.encoding.get(name, {})}


def derivation(asset: VariantSource) -> dict[str, Any]:
    """What the manifest says about variants and encoding, for the derivation spec.

    Only what the manifest sets is included, so an asset without variants or `encoding:`
    keeps the spec hash it had before these settings existed.
    """
    spec: dict[str, Any] = {}
    if asset.variant_widths:
        spec["variants"] = {"widths": list(asset.variant_widths),
                            "formats": list(formats_of(asset))}
    written = written_formats(asset)
    encoding = {fmt: settings for fmt, settings in asset.encoding.items() if fmt in written}
    if encoding:
        spec["encoding"] = encoding
    return spec


def files_of(entries: Iterable[Mapping[str, Any]], output_dir: Path) -> list[Path]:
    """The files well-formed variant ``entries`` (a record's) name, as absolute paths
    (outside ones dropped)."""
    return [output_dir / entry["file"] for entry in entries
            if escapes(entry["file"], output_dir) is None]
