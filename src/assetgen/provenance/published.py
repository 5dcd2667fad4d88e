"""What an asset published, read from its sidecar: files, URLs, sizes and srcsets.

Shared by `assetgen snippet` (HTML) and the `assets_json` map `build` writes for site
generators. URLs are site-root paths (`/img/hero.webp` for `<output_dir>/img/hero.webp`),
the way SPEC 2.1 says pages reference images.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from assetgen.core.canonical import readable_json
from assetgen.core.fsutil import atomic_write
from assetgen.images import formats
from assetgen.images.variants import DEFAULT_SIZES, is_variant_name
from assetgen.manifest import Asset, Manifest
from assetgen.provenance.naming import SUFFIX
from assetgen.provenance.record import CorruptSidecar, Record
from assetgen.provenance.sidecar import read_sidecar

ASSETS_SCHEMA = "assetgen.assets/1"


class PublishedFile(NamedTuple):
    rel: str  # below output_dir
    width: int
    height: int
    format: str

    @property
    def url(self) -> str:
        return "/" + self.rel

    @property
    def mime(self) -> str:
        return formats.mime_for(self.format)

    def as_json(self) -> dict[str, Any]:
        return {"file": self.rel, "src": self.url, "width": self.width, "height": self.height,
                "format": self.format, "type": self.mime}


@dataclass
class Published:
    """An asset's published files (main and variants) with the sidecar naming them."""

    asset: Asset
    sidecar: Record
    main: PublishedFile
    variants: list[PublishedFile] = field(default_factory=list)

    @property
    def sizes(self) -> str:
        return self.asset.variant_sizes or DEFAULT_SIZES

    def candidates(self, fmt: str) -> list[PublishedFile]:
        """Files of one format, narrowest first (the main file included for its format)."""
        files = [v for v in self.variants if v.format == fmt]
        if fmt == self.main.format:
            files.append(self.main)
        return sorted(files, key=lambda f: f.width)

    def srcset(self, fmt: str) -> str:
        return ", ".join(f"{f.url} {f.width}w" for f in self.candidates(fmt))

    def sources(self) -> list[dict[str, str]]:
        """`<source>` entries: each variant format other than the main file's, in order."""
        seen: list[str] = []
        for variant in self.variants:
            if variant.format != self.main.format and variant.format not in seen:
                seen.append(variant.format)
        ordered = [f for f in self.asset.variant_formats if f in seen]
        ordered += [f for f in seen if f not in ordered]
        return [{"format": f, "type": formats.mime_for(f), "srcset": self.srcset(f)}
                for f in ordered]

    def as_json(self, manifest: Manifest) -> dict[str, Any]:
        srcset = {f: self.srcset(f) for f in sorted({self.main.format,
                                                     *(v.format for v in self.variants)})}
        return {
            **self.main.as_json(),
            "alt": self.asset.alt,
            "sizes": self.sizes,
            "sidecar": self.main.rel + SUFFIX,
            "sha256": self.sidecar.sha256,
            "route": self.sidecar.route,
            "srcset": srcset,
            "variants": [v.as_json() for v in self.variants],
        }


def published(asset: Asset) -> Published | None:
    """What ``asset`` has on disk according to its sidecar; None when not built yet."""
    try:
        sidecar = read_sidecar(asset.file)
    except CorruptSidecar:
        return None
    if sidecar is None or not asset.file.is_file():
        return None
    main = PublishedFile(asset.path, sidecar.width, sidecar.height,
                         sidecar.format or asset.format)
    files = [PublishedFile(entry["file"], _int(entry.get("width")), _int(entry.get("height")),
                           str(entry.get("format") or ""))
             for entry in sidecar.well_formed_variants()
             if is_variant_name(asset.path, entry["file"])]
    return Published(asset, sidecar, main, files)


def assets_document(manifest: Manifest) -> dict[str, Any]:
    """The `assets_json` map: id → files, sizes, alt, sidecar (sorted, no timestamps)."""
    built: dict[str, Any] = {}
    missing: list[str] = []
    for asset in manifest.assets:
        found = published(asset)
        if found is None:
            missing.append(asset.id)
        else:
            built[asset.id] = found.as_json(manifest)
    return {"schema": ASSETS_SCHEMA, "output_dir": manifest.rel(manifest.output_dir),
            "assets": built, "missing": sorted(missing)}


def write_assets_json(manifest: Manifest) -> Path | None:
    """Write the map where the manifest asks (atomically, only when it changed)."""
    target = manifest.assets_json
    if target is None:
        return None
    data = readable_json(assets_document(manifest)).encode("utf-8")
    try:
        if target.read_bytes() == data:
            return None
    except OSError:
        pass
    atomic_write(target, data, root=manifest.root)
    return target


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
