"""The `gateway` route: an OpenAI-compatible image provider with asynchronous tasks.

    POST {base_url}/images/generations
    {"model": "<provider model>", "prompt": "...", "size": "16:9", "resolution": "2K",
     "n": 1, "response_format": "url", "reference_images": ["https://site/img/a.png"]}
      -> a task {"id": "task_7", "status": "queued"} (bare or wrapped in {"code", "data"})
    GET {base_url}/tasks/task_7   every 2 s, then 5 s, then 10 s, until completed
    GET <result URL>              size-capped, must be an image; or base64 in the task

The provider picks its own pixel size from the aspect ratio and resolution, so
the engine fits the master to the asset's size (`exact_size = False`). Billing
is the provider's (`provider:<name>`); a USD cost is recorded only when the
provider reports one, never from OpenAI's prices.

Edits: the provider takes reference images as URLs only. A local input below
`output_dir` becomes `<routes.gateway.public_base_url>/<its path>`; before the
task is submitted, each URL is fetched and must serve the same bytes as the
local file (else the provider would edit another version than the one the
sidecar records). Without `public_base_url`, edits are refused before any work.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from assetgen.core.hosts import forbidden_host
from assetgen.core.secrets import read_key, register_key_var
from assetgen.errors import ConfigError, PermanentError, TransientError
from assetgen.images.variants import final_size
from assetgen.manifest import Asset, Manifest
from assetgen.routes.base import ImageJob, InputImage, RouteContext, RouteResult
from assetgen.routes.gateway_poll import Poller, UrlGone, download, parse_task
from assetgen.routes.http import MAX_TASK_BODY_BYTES, clean_id, exchange
from assetgen.routes.registry import route_info
from assetgen.routes.url_policy import HostPolicy

ROUTE = "gateway"
DEFAULT_TIMEOUT_S = 900.0
DEFAULT_POLL_INTERVALS_S = (2.0, 5.0, 10.0)
DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
# Providers' 4K images are ~16.8 Mpx; a bounded margin above (a 9400x9400 PNG is 88 Mpx).
MAX_PIXELS = 40_000_000
SUBMIT_TIMEOUT_S = 120.0
ASPECT_RATIOS = ("1:1", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5", "16:9", "9:16", "21:9")
URLS_ONLY = ("the gateway takes reference images as URLs only, and assetgen makes them from "
             "routes.gateway.public_base_url (files below output_dir → their deployed URLs)")


@dataclass(frozen=True)
class GatewaySettings:
    base_url: str
    api_key_env: str
    provider: str
    model: str | None
    public_base_url: str | None
    timeout_s: float
    poll_intervals_s: tuple[float, ...]
    max_download_bytes: int
    result_hosts: tuple[str, ...] = ()  # hosts besides base_url's origin results may be on

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> GatewaySettings:
        base = str(settings.get("base_url") or "").strip().rstrip("/")
        intervals = tuple(float(v) for v in settings.get("poll_intervals_s") or ()
                          if isinstance(v, int | float) and not isinstance(v, bool) and v > 0)
        public = str(settings.get("public_base_url") or "").strip().rstrip("/")
        return cls(
            base_url=base,
            api_key_env=str(settings.get("api_key_env") or "").strip(),
            provider=str(settings.get("provider") or "").strip() or _host(base) or "gateway",
            model=str(settings["model"]) if settings.get("model") else None,
            public_base_url=public or None,
            timeout_s=float(settings.get("timeout_s") or DEFAULT_TIMEOUT_S),
            poll_intervals_s=intervals or DEFAULT_POLL_INTERVALS_S,
            max_download_bytes=int(settings.get("max_download_bytes")
                                   or DEFAULT_MAX_DOWNLOAD_BYTES),
            result_hosts=tuple(str(h) for h in settings.get("result_hosts") or ()
                               if isinstance(h, str)),
        )

    def host_policy(self) -> HostPolicy:
        return HostPolicy.for_origin(self.base_url, self.result_hosts)


class GatewayRoute:
    name = "gateway"
    exact_size = route_info(name).exact_size  # the provider picks pixels: the engine fits
    max_pixels = MAX_PIXELS

    def __init__(self, context: RouteContext) -> None:
        self.context = context
        self.settings = GatewaySettings.from_mapping(context.manifest.route_settings("gateway"))
        self.billing = f"provider:{self.settings.provider}"
        if self.settings.api_key_env:
            register_key_var(self.settings.api_key_env)
        self._key: str | None = None  # read and normalised once, by api_key()

    # -- before any work ---------------------------------------------------------------

    def api_key(self) -> str:
        s = self.settings
        if not s.base_url:
            raise ConfigError("routes.gateway.base_url is not set: the gateway route needs the "
                              "provider's OpenAI-compatible base URL",
                              hint="add it to assetgen.yaml, e.g. base_url: "
                                   "https://gateway.example.com/v1")
        for setting, url in (("base_url", s.base_url), ("public_base_url", s.public_base_url)):
            refused = _url_problem(url) if url else None
            if refused:
                raise ConfigError(f"routes.gateway.{setting} {refused}",
                                  hint="set it to the provider's (or the site's) https URL")
        if not s.api_key_env:
            raise ConfigError("routes.gateway.api_key_env is not set: name the environment "
                              "variable that holds the provider's key",
                              hint="e.g. api_key_env: GATEWAY_API_KEY (the key itself never "
                                   "goes in assetgen.yaml)")
        if self._key is not None:
            return self._key
        key = read_key(self.context.environ, s.api_key_env)
        if not key:
            raise ConfigError(f"{s.api_key_env} is not set: the gateway route reads the "
                              f"provider's key from it (routes.gateway.api_key_env)",
                              hint=f"export {s.api_key_env}=..., or run `assetgen build "
                                   "--draft` for offline placeholders")
        self._key = key
        return key

    def preflight(self, assets: list[Asset]) -> None:
        self.api_key()
        manifest = self.context.manifest
        problems: list[str] = []
        for asset in assets:
            where = f"{manifest.rel(manifest.file)}:{asset.line} `{asset.id}`"
            if asset.mask is not None:
                problems.append(f"{where}: the gateway has no mask input; drop `edit.mask` "
                                "and describe the change in the prompt, or use `route: "
                                "images` or `responses`")
            if not asset.inputs:
                continue
            if self.settings.public_base_url is None:
                problems.append(f"{where} is an edit, but {URLS_ONLY}, which is not set")
                continue
            for item in asset.inputs:
                if public_path(manifest, item.path) is None:
                    problems.append(f"{where}: input `{item.ref}` is not below output_dir, so "
                                    "it has no deployed URL; move it there or use another "
                                    "route")
        if problems:
            raise ConfigError("the gateway route cannot make these assets:\n  "
                              + "\n  ".join(problems),
                              hint="set routes.gateway.public_base_url to the deployed site "
                                   "(e.g. https://www.example.com), or give these assets "
                                   "`route: images` or `responses`")

    # -- one asset -----------------------------------------------------------------------

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key()}"}

    async def run(self, job: ImageJob) -> RouteResult:
        client = self.context.client
        if client is None:
            raise ConfigError("the gateway route needs an HTTP client")
        s = self.settings
        headers = self.headers()
        model = s.model or job.model
        references = await self.references(client, job)
        body = request_body(job, model, references)
        answer = await exchange(client, "POST", f"{s.base_url}/images/generations",
                                route=ROUTE, timeout_s=min(SUBMIT_TIMEOUT_S, s.timeout_s),
                                max_bytes=MAX_TASK_BODY_BYTES, headers=headers, json=body)
        request_id = answer.request_id
        task = parse_task(await answer.json(ROUTE), request_id)
        poller = Poller(client, s.base_url, headers, s.timeout_s, s.poll_intervals_s,
                        s.max_download_bytes, s.host_policy())
        try:  # submitted (and likely paid): from here on, never let the engine resubmit
            task = await poller.wait(task)
            image = await poller.fetch(task)
        except TransientError as exc:
            raise PermanentError(f"task {task.id}: {exc.message}", route=ROUTE,
                                 status=exc.status, code=exc.code,
                                 request_id=exc.request_id) from exc
        extra: dict[str, Any] = {
            "base_url": s.base_url, "provider": s.provider, "task_id": clean_id(task.id),
            "provider_model": model, "aspect_ratio": body["size"],
            "resolution": body["resolution"], "polls": poller.polls,
        }
        if references:
            extra["reference_urls"] = references
        if task.notes:
            extra["answer_notes"] = task.notes
        return RouteResult(image=image, route=ROUTE, model=job.model, billing=self.billing,
                           request_id=request_id or clean_id(task.id), cost_usd=task.cost_usd,
                           cost_basis="usage" if task.cost_usd is not None else None,
                           extra=extra)

    async def references(self, client: httpx.AsyncClient, job: ImageJob) -> list[str]:
        """The deployed URL of every edit input, checked to serve the local bytes."""
        urls = []
        for item in job.inputs:
            url = self.public_url(item)
            await self.check_deployed(client, item, url)
            urls.append(url)
        return urls

    def public_url(self, item: InputImage) -> str:
        rel = public_path(self.context.manifest, item.path)
        if self.settings.public_base_url is None or rel is None:
            raise ConfigError(f"edit input `{item.ref}` has no public URL: {URLS_ONLY}")
        return f"{self.settings.public_base_url}/{quote(rel)}"

    async def check_deployed(self, client: httpx.AsyncClient, item: InputImage,
                             url: str) -> None:
        what = f"reference image `{item.ref}` ({url})"
        try:
            # The deployed site, not the gateway: no key goes there.
            data = await download(client, url, headers={},
                                  max_bytes=self.settings.max_download_bytes, what=what,
                                  policy=HostPolicy.for_origin(
                                      url, setting="routes.gateway.public_base_url"))
        except UrlGone as exc:
            raise PermanentError(
                f"{what} is not deployed (HTTP {exc.status}): the provider fetches reference "
                "images by URL", route=ROUTE, status=exc.status, code="reference_not_deployed",
                hint="deploy the site with this input first, then build again") from exc
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise PermanentError(
                f"the deployed copy of {what} differs from the local file, so the provider "
                "would edit another version than the one recorded", route=ROUTE,
                code="reference_outdated",
                hint="deploy the site (the local input changed since), then build again")


def request_body(job: ImageJob, model: str, references: list[str]) -> dict[str, Any]:
    width_height = final_size(job.asset)
    body: dict[str, Any] = {
        "model": model,
        "prompt": job.prompt,
        "size": nearest_ratio(*width_height) if width_height else "1:1",
        "resolution": resolution_for(width_height, model),
        "n": 1,
        "response_format": "url",
    }
    if references:
        body["reference_images"] = references
    return body


def nearest_ratio(width: int, height: int) -> str:
    """The listed aspect ratio closest to width:height (by log ratio)."""
    target = math.log(width / height)

    def distance(ratio: str) -> float:
        a, _, b = ratio.partition(":")
        return abs(math.log(int(a) / int(b)) - target)

    return min(ASPECT_RATIOS, key=distance)


def resolution_for(size: tuple[int, int] | None, model: str) -> str:
    """1K up to a 1024 px long edge, else 2K; 4K past 2048 px where the model has it."""
    long_edge = max(size) if size else 1024
    if long_edge <= 1024:
        return "1K"
    if long_edge > 2048 and not model.startswith("gpt-image"):
        return "4K"
    return "2K"


def public_path(manifest: Manifest, path: Any) -> str | None:
    """The site path (posix, relative to output_dir) of a local file, None if outside."""
    try:
        return Path(path).resolve().relative_to(manifest.output_dir.resolve()).as_posix()
    except ValueError:
        return None


def _url_problem(url: str) -> str | None:
    """Why a configured URL is never used (not http(s), link-local, metadata), or None."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return f"`{url}` is not a valid URL"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return f"`{url}` is not an http(s) URL"
    reason = forbidden_host(parsed.host)
    return f"points to {parsed.host}, {reason}; assetgen never sends requests there" \
        if reason else None


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host if url else ""
    except httpx.InvalidURL:
        return ""


def create(context: RouteContext) -> GatewayRoute:
    return GatewayRoute(context)
