"""What a loaded manifest is: fully resolved assets, static images and settings.

Plain dataclasses with no logic that needs the rest of the package, so that every layer
above (build, verify, routes, provenance) can name them without importing the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from assetgen.core.fsutil import STATE_DIR_NAME

MAX_ANCHORS_BYTES = 4 * 1024 * 1024  # a trust list of a few thousand roots
# (key, folder as written, manifest line): the folders a manifest names for its images.
FolderLines = tuple[tuple[str, str, int], ...]


@dataclass(frozen=True)
class SigningSettings:
    """`provenance.c2pa` of the manifest (SPEC 8): what signing was asked for."""

    sign: bool = False
    alg: str = "es256"
    tsa_url: str | None = None
    trust_anchors: Path | None = None  # absolute, inside the manifest's folder

    def anchors_pem(self) -> str | None:
        if self.trust_anchors is None:
            return None
        try:
            if self.trust_anchors.stat().st_size > MAX_ANCHORS_BYTES:
                return None
            return self.trust_anchors.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            return None


@dataclass(frozen=True)
class EditInput:
    """One input image of an edit: another asset, or a file in the repo."""

    ref: str
    path: Path
    asset_id: str | None = None


@lru_cache(maxsize=256)
def _folder(path: str) -> Path:
    return Path(path)


@dataclass(frozen=True)
class Asset:
    """One image assetgen makes: its entry with defaults applied and the prompt rendered."""

    id: str
    path: str  # posix, relative to output_dir (or to `root:`, see `base`)
    file: Path  # absolute
    prompt: str  # rendered
    route: str
    model: str
    quality: str
    size: str  # the generation size sent: "WxH" or "auto"
    format: str  # the final file's format
    line: int
    width: int | None = None  # exact final size, when asked
    height: int | None = None
    background: str | None = None
    inputs: tuple[EditInput, ...] = ()
    mask: Path | None = None
    fidelity: str | None = None
    alt: str | None = None
    # Published files beyond the main one, and how every file is encoded.
    variant_widths: tuple[int, ...] = ()  # asked for; wider than the image are skipped
    variant_formats: tuple[str, ...] = ()  # default: the main file's format
    variant_sizes: str | None = None  # the `sizes` attribute snippets print
    encoding: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False)
    transparent: str | None = None  # "api" (background: transparent) | "chroma"
    chroma_key: str | None = None  # "#rrggbb", for transparent: chroma
    path_line: int = 0  # the `path:` line, for problems about the path (0: the entry's)

    @cached_property
    def base(self) -> Path:
        """The folder ``path`` (and the variants' names) is relative to: output_dir, or the
        entry's ``root:`` (SPEC 7: Hugo assets/, Astro src/assets/, a page bundle).

        Cached, and one shared Path per folder: the planner, verify and the manifest cache
        ask for it for every asset (building a Path per asset cost 30 ms at 2,000)."""
        file, tail = str(self.file), "/" + self.path
        if file.endswith(tail) and "\\" not in file:  # the path as the loader joined it
            return _folder(file[:-len(tail)] or "/")
        return Path(*self.file.parts[:len(self.file.parts) - len(Path(self.path).parts)])

    @property
    def has_variants(self) -> bool:
        return bool(self.variant_widths)

    @property
    def is_edit(self) -> bool:
        return bool(self.inputs)

    @property
    def dependencies(self) -> tuple[str, ...]:
        return tuple(i.asset_id for i in self.inputs if i.asset_id)


@dataclass(frozen=True)
class StaticImage:
    """A hand-made image the manifest declares (`static:`): lineage, not generation."""

    path: str
    file: Path
    line: int
    author: str | None = None
    license: str | None = None
    path_line: int = 0  # the `path:` line (0: the entry's)


@dataclass
class Manifest:
    """A loaded, fully validated `assetgen.yaml`: paths absolute, every asset resolved."""

    file: Path
    root: Path
    output_dir: Path
    sources: tuple[str, ...]
    # No `vars`: prompts are rendered at load, and keeping the variables would make the
    # manifest cache write out (expand) values no prompt uses.
    routes: dict[str, dict[str, Any]]
    static: tuple[StaticImage, ...]
    assets: tuple[Asset, ...]
    by_id: dict[str, Asset] = field(default_factory=dict)
    masters_dir: Path | None = None  # None: .assetgen/masters
    assets_json: Path | None = None  # where `build` writes the assets map, if anywhere
    snippet_template: Path | None = None  # replaces the built-in snippet template
    signing: SigningSettings | None = None  # `provenance.c2pa` (SPEC 8)
    generator: str = "plain"  # a name in manifest.generators (SPEC 7)
    roots: tuple[Path, ...] = ()  # declared image folders besides output_dir (absolute)
    site_folders: FolderLines = ()  # where output_dir and the roots are named (site.py)

    def __post_init__(self) -> None:
        self.by_id = {a.id: a for a in self.assets}

    @property
    def state_dir(self) -> Path:
        """Local, gitignored working state: lock, masters cache, verify cache."""
        return self.root / STATE_DIR_NAME

    @property
    def masters_folder(self) -> Path:
        """The masters cache: `masters_dir` when set, else `.assetgen/masters`."""
        return self.masters_dir if self.masters_dir is not None else self.state_dir / "masters"

    def route_settings(self, route: str) -> dict[str, Any]:
        return dict(self.routes.get(route) or {})

    def rel(self, path: Path) -> str:
        """A path as users see it in messages: relative to the manifest's folder."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def dependents_of(self, asset_id: str) -> list[str]:
        return [a.id for a in self.assets if asset_id in a.dependencies]
