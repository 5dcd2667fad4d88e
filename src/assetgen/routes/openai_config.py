"""Where an OpenAI route gets its endpoint and credentials: the environment only."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from assetgen.core.secrets import read_key
from assetgen.errors import ConfigError, PermanentError
from assetgen.routes.http import OFF_LOOP_BYTES, OFFICIAL_BASE_URL, too_large
from assetgen.routes.registry import OPENAI_KEY_VAR

if TYPE_CHECKING:
    import httpx

    from assetgen.manifest import Asset
    from assetgen.routes.base import RouteContext

KEY_VAR = OPENAI_KEY_VAR
# Base64 of the largest image an OpenAI route returns (3840x2160; ~33 MB as a PNG at
# worst) fits; more is refused before it is decoded.
MAX_B64_CHARS = 48 * 1024 * 1024
# Decoded pixels: gpt-image-2's largest size (3840x2160 = 8,294,400) and a margin.
MAX_PIXELS = int(8_294_400 * 1.1)


class OpenAIConfig(NamedTuple):
    base_url: str
    api_key: str
    organization: str | None = None
    project: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], route: str) -> OpenAIConfig:
        key = read_key(environ, KEY_VAR)
        if not key:
            raise ConfigError(
                f"{KEY_VAR} is not set: the `{route}` route needs an OpenAI API key",
                hint=f"export {KEY_VAR}=sk-... (never put it in assetgen.yaml), or run "
                     "`assetgen build --draft` for offline placeholders",
            )
        base = environ.get("OPENAI_BASE_URL", "").strip() or OFFICIAL_BASE_URL
        return cls(base_url=base.rstrip("/"), api_key=key,
                   organization=environ.get("OPENAI_ORG_ID") or None,
                   project=environ.get("OPENAI_PROJECT_ID") or None)

    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        return headers

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"


async def decode_b64_image_off_loop(value: object, *, route: str,
                                    request_id: str | None) -> bytes:
    """`decode_b64_image`, in a worker thread when the image is large (see
    `http.json_body_off_loop`)."""
    if not isinstance(value, str) or len(value) < OFF_LOOP_BYTES:
        return decode_b64_image(value, route=route, request_id=request_id)
    return await asyncio.to_thread(decode_b64_image, value, route=route,
                                   request_id=request_id)


def decode_b64_image(value: object, *, route: str, request_id: str | None,
                     max_chars: int = MAX_B64_CHARS) -> bytes:
    """The bytes of a base64 image field; anything else (or more than ``max_chars``)
    fails the asset."""
    if not isinstance(value, str) or not value:
        raise PermanentError("the response carries no image data", route=route,
                             code="no_image", request_id=request_id)
    if len(value) > max_chars:
        raise too_large("the base64 image", len(value), max_chars, route=route,
                        request_id=request_id)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PermanentError("the response image is not valid base64", route=route,
                             code="bad_base64", request_id=request_id) from exc


class OpenAIRoute:
    """What the OpenAI routes (images, responses) share: settings, credentials, the client.

    Subclasses set `name` and implement `run`.
    """

    name: str
    billing: str  # subclasses take both from the registry
    exact_size: bool
    max_pixels = MAX_PIXELS
    default_timeout_s = 300.0

    def __init__(self, context: RouteContext) -> None:
        self.context = context
        self.settings = context.manifest.route_settings(self.name)
        self.timeout_s = float(self.settings.get("timeout_s", self.default_timeout_s))
        self._config: OpenAIConfig | None = None

    @property
    def config(self) -> OpenAIConfig:
        """Endpoint and key from the environment; ConfigError naming what is missing."""
        if self._config is None:
            self._config = OpenAIConfig.from_env(self.context.environ, self.name)
        return self._config

    def preflight(self, assets: list[Asset]) -> None:
        self.config  # noqa: B018 - raises ConfigError naming the missing variable

    @property
    def client(self) -> httpx.AsyncClient:
        if self.context.client is None:
            raise ConfigError(f"the {self.name} route needs an HTTP client")
        return self.context.client

