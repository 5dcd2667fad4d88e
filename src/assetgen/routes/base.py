"""The route interface: what a route is given (`ImageJob`, `RouteContext`), what it
returns (`RouteResult`), the `Route` protocol, and the loader that imports a route's
module on first use (the one lazy import here). The package's own `__init__` stays empty,
so that reading the registry (`assetgen --help`, `plan`, `verify`) loads none of this.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from assetgen.routes import tls
from assetgen.routes.registry import ROUTES

if TYPE_CHECKING:
    import ssl

    import httpx

    from assetgen.manifest import Asset, Manifest


@dataclass(frozen=True)
class InputImage:
    """An edit input (or mask) as read from disk just before the request."""

    ref: str
    path: Path
    data: bytes
    sha256: str
    width: int
    height: int
    asset_id: str | None = None
    # The format the bytes really are (Pillow's name: png, jpeg, webp, gif, ...), not the
    # file name's suffix; "" when unknown (then the suffix decides).
    format: str = ""

    def __post_init__(self) -> None:
        if not self.format:
            suffix = self.path.suffix.lower().lstrip(".")
            object.__setattr__(self, "format", {"jpg": "jpeg"}.get(suffix, suffix))

    @property
    def mime(self) -> str:
        return {"jpeg": "image/jpeg", "webp": "image/webp"}.get(self.format, "image/png")


class ImageJob(NamedTuple):
    """Everything a route needs to make one asset's image."""

    asset: Asset
    prompt: str
    model: str
    size: str  # generation size: "WxH" or "auto"
    quality: str
    output_format: str  # what to ask the surface for: png | jpeg | webp
    background: str | None = None
    inputs: tuple[InputImage, ...] = ()
    mask: InputImage | None = None
    fidelity: str | None = None

    @property
    def is_edit(self) -> bool:
        return bool(self.inputs)


@dataclass
class RouteResult:
    """What a route returns: the image bytes and what provenance records of the call."""

    image: bytes
    route: str  # the provenance `route` value, e.g. images.generate
    model: str
    billing: str
    request_id: str | None = None
    response_id: str | None = None
    revised_prompt: str | None = None
    usage: dict[str, Any] | None = None
    cost_usd: float | None = None
    cost_basis: str | None = None  # usage | estimate
    extra: dict[str, Any] = field(default_factory=dict)  # route-specific provenance


@dataclass
class RouteContext:
    """What every route may use: the one HTTP client, the environment, the manifest."""

    manifest: Manifest
    client: httpx.AsyncClient | None
    environ: Mapping[str, str]


class Route(Protocol):
    name: str
    billing: str
    # True when the surface must return exactly the generation size asked;
    # False for surfaces that pick their own size (the engine then fits).
    exact_size: bool
    # Optional: a route may also set `max_concurrency: int` to cap its own jobs in
    # flight below --concurrency (codex does: each job is an agent session), and
    # `max_pixels: int`, past which an answer is refused before it is decoded.

    def preflight(self, assets: list[Asset]) -> None:
        """Refuse before any work (missing key, impossible asset) with a ConfigError."""

    async def run(self, job: ImageJob) -> RouteResult:
        """Make the image; raise RouteError subclasses on failure."""


RouteFactory = Callable[[str], Route]


def load_route(name: str, context: RouteContext) -> Route:
    """A new instance of a route, its module imported now (the only lazy import here)."""
    module = importlib.import_module(ROUTES[name].module)
    route: Route = module.create(context)
    return route


class RouteSet:
    """The routes of one command: each loaded on first use, once, sharing one context
    (whose HTTP client may be set after loading, before the first request)."""

    def __init__(self, context: RouteContext) -> None:
        self.context = context
        self.loaded: dict[str, Route] = {}
        self._tls: Future[ssl.SSLContext] | None = None

    def __call__(self, name: str) -> Route:
        if name not in self.loaded:
            self.loaded[name] = load_route(name, self.context)
        return self.loaded[name]

    def start_tls(self, transport: object | None = None) -> None:
        """Begin making the HTTP client's TLS context (`routes.tls.tls_context`) in a
        worker thread. OpenSSL loads the certificate store (~30 ms) without holding the
        GIL, so a build that starts this as soon as it knows it will send requests has the
        context ready when it makes its client, instead of waiting for it then. Nothing to
        make when an injected ``transport`` makes the connections."""
        if self._tls is None and transport is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assetgen-tls")
            self._tls = pool.submit(tls.tls_context)
            pool.shutdown(wait=False)  # the thread ends with its one job

    async def client_verify(self, transport: object | None = None) -> ssl.SSLContext | bool:
        """The client's ``verify=`` (`routes.tls.client_verify`): the context `start_tls`
        began (its error, if it failed), else one made now."""
        if self._tls is None or transport is not None:
            return tls.client_verify(transport)
        return await asyncio.wrap_future(self._tls)
