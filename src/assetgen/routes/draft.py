"""The offline `draft` route: a deterministic Pillow placeholder, no key, no network."""

from __future__ import annotations

import asyncio

from assetgen.images.codec import encode
from assetgen.images.placeholder import render_placeholder
from assetgen.manifest import Asset
from assetgen.routes.base import ImageJob, RouteContext, RouteResult
from assetgen.routes.registry import route_info

FALLBACK_SIZE = (1024, 1024)


class DraftRoute:
    name = "draft"
    billing = route_info(name).billing
    exact_size = route_info(name).exact_size  # drawn at the final size directly

    def __init__(self, context: RouteContext) -> None:
        self.context = context

    def preflight(self, assets: list[Asset]) -> None:
        return None

    async def run(self, job: ImageJob) -> RouteResult:
        image = await asyncio.to_thread(render_draft, job)
        return RouteResult(image=image, route="draft", model=job.model, billing=self.billing,
                           cost_usd=0.0, cost_basis="estimate")


def draft_size(job: ImageJob) -> tuple[int, int]:
    asset = job.asset
    if asset.width and asset.height:
        return asset.width, asset.height
    width, _, height = job.size.partition("x")
    if width.isdigit() and height.isdigit():
        return int(width), int(height)
    return FALLBACK_SIZE


def render_draft(job: ImageJob) -> bytes:
    width, height = draft_size(job)
    subtitle = f"{width}x{height} · {job.asset.format} · draft of {job.asset.route}/{job.model}"
    if job.inputs:
        subtitle += " · edit of " + ", ".join(i.asset_id or i.ref for i in job.inputs)
    image = render_placeholder(width, height, title=job.asset.id, subtitle=subtitle,
                               body=job.prompt, seed=f"{job.asset.id}\n{job.prompt}")
    return encode(image, "png")


def create(context: RouteContext) -> DraftRoute:
    return DraftRoute(context)
