"""`assetgen doctor [--route R] [--live] [--json]`: diagnose a route surface by surface.

One line per step (`ok`, `fail` or `skip`, the step, what it saw), then the
classification of the first failure (works / configuration / authentication /
access or organization verification / provider mapping / network or proxy /
codex session / service / request) and the evidence packet to paste into a
support ticket. The key is never shown, nor any part of it an API echoes back.
Works without a manifest too (the OpenAI routes read only the environment), and
with an invalid one: a configuration error in the manifest (say an image model as
the Responses API's top-level model) is the first, failed step, classified
`configuration`, and the other checks still run on the settings as written, so
the evidence packet is complete. Exit 0 when every step passed, 1 when one failed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetgen.build import credentials, signing
from assetgen.doctor.batches import list_open_batches
from assetgen.doctor.checks import Doctor, Step, Wire, classification, evidence
from assetgen.errors import EXIT_OK, EXIT_PROBLEMS, ConfigError, ManifestError, UsageError
from assetgen.manifest import Manifest
from assetgen.manifest.load import load_manifest, load_yaml
from assetgen.manifest.locate import find_manifest
from assetgen.manifest.schema import DEFAULT_MODEL, DEFAULT_ROUTE
from assetgen.routes.registry import ROUTES, route_info
from assetgen.routes.tls import client_verify

if TYPE_CHECKING:
    import httpx  # imported when doctor runs

CHECK_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10.0


@dataclass
class DoctorResult:
    route: str
    manifest: str | None  # as shown to the user; None: no manifest, environment only
    live: bool
    steps: list[Step]
    classification: dict[str, str]  # surface, label, advice of the first failure
    evidence: dict[str, Any] = field(default_factory=dict)  # the packet for a ticket

    @property
    def ok(self) -> bool:
        return not any(step.status == "fail" for step in self.steps)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_PROBLEMS


def run(manifest_path: Path | None, cwd: Path, *, route: str | None, live: bool,
        environ: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None) -> DoctorResult:
    env = os.environ if environ is None else environ
    found = _manifest(manifest_path, cwd)
    written = found.default("route")  # from a manifest that may not have loaded
    chosen = route or (written if written in ROUTES else None) or DEFAULT_ROUTE
    model = _model_for(found, chosen)
    doctor = asyncio.run(_diagnose(chosen, model, found, env, cwd, live, transport))
    return DoctorResult(route=chosen, manifest=found.shown(), live=live,
                        steps=list(doctor.steps), classification=classification(doctor),
                        evidence=evidence(doctor, _key_present(doctor, env)))


async def _diagnose(route: str, model: str, found: _Found, environ: Mapping[str, str],
                    cwd: Path, live: bool, transport: httpx.AsyncBaseTransport | None) -> Doctor:
    """The one HTTP client of doctor (event hooks record each exchange for the evidence)."""
    import httpx

    wire = Wire()
    async with httpx.AsyncClient(
            timeout=httpx.Timeout(CHECK_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            transport=transport, follow_redirects=False,
            event_hooks={"request": [wire.on_request], "response": [wire.on_response]},
            # The build's certificates, and its one line (exit 2) when they cannot load.
            verify=client_verify(transport),
    ) as client:
        doctor = Doctor(route=route, model=model, manifest=found.manifest, environ=environ,
                        client=client, wire=wire, raw_routes=found.routes())
        if found.error is not None:
            doctor.fail_manifest(found.error)
        family = route_info(route).family
        if family == "openai":
            passed = await doctor.check_openai()
        elif family == "gateway":
            passed = await doctor.check_gateway()
        elif family == "codex":
            passed = await asyncio.to_thread(doctor.check_codex)
        else:
            doctor.ok("configuration", f"the {route} route needs no key and no network")
            passed = True
        manifest = found.manifest
        if route == "images" and passed and manifest is not None:
            await list_open_batches(doctor, manifest)
        if manifest is not None and manifest.signing is not None and manifest.signing.sign:
            await asyncio.to_thread(_check_signing, doctor, manifest)
        passed = passed and not doctor.failed  # a manifest error: never a billed request
        if live and passed:
            await doctor.live(cwd)
        elif live:
            doctor.skip("live", "not attempted: fix the failing step first")
    return doctor


def _check_signing(doctor: Doctor, manifest: Manifest) -> None:
    """provenance.c2pa.sign: the certificate signs, and the trust anchors hold its root."""
    settings = manifest.signing
    assert settings is not None
    try:
        signed = signing.probe(signing.load_kit(settings, doctor.environ))
    except ConfigError as exc:
        doctor.fail("c2pa signing", str(exc), "configuration", http=False)
        return
    if settings.trust_anchors is None:
        doctor.ok("c2pa signing", f"{signing.CERT_ENV} signs C2PA manifests ({settings.alg}); "
                  "no trust_anchors: verify accepts any valid signature")
        return
    shown = manifest.rel(settings.trust_anchors)
    found = credentials.read(signed, trust_anchors=settings.anchors_pem())
    if found is None or found.state != "Trusted":
        doctor.fail("c2pa signing", f"trust_anchors {shown} does not hold the root of the "
                    f"certificate in {signing.CERT_ENV} (a signed test image is "
                    f"{found.state if found else 'unsigned'}): add that root to {shown}",
                    "configuration", http=False)
        return
    doctor.ok("c2pa signing", f"{signing.CERT_ENV} signs C2PA manifests ({settings.alg}), "
              f"Trusted against {shown}")


@dataclass
class _Found:
    """The manifest doctor found: loaded, or refused (then only its settings as written)."""

    file: Path | None = None
    manifest: Manifest | None = None
    raw: Any = None  # the YAML as written: hostile, read only for plain strings
    error: ManifestError | None = None

    def default(self, key: str) -> str | None:
        defaults = self.raw.get("defaults") if isinstance(self.raw, dict) else None
        value = defaults.get(key) if isinstance(defaults, dict) else None
        return value if isinstance(value, str) and value else None

    def routes(self) -> dict[str, dict[str, Any]]:
        """Per-route settings as written, for checks of a manifest that did not load."""
        node = self.raw.get("routes") if isinstance(self.raw, dict) else None
        if not isinstance(node, dict):
            return {}
        return {str(name): dict(value) for name, value in node.items()
                if isinstance(value, dict)}

    def shown(self) -> str | None:
        if self.manifest is not None:
            return self.manifest.rel(self.manifest.file)
        return self.file.name if self.file is not None else None  # as Manifest.rel shows it


def _manifest(manifest_path: Path | None, cwd: Path) -> _Found:
    """The manifest if there is one; doctor also works from the environment alone, and
    diagnoses a manifest that does not load instead of stopping at it."""
    if manifest_path is not None:
        if not manifest_path.exists():
            raise UsageError(f"{manifest_path}: no such manifest",
                             hint="check --manifest, or run doctor without it")
        path = manifest_path.resolve()
    else:
        try:
            path = find_manifest(cwd)
        except UsageError:
            return _Found()
    found = _Found(file=path)
    try:
        found.raw = load_yaml(path)
        found.manifest = load_manifest(path)
    except ManifestError as exc:
        found.error = exc
    return found


def _model_for(found: _Found, route: str) -> str:
    if found.manifest is not None:
        for asset in found.manifest.assets:
            if asset.route == route:
                return asset.model
    return found.default("model") or DEFAULT_MODEL


def _key_present(doctor: Doctor, environ: Mapping[str, str]) -> bool:
    info = route_info(doctor.route)
    name = info.key_env or ""
    if info.key_setting:  # named per manifest (the gateway's api_key_env)
        name = str(doctor.settings(doctor.route).get(info.key_setting) or "")
    return bool(name and environ.get(name, "").strip())

