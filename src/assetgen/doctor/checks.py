"""The checks behind `assetgen doctor`: one surface at a time, each step recording what it saw.

Modelled on how a "model does not exist" error is triaged: first the
configuration (which key, which base URL), then whether anything answers,
whether the key is accepted, whether the model is reachable through *this*
base URL, and only then a real (opt-in) generation. The first failing step
decides the classification; the HTTP exchange behind it is the evidence.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from assetgen.core.secrets import read_key, register_key_var, scrub_api_message, secret_values
from assetgen.errors import AssetgenError, ConfigError, ManifestError, RouteError, TransientError
from assetgen.images import models as image_models
from assetgen.images.codec import probe
from assetgen.manifest import Asset, Manifest
from assetgen.routes import codex as codex_route
from assetgen.routes.base import ImageJob, RouteContext, load_route
from assetgen.routes.gateway import GatewaySettings
from assetgen.routes.http import OFFICIAL_BASE_URL, is_official, json_body, request_id_of, send
from assetgen.routes.registry import OPENAI_KEY_VAR, responses_model, route_info

KEY_VAR = OPENAI_KEY_VAR
LIVE_PROMPT = "assetgen doctor check: a plain light grey square, nothing else"
_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY",
               "http_proxy")

SURFACES: dict[str, tuple[str, str]] = {
    "works": ("works", "every check passed: this route can make images"),
    "configuration": ("configuration", "fix the setting named above, then run doctor again"),
    "auth": ("authentication", "the key was refused: check that it is current and belongs to "
             "this base URL (an OpenAI key does not work at a provider, nor the reverse)"),
    "access": ("access or organization verification", "the key works but cannot use this "
               "model: verify the organization at https://platform.openai.com/settings/"
               "organization/general or check the project's model permissions (access can "
               "take 15 minutes to propagate)"),
    "provider-mapping": ("provider mapping", "this base URL is not OpenAI's and does not know "
                         "the model by this name: use the provider's name for it "
                         "(routes.gateway.model), or unset OPENAI_BASE_URL to use OpenAI"),
    "network": ("network or proxy", "no usable answer from the API: check the base URL, DNS, "
                "firewall and proxy settings (HTTPS_PROXY, NO_PROXY)"),
    "codex-session": ("codex session", "install codex or sign in with `codex login`, then run "
                      "doctor again"),
    "service": ("service", "the API is rate limiting or failing on its side: wait, then run "
                "doctor again"),
    "request": ("request", "the API refused the test request; its code and message say why"),
}


def scrub(text: str, environ: Mapping[str, str] | None = None) -> str:
    """No key, nor any part of one an API echoed back, ever leaves doctor: the keys of the
    environment doctor checks (which may not be the process's) as well as the process's."""
    extra = secret_values(environ) if environ is not None else []
    return scrub_api_message(text, [*extra, *secret_values()])


@dataclass
class Step:
    name: str
    status: str  # ok | fail | skip
    detail: str
    surface: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "ok": self.status != "fail",
                "detail": self.detail, "surface": self.surface}


@dataclass
class Wire:
    """The last HTTP exchange, from the client's event hooks (never its headers' secrets)."""

    method: str | None = None
    url: str | None = None
    status: int | None = None
    request_id: str | None = None
    organization: str | None = None
    project: str | None = None

    async def on_request(self, request: httpx.Request) -> None:
        self.method = request.method
        self.url = str(request.url.copy_with(query=None))
        self.status = self.request_id = None

    async def on_response(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.request_id = request_id_of(response)
        self.organization = response.headers.get("openai-organization") or self.organization
        self.project = response.headers.get("openai-project") or self.project


@dataclass
class Failure:
    surface: str
    wire: Wire
    code: str | None = None
    message: str | None = None


@dataclass
class Doctor:
    route: str
    model: str
    manifest: Manifest | None
    environ: Mapping[str, str]
    client: httpx.AsyncClient
    wire: Wire
    base_url: str | None = None
    steps: list[Step] = field(default_factory=list)
    failure: Failure | None = None
    last_ok: Wire | None = None
    # Route settings as written, when the manifest did not load (see `fail_manifest`).
    raw_routes: dict[str, dict[str, Any]] = field(default_factory=dict)

    # -- recording -----------------------------------------------------------------------

    def ok(self, name: str, detail: str) -> None:
        self.steps.append(Step(name, "ok", self.scrub(detail)))
        if self.wire.url:
            self.last_ok = Wire(**self.wire.__dict__)

    def skip(self, name: str, detail: str) -> None:
        self.steps.append(Step(name, "skip", self.scrub(detail)))

    def fail(self, name: str, detail: str, surface: str, *, code: str | None = None,
             message: str | None = None, http: bool = True) -> None:
        self.steps.append(Step(name, "fail", self.scrub(detail), surface))
        if self.failure is None:
            wire = Wire(**self.wire.__dict__) if http else Wire()
            self.failure = Failure(surface, wire, code, self.scrub(message or detail))

    def scrub(self, text: str) -> str:
        return scrub(text, self.environ)

    def key(self, var: str) -> tuple[str, str | None]:
        """The key in ``var`` normalised as the routes read it ("" if unset), or why it
        cannot be used."""
        try:
            return read_key(self.environ, var), None
        except ConfigError as exc:
            return "", str(exc)

    def fail_error(self, name: str, exc: RouteError, surface: str, what: str) -> None:
        status = f"HTTP {exc.status} " if exc.status else ""
        code = f"{exc.code}: " if exc.code else ""
        self.fail(name, f"{what} → {status}{code}{exc.message}", surface, code=exc.code,
                  message=exc.message)

    def fail_manifest(self, error: ManifestError) -> None:
        """A manifest that does not load is a configuration failure, not the end of doctor:
        the remaining checks run on its settings as written."""
        problems = [str(p) for p in error.problems] or [str(error)]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        self.fail("manifest", f"{problems[0]}{more}", "configuration",
                  code="invalid_manifest", message="; ".join(problems), http=False)

    @property
    def failed(self) -> bool:
        return any(s.status == "fail" for s in self.steps)

    def settings(self, route: str) -> dict[str, Any]:
        if self.manifest is not None:
            return self.manifest.route_settings(route)
        return dict(self.raw_routes.get(route) or {})

    def official(self) -> bool:
        return bool(self.base_url) and is_official(self.base_url or "")

    def classify(self, exc: RouteError, *, model_check: bool = False) -> str:
        if route_info(self.route).family == "codex":
            return "codex-session"
        if exc.status is None:
            return "network" if isinstance(exc, TransientError) else "request"
        if exc.status == 401:
            return "auth"
        if exc.status == 407:
            return "network"
        if exc.status == 403:
            return "access"
        if exc.status == 404 and (model_check or exc.code == "model_not_found"):
            return "access" if self.official() else "provider-mapping"
        if exc.status == 429 or exc.status >= 500:
            return "service"
        return "request"

    # -- HTTP ------------------------------------------------------------------------------

    async def get(self, url: str, headers: dict[str, str]) -> tuple[Any, RouteError | None]:
        try:
            response = await send(self.client, "GET", url, route=self.route, headers=headers)
        except RouteError as exc:
            return None, exc
        try:
            return json_body(response, self.route), None
        except RouteError as exc:
            return None, exc

    async def reach(self, url: str, headers: dict[str, str]) -> tuple[Any, RouteError | None]:
        """GET the model list: reachability first, then what it says about the key."""
        started = time.monotonic()
        body, exc = await self.get(url, headers)
        took = f"{time.monotonic() - started:.2f}s"
        shown = _path_of(url, self.base_url)
        via = proxy_note(self.environ, url)
        if exc is not None and exc.status is None:
            if exc.code == "invalid_json":
                self.fail("reachability", f"GET {shown} answered HTTP {self.wire.status} but "
                          "not with JSON: a proxy, captive portal or wrong base URL" + via,
                          "network", code=exc.code, message=exc.message)
            else:
                self.fail("reachability", f"GET {shown} → {exc.message}{via}", "network",
                          code=exc.code, message=exc.message)
            return None, exc
        self.ok("reachability", f"GET {shown} answered HTTP {self.wire.status} in {took}{via}")
        return body, exc

    # -- OpenAI surfaces (images, responses) -------------------------------------------------

    def openai_headers(self) -> dict[str, str]:
        headers = {}
        key, _ = self.key(KEY_VAR)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        for var, header in (("OPENAI_ORG_ID", "OpenAI-Organization"),
                            ("OPENAI_PROJECT_ID", "OpenAI-Project")):
            if self.environ.get(var):
                headers[header] = self.environ[var]
        return headers

    async def check_openai(self) -> bool:
        """Configuration, reachability, the key, and model access; True when all passed."""
        key, problem = self.key(KEY_VAR)
        if problem:
            self.fail("configuration", problem, "configuration", http=False)
        elif key:
            self.ok("configuration", f"{KEY_VAR} set ({len(key)} chars; never shown)")
        else:
            self.fail("configuration", f"{KEY_VAR} is not set — export it (never in "
                      "assetgen.yaml), or use `assetgen build --draft` offline",
                      "configuration", http=False)
        self.base_url = (self.environ.get("OPENAI_BASE_URL", "").strip()
                         or OFFICIAL_BASE_URL).rstrip("/")
        if self.official():
            self.ok("base URL", f"{self.base_url} (official OpenAI API)")
        else:
            self.ok("base URL", f"{self.base_url} (not OpenAI's: a provider or proxy, from "
                    "OPENAI_BASE_URL)")
        headers = self.openai_headers()
        body, exc = await self.reach(f"{self.base_url}/models", headers)
        if exc is not None and exc.status is None:
            self.skip("authentication", "not checked: no answer")
            return False
        if not key:
            self.skip("authentication", "not checked: no key")
            return False
        if not self.check_auth(body, exc):
            return False
        if self.route == "responses":
            top = responses_model(self.settings("responses"))
            if not self.check_split(top):
                return False
            if not await self.model_access(top, headers):
                return False
        return await self.model_access(self.model, headers)

    def check_auth(self, body: Any, exc: RouteError | None) -> bool:
        if exc is None:
            count = len(body.get("data") or []) if isinstance(body, dict) else 0
            self.ok("authentication", f"the key is accepted ({count} models listed)")
            return True
        if exc.status == 404:
            self.skip("authentication", "not checked: this base URL has no model list")
            return True
        self.fail_error("authentication", exc, self.classify(exc), "GET /models")
        return exc.status != 401

    def check_split(self, top: str) -> bool:
        if image_models.is_image_model(top):
            self.fail("model split", f"routes.responses.model `{top}` is an image model: the "
                      "top-level model must be a text model (e.g. gpt-5.5) that calls the "
                      "image_generation tool", "configuration", http=False)
            return False
        if not image_models.is_image_model(self.model):
            self.fail("model split", f"the tool's model `{self.model}` is not an image model "
                      "(e.g. gpt-image-2)", "configuration", http=False)
            return False
        self.ok("model split", f"{top} (top level, text) calls image_generation with "
                f"{self.model}")
        return True

    async def model_access(self, model: str, headers: dict[str, str]) -> bool:
        url = f"{self.base_url}/models/{model}"
        body, exc = await self.get(url, headers)
        if exc is None:
            owner = body.get("owned_by") if isinstance(body, dict) else None
            self.ok("model access", f"{model} is available" + (f" (owned by {owner})"
                                                                 if owner else ""))
            return True
        surface = self.classify(exc, model_check=True)
        self.fail_error("model access", exc, surface, f"GET /models/{model}")
        return False

    # -- gateway ---------------------------------------------------------------------------------

    async def check_gateway(self) -> bool:

        if self.manifest is None:
            why = ("the manifest did not load (see above)" if self.failed
                   else "no assetgen.yaml found")
            self.fail("configuration", f"{why}: the gateway route is configured under "
                      "routes.gateway", "configuration", http=False)
            return False
        s = GatewaySettings.from_mapping(self.settings("gateway"))
        self.base_url = s.base_url or None
        if s.api_key_env:
            register_key_var(s.api_key_env)
        key, problem = self.key(s.api_key_env) if s.api_key_env else ("", None)
        missing = ([] if s.base_url else ["routes.gateway.base_url is not set"]) + \
                  ([] if s.api_key_env else ["routes.gateway.api_key_env is not set"]) + \
                  ([problem] if problem else []) + \
                  ([f"{s.api_key_env} is not set"]
                   if s.api_key_env and not key and not problem else [])
        if missing:
            self.fail("configuration", "; ".join(missing), "configuration", http=False)
            if not s.base_url:
                return False
        else:
            self.ok("configuration", f"provider {s.provider}, key {s.api_key_env} set "
                    f"({len(key)} chars; never shown)")
        self.ok("base URL", f"{s.base_url} (provider {s.provider}, not OpenAI's)")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        body, exc = await self.reach(f"{s.base_url}/models", headers)
        if exc is not None and exc.status is None:
            return False
        if not key:
            self.skip("authentication", "not checked: no key")
            return False
        if not self.check_auth(body, exc):
            return False
        model = s.model or self.model
        self.model = model
        if exc is None:
            listed = sorted(str(m.get("id")) for m in (body.get("data") or [])
                            if isinstance(m, dict)) if isinstance(body, dict) else []
            if model in listed:
                self.ok("provider models", f"{model} is in the provider's list "
                        f"({len(listed)} models)")
            else:
                shown = ", ".join(listed[:12]) + (" …" if len(listed) > 12 else "")
                self.fail("provider models", f"`{model}` is not in the provider's model list "
                          f"({shown or 'empty'}) — set routes.gateway.model to the provider's "
                          "name for it", "provider-mapping", code="model_not_found",
                          message=f"model {model} is not listed by {s.provider}")
                return False
        else:
            self.skip("provider models", "not checked: the provider has no model list")
        self.check_public_urls(s.public_base_url)
        return not self.failed

    def check_public_urls(self, public_base_url: str | None) -> None:
        edits = [a.id for a in (self.manifest.assets if self.manifest else ())
                 if a.route == "gateway" and a.inputs]
        if public_base_url:
            self.ok("public URLs", f"edit inputs are sent as URLs under {public_base_url}")
        elif edits:
            self.fail("public URLs", "routes.gateway.public_base_url is not set, so the edits "
                      f"{', '.join(edits)} will be refused (the gateway takes URLs only)",
                      "configuration", http=False)
        else:
            self.ok("public URLs", "public_base_url not set: fine while no gateway asset is "
                    "an edit (the gateway takes reference images as URLs only)")

    # -- codex and draft -----------------------------------------------------------------------

    def check_codex(self) -> bool:
        for name, passed, detail in codex_route.codex_diagnostics(self.settings("codex"),
                                                                  self.environ):
            if passed:
                self.ok(name, detail)
            else:
                self.fail(name, detail, "codex-session", http=False)
        return not self.failed

    # -- one real generation ------------------------------------------------------------------

    async def live(self, cwd: Path) -> None:
        manifest = self.manifest or Manifest(
            file=cwd / "assetgen.yaml", root=cwd, output_dir=cwd / "public", sources=(),
            routes={}, static=(), assets=())
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="assetgen-doctor-") as folder:
            asset = Asset(id="doctor-check", path="doctor-check.png",
                          file=Path(folder) / "doctor-check.png", prompt=LIVE_PROMPT,
                          route=self.route, model=self.model, quality="low",
                          size="1024x1024", format="png", line=0)
            job = ImageJob(asset=asset, prompt=LIVE_PROMPT, model=self.model,
                           size="1024x1024", quality="low", output_format="png")
            try:
                route = load_route(self.route, RouteContext(manifest, self.client,
                                                            self.environ))
                route.preflight([asset])
                result = await route.run(job)
                info = probe(result.image)
            except RouteError as exc:
                self.fail_error("live", exc, self.classify(exc),
                                f"one low-quality {self.route} generation")
                return
            except AssetgenError as exc:
                surface = "codex-session" if route_info(self.route).family == "codex" else \
                    "configuration" if exc.exit_code == 2 else "request"
                self.fail("live", str(exc), surface, http=False)
                return
        took = time.monotonic() - started
        cost = (f", cost ${result.cost_usd:.4f} ({result.cost_basis})"
                if result.cost_usd is not None else "")
        request = f", request {result.request_id}" if result.request_id else ""
        self.ok("live", f"{info.width}x{info.height} {info.format} in {took:.1f}s via "
                f"{result.route}, billing {result.billing}{cost}{request}")


def _path_of(url: str, base_url: str | None) -> str:
    if base_url and url.startswith(base_url):
        return url[len(base_url):] or "/"
    return url


def proxy_note(environ: Mapping[str, str], url: str) -> str:
    """` (through proxy host:port from HTTPS_PROXY)`, credentials removed; '' without one."""
    if httpx.URL(url).host in ("127.0.0.1", "localhost", "::1"):
        return ""
    for var in _PROXY_VARS:
        value = environ.get(var, "").strip()
        if value:
            try:
                proxy = httpx.URL(value)
            except httpx.InvalidURL:
                return f" (through a proxy from {var})"
            port = f":{proxy.port}" if proxy.port else ""
            return f" (through proxy {proxy.host}{port} from {var})"
    return ""


def evidence(doctor: Doctor, api_key_present: bool) -> dict[str, Any]:
    failure = doctor.failure
    wire = failure.wire if failure is not None else (doctor.last_ok or Wire())
    environ = doctor.environ

    def shown(value: str | None) -> str | None:
        # Everything here but the route and timestamp came from config or a server.
        return None if value is None else doctor.scrub(value)

    endpoint = f"{wire.method} {wire.url}" if wire.url else None
    first_call = route_info(doctor.route).endpoint
    if endpoint is None and doctor.base_url and first_call:
        # Failed before any request (configuration): the endpoint the route would call.
        method, path = first_call.split(" ")
        endpoint = f"{method} {doctor.base_url}{path}"
    return {
        "route": doctor.route,
        "endpoint": shown(endpoint),
        "base_url": shown(doctor.base_url),
        "model": shown(doctor.model),
        "http_status": wire.status,
        "error_code": failure.code if failure else None,
        "error_message": failure.message if failure else None,
        "request_id": shown(wire.request_id),
        "organization": shown(environ.get("OPENAI_ORG_ID") or wire.organization
                              or doctor.wire.organization),
        "project": shown(environ.get("OPENAI_PROJECT_ID") or wire.project
                         or doctor.wire.project),
        "api_key": "present (never shown)" if api_key_present else "absent",
        "timestamp": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def classification(doctor: Doctor) -> dict[str, str]:
    surface = doctor.failure.surface if doctor.failure else "works"
    label, advice = SURFACES[surface]
    return {"surface": surface, "label": label, "advice": advice}
