"""`assetgen adopt FILE --id ID --prompt TEXT`: record lineage for an image made elsewhere.

Typically an image from Codex's built-in image tool (saved under
`$CODEX_HOME/generated_images/<session>/`). The file is copied to the asset's path below
output_dir (converted when the path's suffix asks for another format), the manifest entry is
added, or replaced with `--force` (keeping its `alt`), without touching the rest of the file,
and a sidecar is written whose `spec_hash` is the one `plan` computes for the new entry, so
`plan` and `verify` show the asset as `fresh` at once.

Decisions: a FILE that cannot be read or is not an image, a bad id or path, or an existing
id without `--force` are usage errors (exit 2, one line, no traceback). `billing` is
`codex-credits` for `--route codex` and not recorded for `adopted` (the surface is unknown).
The entry records what is known: `route: codex` for Codex images (unless that is the
default), `--model`/`--quality` when they differ from the defaults, and the image's size as
`size:` when it is a valid gpt-image-2 size, else as exact `width`/`height`. The rendered
prompt must equal TEXT, so a TEXT with Jinja2 syntax is stored inside `{% raw %}`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assetgen.build import store
from assetgen.build.planner import Planner, State
from assetgen.commands.common import open_manifest
from assetgen.core.canonical import sha256_bytes
from assetgen.core.fsutil import build_lock, ensure_state_dir, escapes, write_temp_beside
from assetgen.core.paths import display_relative_to
from assetgen.errors import EXIT_OK, ImageError, ManifestError, UsageError
from assetgen.images import codec as imaging
from assetgen.images import sizes, variants
from assetgen.manifest import Asset, Manifest
from assetgen.manifest.edit import jinja_literal, upsert_asset
from assetgen.manifest.load import load_manifest, load_yaml
from assetgen.manifest.locate import MANIFEST_NAME
from assetgen.manifest.schema import (
    ASSET_ID_RULE,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DEFAULT_ROUTE,
    DEFAULT_SIZE,
    is_asset_id,
)
from assetgen.provenance.naming import sidecar_path
from assetgen.provenance.record import Record
from assetgen.routes.registry import ROUTES


@dataclass
class AdoptResult:
    asset_id: str
    action: str  # what happened to the manifest entry: added | updated
    source: Path  # the adopted FILE
    image: Path  # where it now is, below output_dir
    manifest: Path
    route: str
    billing: str | None
    session: str | None
    format: str
    converted: dict[str, Any] | None  # the encode step, when the format changed
    spec_hash: str
    state: str  # as plan now sees the asset: fresh, or why not
    previous: Path | None  # the replaced entry's image, no longer declared
    cwd: Path  # paths are shown relative to it
    exit_code: int = EXIT_OK

    def show(self, path: Path) -> str:
        return display_relative_to(path, self.cwd)

    @property
    def sidecar(self) -> Path:
        return sidecar_path(self.image)


def run(manifest_path: Path | None, cwd: Path, file: Path, *, asset_id: str, prompt: str,
        target: str | None, route: str, model: str, quality: str, session: str | None,
        force: bool) -> AdoptResult:
    def show(path: Path) -> str:
        return display_relative_to(path, cwd)

    file = Path(os.path.abspath(file))
    manifest = _open(manifest_path, cwd, file)
    if not is_asset_id(asset_id):
        raise UsageError(f"--id `{asset_id}` is not accepted", hint=ASSET_ID_RULE)
    prompt = prompt.replace("\r\n", "\n").strip()
    if not prompt:
        raise UsageError("--prompt is empty", hint="give the prompt that made the image")
    existing = manifest.by_id.get(asset_id)
    if existing is not None and not force:
        raise UsageError(f"asset `{asset_id}` already exists ({manifest.file.name} line "
                         f"{existing.line})",
                         hint="pass --force to replace its image and entry, or choose another "
                              "--id")
    if route == "codex" and session is None:
        session = _codex_session(file)

    data = _read_image(file, show)
    source = imaging.probe(data)
    rel = _target_path(manifest, asset_id, target, existing, file)
    try:
        fmt = imaging.format_for_path(rel)
    except ValueError as exc:
        raise UsageError(f"--path {rel}: {exc}") from None
    dest = manifest.output_dir / rel
    _check_destination(manifest, asset_id, rel, dest, file, existing, force, show)

    decoded = None if source.format == fmt else imaging.decode(data)  # EXIF-upright
    width, height = decoded.size if decoded is not None else (source.width, source.height)
    entry = _entry(manifest, asset_id, rel, prompt, route, model, quality, width, height,
                   existing)
    original = manifest.file.read_bytes().decode("utf-8")
    new_text, action = upsert_asset(original, entry)

    with build_lock(ensure_state_dir(manifest.state_dir, root=manifest.root) / "build.lock",
                    root=manifest.root):
        pending = write_temp_beside(manifest.file, new_text.encode("utf-8"))
        try:
            os.chmod(pending, manifest.file.stat().st_mode & 0o7777)
            asset, spec_hash = _planned(pending, asset_id, manifest.file.name)
            out, postprocess = data, None
            if decoded is not None:  # encoded as a build would: the entry's encoder settings
                settings = variants.encoding_for(asset, fmt)
                out = imaging.encode(decoded, fmt, **settings)
                postprocess = [{"op": "encode", "from": source.format, "to": fmt, **settings}]
            record = Record(
                asset=asset.id, file=asset.path, sha256=sha256_bytes(out), bytes=len(out),
                width=width, height=height, format=fmt, route=route,
                model=asset.model, prompt=asset.prompt, quality=asset.quality,
                size=asset.size, spec_hash=spec_hash, created_at=_now(),
                billing=ROUTES[route].billing if route in ROUTES else None, session=session,
                source={"name": file.name, "sha256": sha256_bytes(data), "bytes": len(data),
                        "format": source.format, "width": source.width,
                        "height": source.height},
                postprocess=postprocess)
            store.commit(dest, out, record, root=manifest.root, inside=manifest.output_dir)
            os.replace(pending, manifest.file)
        finally:
            pending.unlink(missing_ok=True)

    previous = existing.file if existing is not None and existing.path != rel \
        and existing.file.exists() else None
    return AdoptResult(
        asset_id=asset_id, action=action, source=file, image=dest, manifest=manifest.file,
        route=route, billing=record.billing, session=session, format=fmt,
        converted=postprocess[0] if postprocess else None, spec_hash=spec_hash,
        state=_state_now(manifest.file, asset_id), previous=previous, cwd=cwd)


def _open(manifest_path: Path | None, cwd: Path, file: Path) -> Manifest:
    """The manifest above the working directory or, failing that, above FILE (in-place
    adoption from a repository root whose site is in a subfolder)."""
    try:
        return open_manifest(manifest_path, cwd)
    except UsageError:
        if manifest_path is not None:
            raise
        for folder in file.parents:
            if (folder / MANIFEST_NAME).is_file():
                return open_manifest(folder / MANIFEST_NAME, cwd)
        raise


def _read_image(file: Path, show: Any) -> bytes:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{show(file)}: no such file",
                         hint="give the path of the image to adopt") from None
    except OSError as exc:
        raise UsageError(f"cannot read {show(file)}: {exc.strerror or exc}") from None
    try:
        imaging.probe(data)
    except ImageError as exc:
        raise UsageError(f"{show(file)} is not an image assetgen can read ({exc.message})",
                         hint="adopt a PNG, JPEG or WebP file") from None
    return data


def _codex_session(file: Path) -> str | None:
    """`…/generated_images/<session>/ig_1.png` → `<session>`."""
    parent = file.parent
    return parent.name if parent.parent.name == "generated_images" and parent.name else None


def _target_path(manifest: Manifest, asset_id: str, target: str | None,
                 existing: Asset | None, file: Path) -> str:
    if target is None:
        if existing is not None:
            return existing.path
        try:
            imaging.format_for_path(file.name)
            suffix = file.suffix.lower()
        except ValueError:
            suffix = ".png"
        target = f"img/{asset_id}{suffix}"
    why = escapes(target, manifest.output_dir)
    if why:
        raise UsageError(f"--path {target} is refused: {why}",
                         hint=f"give a path below {manifest.rel(manifest.output_dir)}/, "
                              "e.g. img/team.webp")
    return Path(target).as_posix()


def _check_destination(manifest: Manifest, asset_id: str, rel: str, dest: Path, file: Path,
                       existing: Asset | None, force: bool, show: Any) -> None:
    for other in manifest.assets:
        if other.path == rel and other.id != asset_id:
            raise UsageError(f"{show(dest)} is already the image of asset `{other.id}`",
                             hint="choose another --path, or adopt it as --id "
                                  f"{other.id} --force")
    for image in manifest.static:
        if image.path == rel:
            raise UsageError(f"{show(dest)} is declared under static: (line {image.line})",
                             hint="choose another --path, or remove its static: entry first")
    same = dest.exists() and dest.resolve() == file.resolve()
    ours = existing is not None and existing.path == rel
    if dest.exists() and not same and not ours and not force:
        raise UsageError(f"{show(dest)} already exists",
                         hint="pass --force to overwrite it, or choose another --path")


def _entry(manifest: Manifest, asset_id: str, rel: str, prompt: str, route: str, model: str,
           quality: str, width: int, height: int, existing: Asset | None) -> dict[str, Any]:
    raw = load_yaml(manifest.file)
    defaults = raw.get("defaults") if isinstance(raw, dict) else None
    defaults = defaults if isinstance(defaults, dict) else {}
    entry: dict[str, Any] = {"id": asset_id, "path": rel}
    if route == "codex" and defaults.get("route", DEFAULT_ROUTE) != "codex":
        entry["route"] = "codex"
    if model != defaults.get("model", DEFAULT_MODEL):
        entry["model"] = model
    if quality != defaults.get("quality", DEFAULT_QUALITY):
        entry["quality"] = quality
    if sizes.is_valid(width, height):
        default_size = str(defaults.get("size", DEFAULT_SIZE)).strip().lower()
        if sizes.format_size(width, height) != default_size:
            entry["size"] = sizes.format_size(width, height)
    else:
        entry["width"], entry["height"] = width, height
    if existing is not None and existing.alt:
        entry["alt"] = existing.alt
    entry["prompt"] = jinja_literal(prompt)
    return entry


def _planned(pending: Path, asset_id: str, name: str) -> tuple[Asset, str]:
    """The new entry as the edited manifest resolves it, and the spec hash plan gives it."""
    try:
        edited = load_manifest(pending)
    except ManifestError as exc:
        lines = str(exc).replace(pending.name, name)
        raise UsageError(f"the adopted entry makes the manifest invalid:\n{lines}",
                         hint="nothing was changed") from None
    asset = edited.by_id[asset_id]
    return asset, Planner(edited).status(asset).spec_hash


def _state_now(manifest_file: Path, asset_id: str) -> str:
    manifest = load_manifest(manifest_file)
    status = Planner(manifest).status(manifest.by_id[asset_id])
    if status.state != State.FRESH:
        return f"{status.state} ({status.reason})"
    return str(status.state)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
