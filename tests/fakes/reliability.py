"""Shared helpers of the reliability suite (tests/test_reliability_*.py).

Nothing here is a fixture or hook: importing this module changes no other test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from assetgen.core.canonical import sha256_bytes
from assetgen.core.fsutil import PENDING_SUFFIX, TEMP_MARKER
from assetgen.provenance.naming import sidecar_path
from tests.conftest import TEST_KEY
from tests.fakes.emulator import Emulator
from tests.fakes.sites import write_site

GATEWAY_KEY = "gw-reliability-key-5f4e3d2c1b0a"
ROUTES = ("images", "responses", "gateway")
# Where each HTTP route sends the request that makes (and pays for) an image.
IMAGE_PATH = {
    "images": "/v1/images/generations",
    "responses": "/v1/responses",
    "gateway": "/gateway/v1/images/generations",
}
# The route label a failure line starts its description with.
ROUTE_LABEL = {"images": "images.generate", "responses": "responses", "gateway": "gateway"}
SIDECAR_SUFFIX = ".provenance.json"
IMAGE_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")


def route_settings(route: str, emu: Emulator | None, *, timeout_s: float = 1.0,
                   gateway_timeout_s: float = 2.0, extra: str = "") -> str:
    """The `routes:` block of a fixture manifest for one HTTP route (no secrets)."""
    if route == "gateway":
        assert emu is not None, "the gateway route needs the emulator's URL"
        return ("routes:\n  gateway:\n"
                f"    base_url: {emu.gateway_url}\n"
                "    api_key_env: GATEWAY_API_KEY\n"
                "    provider: example\n"
                "    poll_intervals_s: [0.02, 0.05]\n"
                f"    timeout_s: {gateway_timeout_s:g}\n" + extra)
    return f"routes:\n  {route}:\n    timeout_s: {timeout_s:g}\n" + extra


def two_asset_manifest(route: str, emu: Emulator | None, **settings: Any) -> str:
    """`hero` (prompt says "rocket") and `card` (prompt says "social card"), 1024x1024 png."""
    return (
        "version: 1\noutput_dir: public\n"
        f"defaults:\n  route: {route}\n  model: gpt-image-2\n  quality: low\n"
        "  size: 1024x1024\n"
        + route_settings(route, emu, **settings)
        + "assets:\n"
        "  - id: hero\n    path: img/hero.png\n    prompt: \"A rocket launching at dawn\"\n"
        "  - id: card\n    path: img/card.png\n    prompt: \"A social card for the launch\"\n"
    )


def many_asset_manifest(count: int, *, route: str = "images", emu: Emulator | None = None,
                        tag: str = "picture") -> str:
    """``count`` independent low-quality 1024x1024 assets `a0`..; prompts `<tag> number N`."""
    routes = route_settings(route, emu) if emu is not None and route == "gateway" else ""
    assets = "".join(f"  - id: a{i}\n    path: img/a{i}.png\n    prompt: \"{tag} number {i}\"\n"
                     for i in range(count))
    return (f"version: 1\noutput_dir: public\ndefaults:\n  route: {route}\n  quality: low\n"
            f"  size: 1024x1024\n{routes}assets:\n{assets}")


def make_site(root: Path, manifest: str, files: Mapping[str, bytes | str] | None = None) -> Path:
    return write_site(root, manifest, dict(files or {}))


# --------------------------------------------------------------------------- files on disk


def leftovers(root: Path) -> list[Path]:
    """Temp files and pending sidecars anywhere below ``root`` (an interrupted write)."""
    return sorted(p for p in root.rglob("*")
                  if TEMP_MARKER in p.name or p.name.endswith(PENDING_SUFFIX))


def images_below(folder: Path) -> list[Path]:
    """Published image files (not temp files, sidecars or pending sidecars)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and TEMP_MARKER not in p.name)


def sidecars_below(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob(f"*{SIDECAR_SUFFIX}") if p.is_file())


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def sidecar_of(image: Path) -> dict[str, Any]:
    return read_json(sidecar_path(image))


def sidecar_matches(image: Path) -> bool:
    """The image has a sidecar whose sha256 and byte count describe its bytes."""
    side = sidecar_path(image)
    if not side.is_file():
        return False
    record = read_json(side)
    data = image.read_bytes()
    return record.get("sha256") == sha256_bytes(data) and record.get("bytes") == len(data)


def pending_of(image: Path) -> Path:
    return image.with_name(f".{image.name}{SIDECAR_SUFFIX}{PENDING_SUFFIX}")


def pending_matches(image: Path) -> bool:
    """A pending sidecar (commit interrupted between the renames) describes the image."""
    pending = pending_of(image)
    if not pending.is_file():
        return False
    try:
        record = read_json(pending)
    except ValueError:
        return False
    return record.get("sha256") == sha256_bytes(image.read_bytes())


def master_files(site: Path) -> list[Path]:
    """Master images in the default masters cache (`.assetgen/masters`)."""
    folder = site / ".assetgen" / "masters"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and TEMP_MARKER not in p.name)


def master_index(site: Path) -> list[Path]:
    folder = site / ".assetgen" / "masters" / "index"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and TEMP_MARKER not in p.name)


# --------------------------------------------------------------------------- subprocesses


def subprocess_env(emu: Emulator, **extra: str) -> dict[str, str]:
    """The test process's (already cleaned) environment plus the emulator's endpoint and key."""
    env = dict(os.environ)
    env.update(OPENAI_BASE_URL=emu.base_url, OPENAI_API_KEY=TEST_KEY, NO_COLOR="1",
               ASSETGEN_RETRY_BASE_S=os.environ.get("ASSETGEN_RETRY_BASE_S", "0.02"))
    env.update(extra)
    return env


def spawn(site: Path, env: Mapping[str, str], *args: str) -> subprocess.Popen[bytes]:
    """`python -m assetgen -C site ARGS...` in its own process (stdout/stderr piped)."""
    return subprocess.Popen([sys.executable, "-m", "assetgen", "-C", str(site), *args],
                            env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


# --------------------------------------------------------------------------- secrets


# An Authorization header with a value (as text, or as a JSON/dict entry); the masked
# form the redaction step writes (`Authorization: Bearer ***`) is fine.
_BEARER = re.compile(r"""(?i)['"]?authorization['"]?\s*[:=]\s*['"]?bearer\s+(?!\*{3})[^\s'"]+""")


def secret_hits(text: str, secrets: Iterable[str]) -> list[str]:
    """Which secrets (or an unmasked bearer Authorization header) appear in ``text``."""
    found = [s for s in secrets if s and s in text]
    found += [f"Authorization header: {m.group(0)[:40]}" for m in _BEARER.finditer(text)]
    return found


def scan_files(roots: Iterable[Path], secrets: Iterable[str]) -> dict[str, list[str]]:
    """Every regular file below ``roots`` (or the file itself) that contains a secret."""
    wanted = [s for s in secrets if s]
    hits: dict[str, list[str]] = {}
    for root in roots:
        if not root.exists():
            continue
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            try:
                text = path.read_bytes().decode("utf-8", "replace")
            except OSError:
                continue
            found = secret_hits(text, wanted)
            if found:
                hits[str(path)] = found
    return hits
