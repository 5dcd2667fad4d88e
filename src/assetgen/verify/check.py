"""The lineage check behind `assetgen verify` (SPEC.md 2.3), as data: findings, no printing.

Declared assets get exactly the state `assetgen plan` gives them (the `Planner` decides);
then the output folder is scanned for images and sidecars no entry declares (`untracked`,
`orphan-sidecar`), and the source pages for references (`unknown`, `broken-ref`), plus two
coverage checks: declared assets no page uses (`unreferenced`) and `<img>` width/height
attributes that disagree with the image's real aspect ratio (`aspect-mismatch`).

One finding per problem. A declared image that is missing is reported once, as `missing`,
naming the first page that references it; an undeclared image referenced from many pages is
one `unknown` finding; each reference to a file that does not exist is its own `broken-ref`
(each page needs its own fix).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from assetgen.build import credentials
from assetgen.build.planner import AssetStatus, Planner, State
from assetgen.core.canonical import tagged_hash
from assetgen.core.hashcache import HashCache
from assetgen.core.remedies import shell_command
from assetgen.images import variants
from assetgen.manifest import Asset, Manifest
from assetgen.manifest.site import missing_folders
from assetgen.provenance import embed
from assetgen.provenance.naming import SUFFIX, image_path_for
from assetgen.provenance.sidecar import claimed
from assetgen.verify.imagefiles import pixels, read_dimensions, walk_images
from assetgen.verify.page import UNRESOLVED
from assetgen.verify.references import Reference, ScanResult, scan_sources
from assetgen.verify.report import STATES, Finding, LineageReport, severity_of
from assetgen.verify.resolve import resolver_for
from assetgen.verify.scope import Scope, concerned, file_key, scope_for, with_dependents

# A sidecar's sha256 matched the file for these, so its recorded width/height are the file's.
_SIDECAR_TRUSTED = (State.FRESH, State.STALE, State.DRAFT)
_ASPECT_TOLERANCE = 0.01  # 1 %: attribute values are often rounded to whole pixels


class _Checker:
    def __init__(self, manifest: Manifest, hashes: HashCache, strict: bool,
                 scope: Scope, show: Callable[[Path], str]) -> None:
        self.manifest = manifest
        self._show = show
        self.hashes = hashes
        self.strict = strict
        self.scope = scope
        self.findings: list[Finding] = []
        self.by_state: dict[str, int] = dict.fromkeys(STATES, 0)
        self.assets_by_file = {file_key(a.file): a for a in manifest.assets}
        # Variant files (`img/hero-480w.avif`) belong to their asset: the manifest's
        # possible names, plus what sidecars record once plan has read them.
        self.variant_owner: dict[str, Asset] = {}
        for asset in manifest.assets:
            if asset.variant_widths:
                for name in variants.candidate_names(asset):
                    self.variant_owner[file_key(asset.base / name)] = asset
        self.static_by_file = {file_key(s.file): s for s in manifest.static}
        self.statuses: dict[str, AssetStatus] = {}
        self.roots: tuple[str, ...] = ()  # the site's image folders (verify.resolve)
        self._exists: dict[str, bool] = {}
        self._dims: dict[str, tuple[int, int] | None] = {}
        self._markers: dict[str, tuple[str, str | None] | None] = {}

    def add(self, path: Path | str, state: str, message: str, remedy: str, *,
            ref: Reference | None = None, asset_id: str | None = None) -> None:
        self.by_state[state] = self.by_state.get(state, 0) + 1
        self.findings.append(Finding(
            path=Path(path), state=state, severity=severity_of(state, self.strict),
            message=message, remedy=remedy, page=ref.page if ref else None,
            line=ref.line if ref else None, asset_id=asset_id))

    def show(self, path: Path | str) -> str:
        return self._show(Path(path))

    def adopt_command(self, image: Path | str, asset_id: object) -> str:
        """The `assetgen adopt` line for ``image``: a sidecar's asset name is untrusted, so
        every word is shell-quoted; the prompt is left for the user to fill in."""
        named = asset_id if isinstance(asset_id, str) and asset_id else "ID"
        return shell_command("adopt", self.show(image), "--id", named) + ' --prompt "…"'

    def exists(self, key: str) -> bool:
        found = self._exists.get(key)
        if found is None:
            found = self._exists[key] = os.path.isfile(key)
        return found

    def marker(self, key: str) -> tuple[str, str | None] | None:
        """How an undeclared image shows it was generated: its sidecar, or a provenance
        record embedded in the file (read from the header only when there is no sidecar);
        with the asset id the marker names, if any (untrusted text)."""
        if key in self._markers:
            return self._markers[key]
        self._markers[key] = found = self._find_marker(key)
        return found

    def _find_marker(self, key: str) -> tuple[str, str | None] | None:
        if self.exists(key + SUFFIX):
            return "has a provenance sidecar", claimed(Path(key), "asset")

        embedded = embed.read_record_file(key)
        if embedded is not None:
            return "carries an embedded assetgen provenance record", embedded.get("asset")
        return None

    def site_url(self, key: str) -> str:
        """How a page would reference ``key``: `/img/x.png` below output_dir."""
        try:
            return "/" + Path(key).relative_to(self.manifest.output_dir).as_posix()
        except ValueError:
            return self.show(key)

    # -- declared assets: plan's states ----------------------------------------------------

    def owner(self, key: str) -> Asset | None:
        """The asset whose main file or variant ``key`` is."""
        return self.assets_by_file.get(key) or self.variant_owner.get(key)

    def plan(self, selected: list[Asset] | None) -> list[AssetStatus]:
        planner = Planner(self.manifest, hashes=self.hashes)
        statuses = planner.plan(selected)
        self.statuses = {s.asset.id: s for s in statuses}
        for status in statuses:
            if status.sidecar is None:
                continue
            for file in variants.files_of(status.sidecar.well_formed_variants(),
                                          status.asset.base):
                self.variant_owner.setdefault(file_key(file), status.asset)
        return statuses

    def asset_findings(self, statuses: Iterable[AssetStatus],
                       referrers: dict[str, list[Reference]]) -> None:
        for status in statuses:
            asset = status.asset
            state = str(status.state)
            build = f"run `{shell_command('build', asset.id)}`"
            if status.state == State.FRESH:
                self.by_state["fresh"] += 1
            elif status.state == State.MISSING and status.problem_file is not None:
                self.add(status.problem_file, state, status.reason, f"{build} to restore it",
                         asset_id=asset.id)
            elif status.state == State.MISSING:
                refs = referrers.get(file_key(asset.file), [])
                self.add(asset.file, state, "no image file yet" + _used_by(refs, self.show),
                         build, ref=refs[0] if refs else None, asset_id=asset.id)
            elif status.state == State.STALE:
                self.add(asset.file, state, status.reason, build + " to remake it",
                         asset_id=asset.id)
            elif status.state == State.DRAFT:
                self.add(asset.file, state, status.reason, build + " for the real image",
                         asset_id=asset.id)
            elif status.state == State.SUBMITTED:
                self.add(asset.file, state, status.reason,
                         f"run `{shell_command('build')}` once the batch is done "
                         f"(`{shell_command('batch')}` shows it)", asset_id=asset.id)
            elif status.state == State.TAMPERED and status.problem_file is not None:
                # A variant at fault: name that file; build restores it from the master.
                self.add(status.problem_file, state, status.reason,
                         f"{build} to restore it", asset_id=asset.id)
            elif status.state == State.TAMPERED:
                self.add(asset.file, state, "the file's bytes differ from its sidecar's sha256",
                         f"restore it, {build} to remake it, or record your version with "
                         f"`{self.adopt_command(asset.file, asset.id)} --force`",
                         asset_id=asset.id)
            if status.state in (State.FRESH, State.STALE, State.DRAFT):
                self.embedded_findings(status)
            if status.state == State.UNRECORDED:
                self.add(asset.file, state, status.reason,
                         f"{build} to remake it, or record where it came from with "
                         f"`{self.adopt_command(asset.file, asset.id)} --force`",
                         asset_id=asset.id)

    def embedded_findings(self, status: AssetStatus) -> None:
        """The record embedded in each published file must agree with the sidecar."""
        sidecar = status.sidecar
        if sidecar is None:
            return  # nothing says a record was embedded
        files = [status.asset.file, *variants.files_of(sidecar.well_formed_variants(),
                                                       status.asset.base)]
        # Memoised by file fingerprint: a warm verify reads no image headers. A sidecar that
        # records no embedded record (older ones, formats without one) has nothing to compare.
        tag = None
        if embed.says_embedded(sidecar):
            compared = {"embedded": sidecar.embedded, "asset": sidecar.asset,
                        "route": sidecar.route, "model": sidecar.model,
                        "spec_hash": sidecar.spec_hash, "prompt": sidecar.prompt}
            tag = "embedded:" + tagged_hash(compared)
        for path in files:
            try:
                problems = [] if tag is None else self.hashes.remember(
                    path, tag, partial(embed.check_file, path, sidecar))
                if not problems and status.state == State.FRESH:
                    self.marking_findings(path, status)
            except OSError:
                continue  # a missing variant is reported by its state already
            if problems:
                self.add(path, str(State.TAMPERED), "; ".join(problems),
                         f"run `{shell_command('build', status.asset.id, '--force')}` to "
                         "remake it",
                         asset_id=status.asset.id)

    def marking_findings(self, path: Path, status: AssetStatus) -> None:
        """A published generated image must say it is AI-generated, and with signing on
        carry a manifest that validates (SPEC 8: `unmarked`, `uncredentialed`)."""
        sidecar, signing = status.sidecar, self.manifest.signing
        if sidecar is not None and sidecar.source is not None:
            return  # adopted: the user's own bytes, not a file assetgen made
        route = sidecar.route if sidecar is not None else None
        tag = f"marking:{route}:" + credentials.signing_tag(signing)
        for state, problem, remedy in self.hashes.remember(
                path, tag, lambda: credentials.file_findings(path, route, signing)):
            self.add(path, state, problem, remedy.replace("ID", status.asset.id),
                     asset_id=status.asset.id)

    def static_findings(self, referrers: dict[str, list[Reference]],
                        targets: set[str]) -> int:
        checked = 0
        for image in self.manifest.static:
            key = file_key(image.file)
            if not self.scope.has_image(key) and key not in targets:
                continue
            checked += 1
            if not self.exists(key):
                refs = referrers.get(key, [])
                self.add(image.file, "missing",
                         "declared under static: but the file does not exist"
                         + _used_by(refs, self.show),
                         "restore the file, or remove its static: entry",
                         ref=refs[0] if refs else None)
        return checked

    # -- files below output_dir that no entry declares ---------------------------------------

    def undeclared_files(self, targets: set[str]) -> None:
        """Untracked images and orphan sidecars: everywhere, or among what is in scope.

        ``targets`` are the images the in-scope references name: an undeclared image with a
        sidecar that a page uses is `untracked` rather than `unknown`.
        """
        if self.scope.everything:
            images, sidecars = walk_images(self.manifest.output_dir)
        else:
            inside = file_key(self.manifest.output_dir) + os.sep
            candidates = self.scope.images | {t for t in targets if t.startswith(inside)}
            images = [k for k in candidates if self.exists(k)]
            sidecars = [k for k in self.scope.sidecars if self.exists(k)]
        for key in sorted(images):
            if self.owner(key) or key in self.static_by_file:
                continue
            marker = self.marker(key)
            if marker is None:
                continue  # a plain file: `unknown` if a page references it
            named = marker[1]
            what = f" (asset `{named}`)" if named is not None else ""
            self.add(key, "untracked", f"{marker[0]}{what} but no manifest entry declares it",
                     f"record it with `{self.adopt_command(key, named)}`, or delete "
                     "it" + (" and its sidecar" if self.exists(key + SUFFIX) else ""))
        for key in sorted(sidecars):
            image = str(image_path_for(Path(key)))
            if self.owner(image) or self.exists(image):
                continue  # a declared asset whose image is gone is `missing`
            self.add(key, "orphan-sidecar",
                     f"its image {self.show(image)} is gone and no entry declares it",
                     "delete the sidecar, or restore the image")

    # -- references ------------------------------------------------------------------------

    def reference_findings(self, refs: list[tuple[str, Reference]]) -> None:
        unknown: dict[str, list[Reference]] = {}
        broken: list[tuple[str, Reference]] = []
        inside = file_key(self.manifest.output_dir) + os.sep
        for target, ref in refs:
            if ref.kind == UNRESOLVED:
                self.add(ref.page, UNRESOLVED, f"{self.show(ref.page)}:{ref.line} names "
                         f"`{ref.raw}`, built when the site is generated: no path to check",
                         "write the image paths out, or check the images it can name by hand",
                         ref=ref)
                continue
            if target in self.assets_by_file or target in self.static_by_file:
                if ref.attrs and self.exists(target):
                    self.aspect(ref, target)
            elif target in self.variant_owner:
                if not self.exists(target):
                    broken.append((target, ref))
                elif ref.attrs:
                    self.aspect(ref, target)
            elif self.exists(target):
                if not target.startswith(inside) or self.marker(target) is None:
                    unknown.setdefault(target, []).append(ref)
                # a generated but undeclared image below output_dir is `untracked`
            else:
                broken.append((target, ref))
        for target, users in unknown.items():
            remedy = ("declare it under static: (hand-made) or record it with "
                      f"`{self.adopt_command(target, None)}` (generated)") \
                if target.startswith(inside) \
                else self.declare_in_place(target)
            self.add(target, "unknown", "referenced" + _used_by(users, self.show, lead=" by")
                     + ", but neither declared under assets: nor static:", remedy,
                     ref=users[0])
        declared = None
        for target, ref in broken:
            if declared is None:
                declared = [self.site_url(k) for k in (*self.assets_by_file,
                                                       *self.static_by_file)]
            close = difflib.get_close_matches(self.site_url(target), declared, n=1) \
                if len(broken) <= 50 else []
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            owner = self.variant_owner.get(target)
            remedy = f"run `{shell_command('build', owner.id)}` (it writes this variant), " \
                "or fix the reference" if owner else f"fix the reference{hint}, or add the image"
            self.add(target, "broken-ref",
                     f"{self.show(ref.page)}:{ref.line} references `{ref.raw}`, which does "
                     "not exist", remedy, ref=ref, asset_id=owner.id if owner else None)

    def declare_in_place(self, target: str) -> str:
        """The remedy for an image outside output_dir: declare it where it is (moving a
        bundled image below output_dir would break the site's build)."""
        root = next((r for r in sorted(self.roots, key=len, reverse=True)
                     if target.startswith(r + os.sep)), os.path.dirname(target))
        rel = Path(os.path.relpath(target, root)).as_posix()
        folder = Path(os.path.relpath(root, self.manifest.root)).as_posix()
        return (f"declare it where it is, with `path: {rel}` and `root: {folder}`: under "
                "static: (hand-made) or assets: (generated)")

    def aspect(self, ref: Reference, target: str) -> None:
        attrs = ref.attrs or {}
        width, height = pixels(attrs.get("width")), pixels(attrs.get("height"))
        if not width or not height:
            return
        dims = self.dimensions(target)
        if dims is None:
            return
        real_w, real_h = dims
        expected_h = width * real_h / real_w
        if abs(expected_h - height) <= max(1.0, _ASPECT_TOLERANCE * height):
            return
        asset = self.owner(target)
        self.add(target, "aspect-mismatch",
                 f"{self.show(ref.page)}:{ref.line} sets width={attrs['width']} "
                 f"height={attrs['height']} ({width / height:.3g}:1) but the image is "
                 f"{real_w}x{real_h} ({real_w / real_h:.3g}:1): the layout will shift",
                 f"use width/height with its aspect ratio, e.g. width=\"{width}\" "
                 f"height=\"{round(expected_h)}\"", ref=ref,
                 asset_id=asset.id if asset else None)

    def dimensions(self, target: str) -> tuple[int, int] | None:
        if target in self._dims:
            return self._dims[target]
        dims: tuple[int, int] | None = None
        asset = self.assets_by_file.get(target)
        status = self.statuses.get(asset.id) if asset else None
        if status is not None and status.state in _SIDECAR_TRUSTED and status.sidecar:
            w, h = status.sidecar.width, status.sidecar.height
            if w > 0 and h > 0:
                dims = (w, h)
        if dims is None and not target.lower().endswith(".svg"):
            dims = read_dimensions(target)
        self._dims[target] = dims
        return dims

    def unreferenced(self, statuses: Iterable[AssetStatus],
                     referrers: dict[str, list[Reference]]) -> None:
        used = {dep for a in self.manifest.assets for dep in a.dependencies}
        used.update(owner.id for key in referrers if (owner := self.owner(key)) is not None)
        for status in statuses:
            asset = status.asset
            if asset.id in used:
                continue
            self.add(asset.file, "unreferenced",
                     f"asset `{asset.id}` is declared but no source page references it",
                     "use it on a page, or remove its manifest entry (and the file)",
                     asset_id=asset.id)


def check(manifest: Manifest, *, hashes: HashCache | None = None,
          files: Sequence[Path] | None = None, strict: bool = False,
          show: Callable[[Path], str] | None = None,
          scan: ScanResult | None = None, pages: HashCache | None = None) -> LineageReport:
    """Every lineage problem of ``manifest``'s site, or of what ``files`` touch.

    ``files`` are absolute paths (as pre-commit passes them, made absolute): an image or its
    sidecar selects that asset (and the edits made from it), a page its references, the
    manifest everything. ``None`` checks the whole site. ``strict`` turns warnings into errors.
    ``show`` renders paths inside messages (default: relative to the manifest's folder).
    ``pages``: where unchanged pages' references are remembered (`verify.page_memo`; its
    own file, so that a build, which reads the file hashes, never loads them).
    """
    checker = _Checker(manifest, hashes or HashCache(None), strict, Scope(),
                       show or manifest.rel)
    scope = checker.scope = scope_for(manifest, files, checker.owner)
    resolver = resolver_for(manifest)
    checker.roots = resolver.roots
    if scope.everything:
        for folder in missing_folders(manifest):
            checker.add(folder.folder, "no-folder", f"{checker.show(manifest.file)}:"
                        f"{folder.line}: {folder.message}", folder.remedy)
            checker.findings[-1] = checker.findings[-1]._replace(page=manifest.file,
                                                                 line=folder.line)
    if scan is None:
        scan = scan_sources(manifest.root, manifest.sources, manifest.output_dir, resolver,
                            hashes=pages)
    referrers: dict[str, list[Reference]] = {}
    in_scope_refs: list[tuple[str, Reference]] = []
    for ref in scan.references:
        target = os.fspath(ref.target)  # the scanner gives absolute, normalised paths
        referrers.setdefault(target, []).append(ref)
        if scope.has_ref(ref, target):
            in_scope_refs.append((target, ref))
            asset = checker.owner(target)
            if asset is not None and not scope.everything:
                scope.assets.add(asset.id)

    wanted = None if scope.everything else with_dependents(manifest, scope.assets)
    selected = None if wanted is None else [a for a in manifest.assets if a.id in wanted]
    statuses = [s for s in checker.plan(selected) if wanted is None or s.asset.id in wanted] \
        if selected != [] else []
    targets = {target for target, _ in in_scope_refs}
    checker.asset_findings(statuses, referrers)
    static = checker.static_findings(referrers, targets)
    checker.undeclared_files(targets)
    checker.reference_findings(in_scope_refs)
    if manifest.sources:  # without pages, every asset would look unused
        checker.unreferenced(statuses, referrers)
    return LineageReport(findings=checker.findings, by_state=checker.by_state,
                         assets=len(statuses), static=static, references=len(in_scope_refs),
                         pages=scan.pages, skipped=dict(scan.skipped),
                         scoped=not scope.everything,
                         files=concerned(scope, scan.page_files, resolver.roots))


def _used_by(refs: list[Reference], show: Callable[[Path], str], lead: str = "; used by") -> str:
    if not refs:
        return ""
    first = f"{lead} {show(refs[0].page)}:{refs[0].line}"
    more = len(refs) - 1
    return first + (f" and {more} more reference{'s' if more > 1 else ''}" if more else "")
