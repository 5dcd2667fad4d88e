"""Image formats as names, suffixes and capabilities — without importing Pillow.

The manifest loader and the planner (the `plan`/`verify` hot path) only need to know
which format a path asks for and what the API can return; `imaging` adds the Pillow
side (modes, encoders) on top of this table and re-exports what lives here.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import NamedTuple

from assetgen.core.paths import suffix_of

API_FORMATS = frozenset({"png", "jpeg", "webp"})

# The encoder settings used when the manifest's `encoding:` does not say otherwise.
DEFAULT_ENCODING: dict[str, dict[str, bool | int]] = {
    "png": {"optimize": False},
    "jpeg": {"quality": 85, "progressive": True, "optimize": True},
    "webp": {"quality": 82, "lossless": False},
    "avif": {"quality": 60, "lossless": False},
}


class FormatInfo(NamedTuple):
    name: str  # lowercase assetgen name
    pillow_name: str
    suffixes: tuple[str, ...]  # the first is the one assetgen writes (variants)
    keeps_alpha: bool
    mime: str
    feature: str | None = None  # Pillow feature that must be compiled in
    feature_module: str | None = None  # its extension module, found without importing it
    embed: str | None = None  # how a provenance record is embedded: png-itxt | xmp


FORMATS: tuple[FormatInfo, ...] = (
    FormatInfo("png", "PNG", (".png",), True, "image/png", embed="png-itxt"),
    FormatInfo("jpeg", "JPEG", (".jpg", ".jpeg", ".jpe", ".jfif"), False, "image/jpeg",
               embed="xmp"),
    FormatInfo("webp", "WEBP", (".webp",), True, "image/webp", "webp", "PIL._webp",
               embed="xmp"),
    FormatInfo("avif", "AVIF", (".avif",), True, "image/avif", "avif", "PIL._avif",
               embed="xmp"),
    FormatInfo("gif", "GIF", (".gif",), True, "image/gif"),
    FormatInfo("tiff", "TIFF", (".tif", ".tiff"), True, "image/tiff"),
    FormatInfo("bmp", "BMP", (".bmp",), False, "image/bmp"),
    FormatInfo("jpeg2000", "JPEG2000", (".jp2", ".j2k"), True, "image/jp2", "jpg_2000"),
    FormatInfo("qoi", "QOI", (".qoi",), True, "image/qoi"),
    FormatInfo("tga", "TGA", (".tga",), True, "image/x-tga"),
)
BY_NAME = {spec.name: spec for spec in FORMATS}
ALIASES = {"jpg": "jpeg", "tif": "tiff", "jp2": "jpeg2000"}


def normalise(fmt: str) -> str:
    """`JPG` → `jpeg`, `.tif` → `tiff`: the one spelling assetgen uses."""
    name = fmt.strip().lower().lstrip(".")
    return ALIASES.get(name, name)


def info(fmt: str) -> FormatInfo | None:
    return BY_NAME.get(normalise(fmt))


@cache
def available(name: str) -> bool:
    """Whether this Pillow can write ``name``, answered without importing Pillow when possible."""
    spec = BY_NAME.get(name)
    if spec is None:
        return False
    if spec.feature_module is not None:
        try:
            return importlib.util.find_spec(spec.feature_module) is not None
        except (ImportError, ValueError):
            return False
    if spec.feature is not None:  # a codec inside Pillow's core: ask Pillow
        from PIL import features

        return bool(features.check(spec.feature))
    return True


def writable() -> list[FormatInfo]:
    return [spec for spec in FORMATS
            if (spec.feature is None or available(spec.name))]


def accepted_suffixes() -> str:
    return ", ".join(suffix for spec in writable() for suffix in spec.suffixes)


def format_for_path(path: str | Path) -> str:
    """The image format a file name asks for, by its suffix (case-insensitive)."""
    suffix = (suffix_of(path) if isinstance(path, str) else path.suffix).lower()
    for spec in FORMATS:
        if suffix in spec.suffixes and (spec.feature is None or available(spec.name)):
            return spec.name
    what = f"a {suffix} file" if suffix else "a file without a suffix"
    raise ValueError(
        f"{Path(path).name}: cannot write {what}; accepted suffixes: {accepted_suffixes()}"
    )


def api_format_for(fmt: str) -> str:
    """What to ask the API for: the format itself when it can return it, else a PNG master."""
    name = normalise(fmt)
    return name if name in API_FORMATS else "png"


def suffix_for(fmt: str) -> str:
    """The suffix assetgen gives a file it names itself (variants): `.jpg`, `.avif`, ..."""
    spec = info(fmt)
    if spec is None:
        raise ValueError(f"unknown image format {fmt!r}")
    return spec.suffixes[0]


def mime_for(fmt: str) -> str:
    spec = info(fmt)
    return spec.mime if spec else "application/octet-stream"


def keeps_alpha(fmt: str) -> bool:
    spec = info(fmt)
    return bool(spec and spec.keeps_alpha)


def embed_kind(fmt: str) -> str | None:
    """`png-itxt`, `xmp`, or None when assetgen embeds no record in this format."""
    spec = info(fmt)
    return spec.embed if spec else None
