"""`assetgen report`: one self-contained HTML gallery of every asset.

Each declared asset and `static:` image gets a card: an embedded, downscaled
thumbnail, its lineage state, its prompt and settings, and what its sidecar
recorded (cost, billing, created_at, request id, inputs). The page needs no
network: thumbnails are data URIs, the CSS and the few lines of filter script
are inline. Prompts and sidecar fields are untrusted text, so the template is
rendered with autoescaping on.
"""

from __future__ import annotations

import base64
import os
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from assetgen import TOOL
from assetgen.build.credentials import report_facts
from assetgen.build.planner import AssetStatus, Planner
from assetgen.commands.common import open_manifest
from assetgen.core.fsutil import atomic_write, ensure_state_dir
from assetgen.core.hashcache import HASHES_FILE, HashCache
from assetgen.errors import EXIT_OK, AssetgenError, ImageError
from assetgen.images.cost import format_usd
from assetgen.images.thumbnails import webp_thumbnail
from assetgen.manifest import Manifest, StaticImage
from assetgen.provenance.record import Record

THUMB_BOX = (480, 360)  # fits a 4:3 tile; ~2x the card width on a dense screen
THUMB_QUALITY = 80
MAX_SVG_BYTES = 512 * 1024
STATE_ORDER = ("fresh", "draft", "submitted", "stale", "missing", "unrecorded", "tampered",
               "static")
STATIC_ROUTE = "static"


@dataclass
class Thumb:
    kind: str  # "image" | "missing" | "unreadable" | "omitted"
    src: str = ""
    width: int = 0
    height: int = 0
    note: str = ""  # why there is no image, or what the file is
    info: str = ""  # "1536×1024 · webp · 80 KB" of the original


@dataclass
class Link:
    label: str
    href: str | None = None  # an in-page anchor, or None for plain text


@dataclass
class Card:
    anchor: str
    kind: str  # "asset" | "static"
    title: str
    path: str
    state: str
    reason: str
    route: str  # the filter key: the declared route, or "static"
    thumb: Thumb
    original: str | None = None  # relative href from the report to the image file
    prompt: str = ""
    revised_prompt: str = ""
    alt: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    inputs: list[Link] = field(default_factory=list)
    mask: str | None = None
    used_by: list[Link] = field(default_factory=list)
    created_at: str = ""
    created_label: str = ""

    @property
    def search_text(self) -> str:
        return " ".join([self.title, self.path, self.prompt, self.alt, self.state,
                         self.route]).lower()


# -- thumbnails -----------------------------------------------------------------


def _human_bytes(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def make_thumb(path: Path) -> Thumb:
    """A small WebP data URI of ``path``; a neutral tile when it is missing or unreadable."""
    try:
        if not path.is_file():
            return Thumb("missing", note="no file yet")
        size = path.stat().st_size
    except OSError as exc:
        return Thumb("unreadable", note=exc.strerror or "cannot be read")
    if path.suffix.lower() == ".svg":
        return _svg_thumb(path, size)
    try:
        thumb = webp_thumbnail(path, THUMB_BOX, THUMB_QUALITY)
    except ImageError as exc:
        return Thumb("unreadable", note=exc.message, info=_human_bytes(size))
    data = base64.b64encode(thumb.webp).decode("ascii")
    return Thumb("image", src=f"data:image/webp;base64,{data}", width=thumb.width,
                 height=thumb.height, info=f"{thumb.source_width}×{thumb.source_height} · "
                 f"{thumb.source_format} · {_human_bytes(size)}")


def _svg_thumb(path: Path, size: int) -> Thumb:
    info = f"svg · {_human_bytes(size)}"
    if size > MAX_SVG_BYTES:
        return Thumb("omitted", note="SVG too large to embed", info=info)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Thumb("unreadable", note=exc.strerror or "cannot be read", info=info)
    if b"<svg" not in data.lower():
        return Thumb("unreadable", note="not an SVG document", info=info)
    encoded = base64.b64encode(data).decode("ascii")
    # <img> never runs scripts inside an SVG, so embedding it as-is is safe.
    return Thumb("image", src=f"data:image/svg+xml;base64,{encoded}", info=info)


# -- cards ------------------------------------------------------------------------


def _created(value: Any) -> tuple[str, str]:
    if not isinstance(value, str) or not value:
        return "", ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value, value
    return value, moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _usd(value: float) -> str:
    return "$0.00" if value == 0 else format_usd(value)


def _cost_text(sidecar: Record | None) -> str:
    if sidecar is None:
        return ""
    if sidecar.billing == "none":
        return "not billed"
    if sidecar.cost_usd is None:
        return ""
    estimate = sidecar.cost_basis == "estimate"
    return _usd(float(sidecar.cost_usd)) + (" (estimate)" if estimate else "")


def asset_card(status: AssetStatus, manifest: Manifest, href: str | None,
               thumb: Thumb) -> Card:
    asset = status.asset
    sidecar = status.sidecar
    size = asset.size + (f" → {asset.width}×{asset.height}" if asset.width else "")
    facts: list[tuple[str, str]] = [("Route", asset.route)]
    made_by = sidecar.route if sidecar else ""
    if made_by and made_by.split(".")[0] != asset.route:
        facts.append(("Made by", made_by))
    facts += [("Model", asset.model)]
    if sidecar and sidecar.responses_model:
        facts.append(("Text model", sidecar.responses_model))
    facts += [("Quality", asset.quality), ("Size", size)]
    widths = getattr(asset, "variant_widths", ())
    if widths:
        formats = getattr(asset, "variant_formats", ()) or (asset.format,)
        facts.append(("Variants", ", ".join(f"{w}w" for w in widths) + " · "
                      + ", ".join(formats)))
    cost_text = _cost_text(sidecar)
    if cost_text:
        facts.append(("Cost", cost_text))
    elif status.needs_build and status.estimate_usd:
        facts.append(("Next build", "≈ " + format_usd(status.estimate_usd)))
    if sidecar and sidecar.billing:
        facts.append(("Billing", sidecar.billing))
    created_at, created_label = _created(sidecar.created_at if sidecar else None)
    if created_label:
        facts.append(("Created", created_label))
    request_id = (sidecar.request_id or sidecar.response_id) if sidecar else None
    if request_id:
        facts.append(("Request", request_id))
    if sidecar and sidecar.session:
        facts.append(("Session", sidecar.session))
    if thumb.info:
        facts.append(("File", thumb.info))
    facts += report_facts(sidecar)

    inputs = []
    for item in asset.inputs:
        if item.asset_id:
            inputs.append(Link(item.asset_id, f"#asset-{item.asset_id}"))
        else:
            inputs.append(Link(item.ref))
    mask = manifest.rel(asset.mask) if asset.mask else None
    used_by = [Link(dep, f"#asset-{dep}") for dep in manifest.dependents_of(asset.id)]
    revised = sidecar.revised_prompt if sidecar else None
    return Card(
        anchor=f"asset-{asset.id}", kind="asset", title=asset.id, path=asset.path,
        state=str(status.state), reason=status.reason if str(status.state) != "fresh" else "",
        route=asset.route, thumb=thumb, original=href, prompt=asset.prompt,
        revised_prompt=revised if revised is not None and revised != asset.prompt else "",
        alt=asset.alt or "", facts=facts, inputs=inputs, mask=mask, used_by=used_by,
        created_at=created_at, created_label=created_label,
    )


def static_card(index: int, image: StaticImage, href: str | None, thumb: Thumb) -> Card:
    exists = thumb.kind != "missing"
    facts = [("Route", "static (hand-made)")]
    if image.author:
        facts.append(("Author", image.author))
    if image.license:
        facts.append(("License", image.license))
    if thumb.info:
        facts.append(("File", thumb.info))
    return Card(
        anchor=f"static-{index + 1}", kind="static", title=Path(image.path).name,
        path=image.path, state="static" if exists else "missing",
        reason="" if exists else "declared under static: but the file does not exist",
        route=STATIC_ROUTE, thumb=thumb, original=href, facts=facts,
    )


def _href(file: Path, page: Path) -> str | None:
    if not file.is_file():
        return None
    relative = os.path.relpath(file, page.parent)
    return urllib.parse.quote(Path(relative).as_posix())


def _ordered(counts: Counter[str], order: tuple[str, ...]) -> list[tuple[str, int]]:
    known = [(k, counts[k]) for k in order if k in counts]
    return known + sorted((k, v) for k, v in counts.items() if k not in order)


def summarise(statuses: list[AssetStatus], cards: list[Card]) -> dict[str, Any]:
    billing: dict[str, dict[str, float]] = {}
    recorded = 0.0
    for status in statuses:
        sidecar = status.sidecar
        if sidecar is None:
            continue
        value = sidecar.cost_usd or 0.0
        surface = sidecar.billing or "unrecorded"
        entry = billing.setdefault(surface, {"count": 0, "cost": 0.0})
        entry["count"] += 1
        entry["cost"] += float(value)
        recorded += float(value)
    work = [s for s in statuses if s.needs_build]
    states = _ordered(Counter(c.state for c in cards), STATE_ORDER)
    routes = sorted(Counter(c.route for c in cards).items(),
                    key=lambda item: (item[0] == STATIC_ROUTE, item[0]))
    total = len(cards) or 1
    return {
        "total": len(cards),
        "assets": len(statuses),
        "static": len(cards) - len(statuses),
        "states": states,
        "state_shares": [(state, count * 100 / total) for state, count in states],
        "routes": routes,
        "recorded_cost": _usd(recorded),
        "billing": [(name, int(v["count"]), _usd(v["cost"]))
                    for name, v in sorted(billing.items())],
        "to_build": len(work),
        "estimate": _usd(sum(s.estimate_usd for s in work)),
    }


def collect(manifest: Manifest, page: Path) -> tuple[list[AssetStatus], list[Card]]:
    hashes = HashCache(manifest.state_dir / HASHES_FILE, root=manifest.root)
    statuses = Planner(manifest, hashes=hashes).plan()
    hashes.save()
    order = {asset.id: index for index, asset in enumerate(manifest.assets)}
    statuses.sort(key=lambda s: order.get(s.asset.id, 0))  # manifest order, not build order
    files = [s.asset.file for s in statuses] + [image.file for image in manifest.static]
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        thumbs = list(pool.map(make_thumb, files))
    cards = [asset_card(status, manifest, _href(status.asset.file, page), thumb)
             for status, thumb in zip(statuses, thumbs, strict=False)]
    for index, image in enumerate(manifest.static):
        thumb = thumbs[len(statuses) + index]
        cards.append(static_card(index, image, _href(image.file, page), thumb))
    return statuses, cards


def render(manifest: Manifest, statuses: list[AssetStatus], cards: list[Card]) -> str:
    import jinja2

    source = resources.files("assetgen").joinpath("templates/report.html.j2")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(source.read_text(encoding="utf-8"))
    now = datetime.now(UTC)
    return template.render(
        title=manifest.root.name or "site",
        manifest=manifest.file.name,
        root=str(manifest.root),
        output_dir=manifest.rel(manifest.output_dir),
        generated=now.strftime("%Y-%m-%d %H:%M UTC"),
        generated_iso=now.isoformat(timespec="seconds"),
        tool=TOOL,
        cards=cards,
        summary=summarise(statuses, cards),
        long_prompt=280,
    )


@dataclass
class ReportResult:
    page: Path
    assets: int
    static: int
    cwd: Path  # the page is shown relative to it
    exit_code: int = EXIT_OK


def run(manifest_path: Path | None, cwd: Path, *, output: Path | None) -> ReportResult:
    manifest = open_manifest(manifest_path, cwd)
    # The default page lives in the state folder, which is written only inside the
    # repository (never through a symlink out of it); a page named with -o is the user's.
    page = output.resolve() if output is not None else manifest.state_dir / "report.html"
    if page.is_dir():
        raise AssetgenError(f"{page}: is a folder", hint="give -o a file name, e.g. report.html")
    statuses, cards = collect(manifest, page)
    html = render(manifest, statuses, cards)
    try:
        if output is None:
            ensure_state_dir(manifest.state_dir, root=manifest.root)
        atomic_write(page, html.encode("utf-8"),
                     root=manifest.root if output is None else None)
    except OSError as exc:
        raise AssetgenError(f"cannot write the report to {page}: {exc.strerror or exc}",
                            hint="choose another place with -o FILE") from exc
    return ReportResult(page, assets=len(statuses), static=len(cards) - len(statuses),
                        cwd=cwd)
