"""Every route assetgen knows, and what the rest of the program may know about each.

One static table (like pre-commit's `all_languages.py`): the planner, the build
command, doctor and the CLI read it instead of keeping their own route lists. A
route's implementation module is named here and imported only when the route is
used (`assetgen.routes.load_route`), so reading this table costs nothing: it
imports neither httpx nor Pillow, which keeps `plan` and `verify` fast.

The manifest package sits below routes and keeps the route *names* it validates
in `manifest/schema.py`; a test asserts both lists agree.

Adding a route: a module with `create(context) -> Route`, and one `RouteInfo` here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from assetgen.manifest import Asset

# The Responses API's top-level (text) model when `routes.responses.model` is unset.
DEFAULT_RESPONSES_MODEL = "gpt-5.5"
OPENAI_KEY_VAR = "OPENAI_API_KEY"

Settings = Mapping[str, Any]
SpecExtras = Callable[["Asset", Settings], dict[str, Any]]


def responses_model(settings: Settings) -> str:
    """The top-level model the responses route sends, and so the one its spec hash records:
    `routes.responses.model`, or the default when it is unset, null or empty."""
    value = settings.get("model")
    return str(value) if value else DEFAULT_RESPONSES_MODEL


def _no_extras(asset: Asset, settings: Settings) -> dict[str, Any]:
    return {}


def _responses_extras(asset: Asset, settings: Settings) -> dict[str, Any]:
    return {"responses_model": responses_model(settings)}


def _gateway_extras(asset: Asset, settings: Settings) -> dict[str, Any]:
    # As written: existing sidecars hash these raw values, and changing the recipe would
    # mark every gateway asset stale.
    return {"provider": settings.get("provider"), "provider_model": settings.get("model")}


def _draft_extras(asset: Asset, settings: Settings) -> dict[str, Any]:
    # A placeholder is drawn at the final size directly.
    return {"final_size": [asset.width, asset.height] if asset.width else None}


class RouteInfo(NamedTuple):
    """What is known about a route without loading it. (A named tuple, not a dataclass:
    every command's start-up builds this class, and a frozen dataclass costs ~1 ms more.)"""

    name: str
    module: str  # the implementation: `create(context) -> Route`, imported when used
    # The billing surface its sidecars record: openai-api | provider:<name> |
    # codex-credits | none ("provider" here: the gateway adds the provider's name).
    billing: str
    # Priced before a build from OpenAI's token prices (the plan's estimate, --max-cost);
    # every other surface is estimated at 0 (not billed in USD by those prices).
    priced: bool
    # Which surface it talks to, as doctor diagnoses it: openai | gateway | codex | offline.
    family: str
    http: bool  # needs the one HTTP client
    key_env: str | None  # the environment variable holding its key, when fixed
    key_setting: str | None  # else the route setting that names that variable, if any
    # True when the surface returns exactly the generation size asked (the engine checks);
    # False when it picks its own size (the engine fits the master to the asset's size).
    exact_size: bool
    # The provenance `route` values its sidecars record.
    recorded_as: tuple[str, ...]
    # What, besides the common fields, enters the generation spec (and so the spec hash).
    spec_extras: SpecExtras = _no_extras
    # What it would call first, for doctor's evidence when a check fails before any request.
    endpoint: str | None = None
    # True when the manifest checks the image model against the model table
    # (manifest/model_rules.py keeps its own copy of this list: a test compares them).
    checks_image_model: bool = False

    @property
    def generates(self) -> bool:
        """Whether its images are made by a generative model (not a placeholder)."""
        return self.billing != "none"


ROUTES: dict[str, RouteInfo] = {info.name: info for info in (
    RouteInfo(name="images", module="assetgen.routes.images", billing="openai-api",
              priced=True, family="openai", http=True, key_env=OPENAI_KEY_VAR,
              key_setting=None, exact_size=True, recorded_as=("images.generate", "images.edit"),
              endpoint="POST /images/generations", checks_image_model=True),
    RouteInfo(name="responses", module="assetgen.routes.responses", billing="openai-api",
              priced=True, family="openai", http=True, key_env=OPENAI_KEY_VAR,
              key_setting=None, exact_size=True, recorded_as=("responses",),
              spec_extras=_responses_extras,
              endpoint="POST /responses", checks_image_model=True),
    RouteInfo(name="gateway", module="assetgen.routes.gateway", billing="provider",
              priced=False, family="gateway", http=True, key_env=None,
              key_setting="api_key_env", exact_size=False, recorded_as=("gateway",),
              spec_extras=_gateway_extras,
              endpoint="POST /images/generations"),
    RouteInfo(name="codex", module="assetgen.routes.codex", billing="codex-credits",
              priced=False, family="codex", http=False, key_env=None, key_setting=None,
              exact_size=False, recorded_as=("codex",)),
    RouteInfo(name="draft", module="assetgen.routes.draft", billing="none",
              priced=False, family="offline", http=False, key_env=None, key_setting=None,
              exact_size=False, recorded_as=("draft",), spec_extras=_draft_extras),
)}

ROUTE_NAMES: tuple[str, ...] = tuple(ROUTES)
DRAFT_ROUTE = "draft"


def route_info(name: str) -> RouteInfo:
    """The registry entry of a route name the manifest accepted."""
    return ROUTES[name]


def is_priced(name: str) -> bool:
    """Whether a route's images are estimated from OpenAI's token prices."""
    info = ROUTES.get(name)
    return info is not None and info.priced


def generating_record_values() -> frozenset[str]:
    """The provenance `route` values of images a generative model made."""
    return frozenset(value for info in ROUTES.values() if info.generates
                     for value in info.recorded_as)
