"""Lineage states, spec hashes, the next action and build order.

The spec of an asset is every input that shapes its image, split in two:
the *generation* spec (what a route is asked: route, models, prompt, size,
quality, background, API format, input hashes) and the *derivation* spec
(what is done locally: chroma keying, fitting, the final format, variants and
encoder settings). `spec_hash` covers both; the generation hash keys the
masters cache and leaves out the format asked of the API, because any master
converts to any output format (SPEC 2.1: a format-only change never pays again).
When only the derivation changed (the sidecar's `generation_hash` is still the
current one), the next build *re-derives* from the cached master for free; so it
does when the master of the current generation spec is cached (a renamed
`hero.png` → `hero.webp`, a build killed after the answer arrived). If the
sidecar's master is gone it says so instead of paying again without being asked
(`build --force ID`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from assetgen.build.masters import MastersCache, index_key
from assetgen.build.submissions import SubmissionStore, pending_lines
from assetgen.core.canonical import tagged_hash
from assetgen.core.fsutil import escapes
from assetgen.core.hashcache import HashCache
from assetgen.core.remedies import shell_command
from assetgen.images import cost
from assetgen.images import variants as variant_rules
from assetgen.images.chroma import prompt_suffix
from assetgen.images.formats import API_FORMATS, api_format_for
from assetgen.images.headers import read_header
from assetgen.images.models import STANDARD_TIER
from assetgen.manifest import Asset, Manifest
from assetgen.provenance.record import CorruptSidecar, Record
from assetgen.provenance.sidecar import read_sidecar
from assetgen.routes.registry import DRAFT_ROUTE, is_priced, route_info


class State(StrEnum):
    FRESH = "fresh"
    MISSING = "missing"
    STALE = "stale"
    TAMPERED = "tampered"
    UNRECORDED = "unrecorded"
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting in an OpenAI batch (SPEC 9)


class Next(StrEnum):
    """What the next build does with an asset."""

    NOTHING = "-"
    BUILD = "build"  # ask the route (or reuse a cached master for the same request)
    REDERIVE = "rederive"  # only the derivation changed: re-derive from the master, free
    FORCE = "needs --force"  # only the derivation changed but the master is gone
    WAIT = "wait for batch"  # its request is in a batch: collected by a later build


def effective_route(asset: Asset, draft_mode: bool) -> str:
    return DRAFT_ROUTE if draft_mode else asset.route


def request_prompt(asset: Asset) -> str:
    """The prompt sent: the rendered one, plus the key-colour instruction for chroma assets."""
    if asset.transparent == "chroma":
        return f"{asset.prompt}\n\n{prompt_suffix(asset.chroma_key or '#00ff00')}"
    return asset.prompt


def request_format(asset: Asset) -> str:
    """The format asked of the route: a lossless PNG master for chroma keying."""
    return "png" if asset.transparent == "chroma" else api_format_for(asset.format)


def generation_spec(asset: Asset, manifest: Manifest, route: str,
                    input_hashes: dict[str, str | None], mask_hash: str | None
                    ) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "route": route,
        "model": asset.model,
        "prompt": request_prompt(asset),
        "size": asset.size,
        "quality": asset.quality,
        "background": asset.background,
        "format": request_format(asset),
        "inputs": [{"ref": i.ref, "sha256": input_hashes.get(i.ref)} for i in asset.inputs],
        "mask": mask_hash,
        "fidelity": asset.fidelity,
    }
    # What else shapes this route's answer (the responses route's top-level model, ...).
    spec.update(route_info(route).spec_extras(asset, manifest.route_settings(route)))
    return spec


def derivation_spec(asset: Asset) -> dict[str, Any]:
    postprocess: list[dict[str, Any]] = []
    if asset.transparent == "chroma":
        postprocess.append({"op": "chroma-key", "key": asset.chroma_key})
    if asset.width and asset.height:
        postprocess.append({"op": "fit", "width": asset.width, "height": asset.height,
                            "method": "cover-centre-crop"})
    return {"format": asset.format, "postprocess": postprocess,
            **variant_rules.derivation(asset)}


def spec_hash_of(generation: dict[str, Any], derivation: dict[str, Any]) -> str:
    return tagged_hash({"generation": generation, "derivation": derivation})


def generation_hash_of(generation: dict[str, Any]) -> str:
    """The masters cache key, recorded in sidecars as `generation_hash`.

    The asked `format` is not part of it: a webp master re-encodes to a png of the same
    pixels (lossy once, never worse), a png master to anything. `spec_hash` keeps the
    format, so the file is still stale when only its format changed.
    """
    return spec_hash_of({k: v for k, v in generation.items() if k != "format"}, {})


def generation_hashes(generation: dict[str, Any]) -> Iterator[str]:
    """Every hash that names this generation spec: the current one first, then those of
    sidecars and masters written while the asked format was still part of the hash
    (computed as they are asked for: the first usually answers)."""
    yield generation_hash_of(generation)
    for fmt in sorted(API_FORMATS):
        yield spec_hash_of({**generation, "format": fmt}, {})


def same_generation(recorded: Any, generation: dict[str, Any]) -> bool:
    """Whether a sidecar's `generation_hash` names this generation spec."""
    return isinstance(recorded, str) and recorded in generation_hashes(generation)


_DERIVATION_PARTS = (("format", "format"), ("postprocess", "fitting/transparency"),
                     ("variants", "variants"), ("encoding", "encoding"))


def derivation_changes(recorded: Any, current: dict[str, Any]) -> str:
    """`variants, encoding`: what differs between a sidecar's derivation and the manifest's."""
    if not isinstance(recorded, dict):
        return "fitting, format, variants or encoding"
    changed = [label for key, label in _DERIVATION_PARTS
               if recorded.get(key) != current.get(key)]
    return ", ".join(changed) or "settings"


@dataclass
class AssetStatus:
    """One asset's state in a plan, the reason for it and what the next build does."""

    asset: Asset
    state: State
    reason: str
    route: str  # the route the next build would use
    spec_hash: str
    generation: dict[str, Any]
    derivation: dict[str, Any]
    sidecar: Record | None = None
    sha256: str | None = None  # of the file on disk
    needs_build: bool = False
    estimate_usd: float = 0.0
    blocked_by: list[str] = field(default_factory=list)  # inputs that will change first
    next: Next = Next.NOTHING
    problem_file: Path | None = None  # a variant at fault, when not the main file
    master_generation: dict[str, Any] | None = None  # the spec the sidecar's master answers
    from_cache: bool = False  # REDERIVE from the master cached for this spec, not the sidecar

    @property
    def generation_hash(self) -> str:
        return generation_hash_of(self.generation)

    def as_json(self) -> dict[str, Any]:
        a = self.asset
        return {
            "id": a.id, "path": a.path, "state": str(self.state), "reason": self.reason,
            "route": self.route, "model": a.model, "size": a.size, "quality": a.quality,
            "final_size": [a.width, a.height] if a.width else None, "format": a.format,
            "needs_build": self.needs_build, "next": str(self.next),
            "estimated_cost_usd": self.estimate_usd,
            "spec_hash": self.spec_hash, "depends_on": list(a.dependencies),
            "variants": [entry["file"] for entry in
                         (self.sidecar.well_formed_variants() if self.sidecar else ())],
        }


def build_order(manifest: Manifest, selected: list[Asset] | None = None) -> list[Asset]:
    """Assets in dependency order (inputs first), stable by manifest order."""
    wanted = selected if selected is not None else list(manifest.assets)
    ordered: list[Asset] = []
    done: set[str] = set()

    def visit(asset: Asset, trail: set[str]) -> None:
        if asset.id in done or asset.id in trail:
            return
        for dep in asset.dependencies:
            if dep in manifest.by_id:
                visit(manifest.by_id[dep], trail | {asset.id})
        done.add(asset.id)
        ordered.append(asset)

    for asset in wanted:
        visit(asset, set())
    return ordered


class Planner:
    """Works out each asset's state, in dependency order, with one hash cache."""

    def __init__(self, manifest: Manifest, *, draft_mode: bool = False, force: bool = False,
                 hashes: HashCache | None = None, tier: str = STANDARD_TIER) -> None:
        """``tier``: the price tier images-route requests are estimated at (`batch` for
        `build --batch`)."""
        self.manifest = manifest
        self.tier = tier
        self.batch_records = SubmissionStore(manifest.state_dir, manifest.root)
        self.submitted = pending_lines(self.batch_records.load_all())
        self.draft_mode = draft_mode
        self.force = force
        self.hashes = hashes or HashCache(None)
        self.statuses: dict[str, AssetStatus] = {}
        self.masters = MastersCache(manifest.masters_folder, root=manifest.root)
        # The masters index, listed once per `plan` pass (see _master_cached).
        self._indexed: frozenset[str] | None = None
        self._planning = False
        self.resolved_paths: dict[str, str] = {}  # folders already resolved, for escapes()

    def file_hash(self, path: Any) -> str | None:
        try:
            return self.hashes.sha256(path)
        except OSError:
            return None

    def status(self, asset: Asset) -> AssetStatus:
        """State of one asset given the files on disk now (inputs included)."""
        route = effective_route(asset, self.draft_mode)
        input_hashes: dict[str, str | None] = {}
        blocked_by = []
        for item in asset.inputs:
            input_hashes[item.ref] = self.file_hash(item.path)
            upstream = self.statuses.get(item.asset_id or "")
            if upstream is not None and upstream.needs_build:
                blocked_by.append(item.asset_id or item.ref)
        mask_hash = self.file_hash(asset.mask) if asset.mask else None
        generation = generation_spec(asset, self.manifest, route, input_hashes, mask_hash)
        derivation = derivation_spec(asset)
        spec_hash = spec_hash_of(generation, derivation)
        status = AssetStatus(asset=asset, state=State.MISSING, reason="", route=route,
                             spec_hash=spec_hash, generation=generation, derivation=derivation,
                             blocked_by=blocked_by)
        self._classify(status)
        status.needs_build = self.force or self._needs_build(status)
        if status.needs_build:
            status.next = self._next(status)
            # (hashed only when batches wait: most plans have none)
            waiting = self.submitted.get(status.generation_hash) if self.submitted else None
            if status.next == Next.BUILD and waiting is not None and route == "images":
                batch = waiting[0].batch_id or "(being submitted)"
                status.state, status.next = State.SUBMITTED, Next.WAIT
                status.reason = f"waiting in batch {batch}; a later build collects it"
            elif status.next == Next.BUILD:
                status.estimate_usd = self.estimate(asset, route)
            elif status.next == Next.FORCE:
                price = self.estimate(asset, asset.route)
                paid = f" (≈ {cost.format_usd(price)})" if price else ""
                again = shell_command("build", "--force", asset.id)
                status.reason = (f"{status.reason}; master missing: rebuilding will pay "
                                 f"again{paid} — run `{again}`")
        self.statuses[asset.id] = status
        return status

    def plan(self, selected: list[Asset] | None = None) -> list[AssetStatus]:
        ordered = build_order(self.manifest, selected)
        self.hashes.prefetch(asset.file for asset in ordered)
        self._planning = True
        try:
            return [self.status(asset) for asset in ordered]
        finally:
            self._planning, self._indexed = False, None

    def _classify(self, status: AssetStatus) -> None:
        asset = status.asset
        digest = self.file_hash(asset.file)  # one stat (the hash cache's) for most files
        if digest is None and not asset.file.exists():
            status.state, status.reason = State.MISSING, "no image file yet"
            return
        try:
            sidecar = read_sidecar(asset.file)
        except CorruptSidecar as exc:
            status.state, status.reason = State.UNRECORDED, f"unreadable sidecar ({exc})"
            return
        status.sha256 = digest
        status.sidecar = sidecar
        if sidecar is None:
            status.state, status.reason = State.UNRECORDED, "image has no provenance sidecar"
            return
        if sidecar.sha256 != status.sha256:
            status.state, status.reason = State.TAMPERED, "file bytes differ from the sidecar"
            return
        issue = self._variant_issue(sidecar, status.asset.base)
        if issue is not None:  # like the main file's bytes: before staleness or drafts
            status.state, status.reason, status.problem_file = issue
        elif sidecar.route == "draft":
            status.state = State.DRAFT
            status.reason = "placeholder from the draft route"
            draft_wanted = self.draft_mode or asset.route == "draft"
            if draft_wanted and (sidecar.spec_hash != status.spec_hash
                                 or status.blocked_by):
                status.reason = "draft placeholder out of date: " + self._why_stale(status)
        elif sidecar.spec_hash != self._real_spec_hash(status):
            status.state, status.reason = State.STALE, self._why_stale(status)
        elif status.blocked_by:
            status.state = State.STALE
            status.reason = "input " + ", ".join(status.blocked_by) + " will be rebuilt first"
        else:
            status.state, status.reason = State.FRESH, "up to date"

    def _variant_issue(self, sidecar: Record, base: Path) -> tuple[State, str, Path] | None:
        """The first recorded variant that is gone or changed, if any (names are relative
        to ``base``, the asset's folder: output_dir or its own root)."""
        output_dir = base
        for entry in sidecar.well_formed_variants():
            rel = entry["file"]
            if escapes(rel, output_dir, self.resolved_paths):
                continue
            path = output_dir / rel
            if not path.is_file():
                return State.MISSING, f"variant {rel} is missing", path
            if self.file_hash(path) != entry["sha256"]:
                return State.TAMPERED, f"variant {rel}: bytes differ from the sidecar", path
        return None

    def _real_generation(self, status: AssetStatus) -> dict[str, Any]:
        """The generation spec of the asset's own route (also under --draft)."""
        if not self.draft_mode:
            return status.generation
        asset = status.asset
        generation = status.generation
        return generation_spec(asset, self.manifest, asset.route,
                               {i["ref"]: i["sha256"] for i in generation["inputs"]},
                               generation["mask"])

    def _next(self, status: AssetStatus) -> Next:
        """Build, or re-derive from a master already paid for."""
        if self.force or status.blocked_by:
            return Next.BUILD
        following = self._next_from_sidecar(status)
        if following != Next.BUILD:
            return following
        if self._master_cached(status.generation):
            # The answer to this very request is cached (a format-only rename, a build
            # killed after the answer arrived, a setting changed and changed back).
            status.from_cache = True
            status.reason += "; its master is cached: no request"
            return Next.REDERIVE
        return Next.BUILD

    def _next_from_sidecar(self, status: AssetStatus) -> Next:
        """Re-derive from the sidecar's master when only the derivation changed."""
        sidecar = status.sidecar
        if sidecar is None:
            return Next.BUILD
        placeholder = sidecar.route == "draft"
        if status.state == State.DRAFT or (placeholder and status.problem_file is not None):
            if not (self.draft_mode or status.asset.route == "draft"):
                return Next.BUILD  # a plain build replaces placeholders
            generation = status.generation
        elif status.state == State.STALE or status.problem_file is not None:
            generation = self._real_generation(status)
        else:
            return Next.BUILD
        if not same_generation(sidecar.generation_hash, generation):
            return Next.BUILD
        status.master_generation = generation
        if self._has_master(sidecar, generation):
            return Next.REDERIVE
        if sidecar.route == "draft":
            return Next.BUILD  # a placeholder costs nothing to draw again
        return Next.FORCE

    def _has_master(self, sidecar: Record, generation: dict[str, Any]) -> bool:
        master = sidecar.master_file()
        if master is not None and self.masters.has_sha(*master):
            return True
        return self._master_cached(generation)

    def _master_cached(self, generation: dict[str, Any]) -> bool:
        """Whether a master answering ``generation`` is in the masters cache's index: listed
        once per `plan` pass (a first build asks it of every asset, and finds nothing), and
        again for each `status` asked alone (the engine's, after inputs were rebuilt, when
        the build may have cached new masters)."""
        indexed = self._indexed
        if indexed is None:
            indexed = self.masters.indexed()
            if self._planning:
                self._indexed = indexed
        return bool(indexed) and any(
            index_key(h) in indexed for h in generation_hashes(generation))

    def _real_spec_hash(self, status: AssetStatus) -> str:
        """A real image is judged against its own route's spec, even under --draft."""
        if not self.draft_mode:
            return status.spec_hash
        return spec_hash_of(self._real_generation(status), status.derivation)

    def _needs_build(self, status: AssetStatus) -> bool:
        if status.state == State.FRESH:
            return False
        if status.state == State.DRAFT:
            draft_is_wanted = self.draft_mode or status.asset.route == "draft"
            up_to_date = status.sidecar is not None \
                and status.sidecar.spec_hash == status.spec_hash
            return not (draft_is_wanted and up_to_date and not status.blocked_by)
        return True

    def _why_stale(self, status: AssetStatus) -> str:
        sidecar, asset = status.sidecar, status.asset
        if sidecar is None:
            return "settings changed since it was made"
        draft = sidecar.route == "draft"
        generation = status.generation if draft else self._real_generation(status)
        if same_generation(sidecar.generation_hash, generation) \
                and not status.blocked_by:
            return "derivation changed (" + derivation_changes(
                sidecar.derivation, status.derivation) + ")"
        changed = []
        for key, was, now in (("prompt", sidecar.prompt, request_prompt(asset)),
                              ("model", sidecar.model, asset.model),
                              ("quality", sidecar.quality, asset.quality),
                              ("size", sidecar.size, asset.size)):
            if was != now:
                changed.append(f"{key} changed")
        recorded_route = sidecar.route
        if recorded_route and recorded_route.split(".")[0] not in (asset.route, "adopted") \
                and not self.draft_mode:
            changed.append(f"route changed ({recorded_route} → {asset.route})")
        recorded_inputs = {i.get("ref"): i.get("sha256") for i in sidecar.inputs or []}
        for item in status.generation["inputs"]:
            if item["ref"] in recorded_inputs and recorded_inputs[item["ref"]] != item["sha256"]:
                changed.append(f"input {item['ref']} changed")
        if status.blocked_by:
            changed.append("input " + ", ".join(status.blocked_by) + " will be rebuilt")
        return "; ".join(changed) or "settings changed since it was made"

    def estimate(self, asset: Asset, route: str) -> float:
        if not is_priced(route):
            return 0.0  # not billed in USD by OpenAI token prices
        input_sizes = []
        for item in asset.inputs:
            input_sizes.append(_size_hint(item.path, asset.size))
        return cost.estimate_usd(size=asset.size, quality=asset.quality, prompt=asset.prompt,
                                 input_sizes=tuple(input_sizes), fidelity=asset.fidelity,
                                 model=asset.model,
                                 tier=self.tier if route == "images" else STANDARD_TIER)


def _size_hint(path: Any, fallback: str) -> tuple[int, int]:
    """An input's pixel size for estimates: read the header if it exists."""
    header = read_header(path)
    if header is not None:
        return header.width, header.height
    width, _, height = fallback.partition("x")
    if width.isdigit() and height.isdigit():
        return int(width), int(height)
    return 1024, 1024
