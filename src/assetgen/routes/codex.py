"""The `codex` route: the Codex CLI's built-in image tool (ChatGPT login, no API key).

One asset is one `codex exec` run:

    codex exec --skip-git-repo-check --sandbox workspace-write -C <scratch>/work \
        [-i <scratch>/work/input-1.png ...] -- "<instruction>"

with stdin closed (an open stdin makes codex wait for a `<stdin>` block forever),
in its own process group, and with a **private** ``CODEX_HOME`` that links the
user's ``auth.json`` and ``config.toml`` (plus ``<profile>.config.toml`` layers).
The image tool saves under ``$CODEX_HOME/generated_images/<session>/`` with names
that change between versions, so every image file in the private home is this
run's by construction; the folder named by the logged ``session id`` is preferred.
A path the agent prints is never read. If the tool saved no file, the image is
taken from the run's own session log (``sessions/**/rollout-*.jsonl``), where
some codex versions only record it as base64.

Decisions where the contract is silent:

- The scratch folder (private home + empty workdir) lives in the system temp
  dir, not in the repository: ``workspace-write`` lets codex write there (a home
  outside the writable roots silently loses the save), and a workdir outside the
  repo keeps the project's AGENTS.md out of the agent's context. It is removed
  after the run; the image bytes are kept in memory and the engine stores them as
  the master before fitting.
- When the user's home has no ``auth.json`` (keyring credential store, which is
  keyed by the home's path), the run uses the user's home itself and takes only
  the files of the logged session's folder that were not there before.
- If codex rotated the login inside the private home by replacing the link with
  a file, the newer ``auth.json`` is copied back so the user stays logged in.
- A timeout is a ``PermanentError``: the run may already have spent credits and
  a hung agent rarely recovers, so it is not retried automatically; the message
  names ``routes.codex.timeout_s``. A failed run (non-zero exit) is not retried
  either. Billing is ``codex-credits`` with no USD cost: ChatGPT plan credits
  have no price assetgen could know.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assetgen.core.secrets import redact, secret_values
from assetgen.errors import ConfigError, ImageError, PermanentError
from assetgen.images.codec import probe
from assetgen.manifest import Asset
from assetgen.routes.base import ImageJob, RouteContext, RouteResult
from assetgen.routes.codex_files import IMAGE_SUFFIXES, image_files, pick_image
from assetgen.routes.registry import route_info

DEFAULT_BINARY = "codex"
DEFAULT_TIMEOUT_S = 600.0
PROBE_TIMEOUT_S = 30.0  # `codex --version`, `codex login status`
KILL_GRACE_S = 2.0
LOG_TAIL_LINES = 6
INSTALL_HINT = ("install it with `npm i -g @openai/codex`, set `routes.codex.binary` in "
                "assetgen.yaml to its path, or use `assetgen build --draft`")
LOGIN_HINT = "run `codex login` (ChatGPT sign-in), then build again"
NOT_LOGGED_IN = "Not logged in"
LINKED_FILES = ("auth.json", "config.toml")
LINKED_GLOBS = ("*.config.toml",)
_SESSION_RE = re.compile(r"session id:\s*([0-9A-Za-z][0-9A-Za-z_-]{7,})", re.IGNORECASE)
_LOGGED_OUT_RE = re.compile(r"not logged in|\b401\b|unauthorized", re.IGNORECASE)
_LIMIT_RE = re.compile(r"usage limit|rate limit|\b429\b", re.IGNORECASE)
_VERSION_CACHE: dict[tuple[str, float], str] = {}


class CodexRoute:
    name = "codex"
    billing = route_info(name).billing
    exact_size = route_info(name).exact_size  # the tool picks its own size: the engine fits
    # Each job is a whole agent session: more than a few at once only queues at
    # the ChatGPT plan's limits (the engine's --concurrency still applies too).
    max_concurrency = 3

    def __init__(self, context: RouteContext) -> None:
        self.context = context
        settings = context.manifest.route_settings("codex")
        self.binary_setting = str(settings.get("binary") or DEFAULT_BINARY)
        self.timeout_s = float(settings.get("timeout_s", DEFAULT_TIMEOUT_S))
        self._version_lock: asyncio.Lock | None = None

    # -- before any work ---------------------------------------------------------------

    def preflight(self, assets: list[Asset]) -> None:
        manifest = self.context.manifest
        masked = [a for a in assets if a.mask is not None]
        if masked:
            where = ", ".join(f"{manifest.rel(manifest.file)}:{a.line} `{a.id}`" for a in masked)
            raise ConfigError(
                f"codex has no mask input, so it cannot make {where}",
                hint="drop `edit.mask` and describe the area to change in the prompt, "
                     "or give the asset `route: images` (or `responses`)")
        binary = self.binary_path()
        ok, detail = login_status(binary, self.context.environ)
        if ok:
            return
        if detail == NOT_LOGGED_IN:
            raise ConfigError("codex is not logged in", hint=LOGIN_HINT)
        raise ConfigError(f"could not check the codex login: {detail}",
                          hint=f"check that `{binary} login status` works; {LOGIN_HINT}")

    def binary_path(self) -> str:
        found = resolve_binary(self.binary_setting, self.context.environ)
        if found is None:
            raise ConfigError(f"the codex CLI (`{self.binary_setting}`) was not found on PATH",
                              hint=INSTALL_HINT)
        return found

    # -- one asset ---------------------------------------------------------------------

    async def run(self, job: ImageJob) -> RouteResult:
        binary = resolve_binary(self.binary_setting, self.context.environ)
        if binary is None:
            raise PermanentError(f"the codex CLI (`{self.binary_setting}`) is gone from PATH",
                                 route=self.name, code="no_binary", hint=INSTALL_HINT)
        version = await self.version(binary)
        environ = self.context.environ
        user_home = user_codex_home(environ)
        private = (user_home / "auth.json").exists() or not user_home.is_dir()
        tmp_root = environ.get("TMPDIR") or None
        scratch = Path(tempfile.mkdtemp(prefix="assetgen-codex-", dir=tmp_root))
        try:
            work = scratch / "work"
            work.mkdir()
            home = prepare_private_home(scratch / "home", user_home) if private else user_home
            before = set(image_files(home / "generated_images")) if not private else set()
            images = stage_inputs(job, work)
            text = instruction(job, images)
            argv = exec_argv(binary, work, images, text)
            env = {**environ, "CODEX_HOME": str(home)}
            code, log = await self.execute(argv, env, work)
            session = parse_session(log)
            if private:
                sync_auth_back(home, user_home)
            if code != 0:
                raise self.failure(code, self.tail(log, text), session)
            picked = await asyncio.to_thread(pick_image, home, session, exclude=before,
                                             session_required=not private)
            if picked is None:
                raise PermanentError(
                    "codex ran but saved no image" + (f" (session {session})" if session else ""),
                    route=self.name, code="no_image",
                    hint="the sandbox must be workspace-write (assetgen passes it); check "
                         "`codex login status` and that your plan includes image generation;"
                         f" log tail: {self.tail(log, text)}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        returned = _size_of(picked.data)
        extra: dict[str, Any] = {"session": session, "codex_version": version,
                                 "requested_size": job.size, "returned_size": returned,
                                 "codex_file": picked.name}
        if picked.others:
            extra["codex_other_files"] = picked.others
        if picked.source != "generated_images":
            extra["codex_source"] = picked.source
        if not private:
            extra["codex_home"] = "shared"
        return RouteResult(image=picked.data, route=self.name, model=job.model,
                           billing=self.billing, extra=extra)

    async def execute(self, argv: list[str], env: dict[str, str],
                      cwd: Path) -> tuple[int, str]:
        """Run codex with stdin closed; kill its whole process group on timeout or cancel."""
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=env, cwd=str(cwd),
                start_new_session=True)
        except OSError as exc:
            raise PermanentError(f"cannot start {argv[0]}: {exc.strerror or exc}",
                                 route=self.name, code="no_binary", hint=INSTALL_HINT) from exc
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout=self.timeout_s)
        except TimeoutError:
            await kill_group(proc)
            raise PermanentError(
                f"codex exec did not finish within {self.timeout_s:g}s and was stopped",
                route=self.name, code="timeout",
                hint="raise `routes.codex.timeout_s` in assetgen.yaml if the run needs longer"
                     " (it is not retried automatically: it may already have used credits)"
            ) from None
        except BaseException:
            await kill_group(proc)
            raise
        log = out.decode("utf-8", "replace") + "\n" + err.decode("utf-8", "replace")
        return proc.returncode or 0, log

    def failure(self, code: int, tail: str, session: str | None) -> PermanentError:
        hint = "run the same `codex exec` by hand to investigate"
        if _LOGGED_OUT_RE.search(tail):
            hint = LOGIN_HINT
        elif _LIMIT_RE.search(tail):
            hint = "the Codex plan's usage limit was reached; wait for it to reset or use " \
                   "another route"
        run = f"codex exec (session {session})" if session else "codex exec"
        return PermanentError(f"{run} exited with status {code}: {tail}",
                              route=self.name, code="exec_failed", hint=hint)

    def tail(self, log: str, echoed: str) -> str:
        """The log's last lines, without the instruction codex echoes, secrets masked."""
        skip = {line.strip() for line in echoed.splitlines()}
        lines = [line.strip() for line in log.splitlines()
                 if line.strip() and line.strip() not in skip]
        text = " | ".join(lines[-LOG_TAIL_LINES:]) or "(no output)"
        return redact(text, secret_values(dict(self.context.environ)))

    async def version(self, binary: str) -> str:
        key = _version_key(binary)
        if key in _VERSION_CACHE:
            return _VERSION_CACHE[key]
        if self._version_lock is None:
            self._version_lock = asyncio.Lock()
        async with self._version_lock:
            if key not in _VERSION_CACHE:
                _VERSION_CACHE[key] = await asyncio.to_thread(
                    codex_version, binary, self.context.environ)
        return _VERSION_CACHE[key]


# -- the codex CLI, synchronously (preflight, doctor) ------------------------------------


def resolve_binary(setting: str, environ: Mapping[str, str]) -> str | None:
    """The codex executable: a path, or a name looked up on the given PATH."""
    candidate = os.path.expanduser(setting)
    return shutil.which(candidate, path=environ.get("PATH", os.defpath))


def user_codex_home(environ: Mapping[str, str]) -> Path:
    configured = environ.get("CODEX_HOME")
    if configured:
        return Path(configured).expanduser()
    home = environ.get("HOME")
    return (Path(home) if home else Path.home()) / ".codex"


def _probe(argv: list[str], environ: Mapping[str, str]) -> tuple[int, str]:
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              env=dict(environ), timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return -1, f"`{' '.join(argv[1:])}` did not answer within {PROBE_TIMEOUT_S:g}s"
    except OSError as exc:
        return -1, f"cannot run {argv[0]}: {exc.strerror or exc}"
    text = (done.stdout + b"\n" + done.stderr).decode("utf-8", "replace").strip()
    return done.returncode, redact(text, secret_values(dict(environ)))


def codex_version(binary: str, environ: Mapping[str, str]) -> str:
    code, text = _probe([binary, "--version"], environ)
    first = text.splitlines()[0].strip() if text else ""
    return first if code == 0 and first else "unknown"


def login_status(binary: str, environ: Mapping[str, str]) -> tuple[bool, str]:
    """(logged in?, what codex said) from `codex login status`; never shows a key."""
    code, text = _probe([binary, "login", "status"], environ)
    lowered = text.lower()
    if "not logged in" in lowered:
        return False, NOT_LOGGED_IN
    if code == 0:
        if "chatgpt" in lowered:
            return True, "Logged in using ChatGPT"
        if "api key" in lowered:
            return True, "Logged in using an API key (billed to the API, not plan credits)"
        return True, text.splitlines()[0] if text else "logged in"
    return False, text.splitlines()[-1] if text else f"`codex login status` exited {code}"


def codex_diagnostics(settings: Mapping[str, Any],
                      environ: Mapping[str, str]) -> list[tuple[str, bool, str]]:
    """`assetgen doctor` steps for the codex surface: binary, home, login."""
    setting = str(settings.get("binary") or DEFAULT_BINARY)
    steps: list[tuple[str, bool, str]] = []
    binary = resolve_binary(setting, environ)
    if binary is None:
        steps.append(("codex binary", False, f"`{setting}` not found on PATH — {INSTALL_HINT}"))
    else:
        steps.append(("codex binary", True, f"{binary} ({codex_version(binary, environ)})"))
    home = user_codex_home(environ)
    shown = _display_path(home, environ)
    if not home.is_dir():
        steps.append(("codex home", False, f"{shown} does not exist — {LOGIN_HINT}"))
    elif (home / "auth.json").is_file():
        steps.append(("codex home", True, f"{shown} (auth.json present)"))
    else:
        steps.append(("codex home", True, f"{shown} (no auth.json: keyring or API-key login)"))
    if binary is not None:
        ok, detail = login_status(binary, environ)
        steps.append(("codex login", ok, detail if ok else f"{detail} — {LOGIN_HINT}"))
    return steps


def _display_path(path: Path, environ: Mapping[str, str]) -> str:
    home = environ.get("HOME")
    if home:
        with contextlib.suppress(ValueError):
            return "~/" + path.relative_to(home).as_posix()
    return str(path)


def _version_key(binary: str) -> tuple[str, float]:
    try:
        return binary, os.stat(binary).st_mtime
    except OSError:
        return binary, 0.0


# -- one run's files ---------------------------------------------------------------------


def prepare_private_home(home: Path, user_home: Path) -> Path:
    """A fresh CODEX_HOME holding links to the user's login and config, nothing else."""
    home.mkdir(parents=True)
    names = [n for n in LINKED_FILES if (user_home / n).is_file()]
    for pattern in LINKED_GLOBS:
        names += sorted(p.name for p in user_home.glob(pattern) if p.is_file())
    for name in names:
        try:
            (home / name).symlink_to(user_home / name)
        except OSError:  # no symlinks (some Windows setups): a private copy will do
            shutil.copy2(user_home / name, home / name)
    return home


def sync_auth_back(home: Path, user_home: Path) -> None:
    """Keep a login codex refreshed by replacing our link with a file."""
    private, user = home / "auth.json", user_home / "auth.json"
    if private.is_symlink() or not private.is_file() or not user.is_file():
        return
    with contextlib.suppress(OSError, ValueError):
        data = private.read_bytes()
        json.loads(data)
        if data == user.read_bytes() or private.stat().st_mtime <= user.stat().st_mtime:
            return
        fd, tmp = tempfile.mkstemp(dir=user_home, prefix=".auth.json.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, user)


def stage_inputs(job: ImageJob, work: Path) -> list[Path]:
    """Copy edit inputs into the workdir under plain names (`-i` splits on commas)."""
    staged = []
    for number, item in enumerate(job.inputs, start=1):
        suffix = item.path.suffix.lower() if item.path.suffix.lower() in IMAGE_SUFFIXES else ".png"
        path = work / f"input-{number}{suffix}"
        path.write_bytes(item.data)
        staged.append(path)
    return staged


def exec_argv(binary: str, work: Path, images: list[Path], text: str) -> list[str]:
    argv = [binary, "exec", "--skip-git-repo-check", "--sandbox", "workspace-write",
            "-C", str(work)]
    for image in images:
        argv += ["-i", str(image)]
    return [*argv, "--", text]  # `--`: -i takes several values, and the text is no subcommand


def instruction(job: ImageJob, images: list[Path]) -> str:
    lines = ["Use your built-in image generation tool exactly once to make one image, "
             "then stop.", "", "Image prompt:", "<<<", job.prompt, ">>>", "",
             "Requirements:", "- Pass the image prompt above to the tool as it is."]
    size = _describe_size(job.size)
    lines.append(f"- Size: {size}." if size else "- Size: the tool's choice.")
    lines.append(f"- Quality: {job.quality}.")
    if job.background == "transparent":
        lines.append("- Background: transparent.")
    if images:
        names = ", ".join(p.name for p in images)
        lines.append(f"- This is an edit: the attached image(s) ({names}, in that order) are "
                     "the input(s) of the image tool; change only what the prompt asks.")
        if job.fidelity == "high":
            lines.append("- Keep the input image(s)' details (faces, logos, text) faithful.")
    lines += ["- Do not create, write, modify or delete any file in the workspace and run no "
              "shell commands: the tool saves the image by itself.",
              "- Do not describe the image; reply with one short line when done."]
    return "\n".join(lines)


def _describe_size(size: str) -> str | None:
    width, _, height = size.partition("x")
    if not (width.isdigit() and height.isdigit()):
        return None
    w, h = int(width), int(height)
    divisor = math.gcd(w, h) or 1
    shape = "square" if w == h else "landscape" if w > h else "portrait"
    return f"{w}x{h} pixels ({shape}, aspect ratio {w // divisor}:{h // divisor})"


def parse_session(log: str) -> str | None:
    found = _SESSION_RE.findall(log)
    return found[-1] if found else None


def _size_of(data: bytes) -> str:
    try:
        info = probe(data)
    except ImageError as exc:
        raise PermanentError(f"codex saved a file that is not a readable image ({exc.message})",
                             route="codex", code="bad_image") from exc
    return f"{info.width}x{info.height}"


async def kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the run's process group, then SIGKILL what is left, then reap."""
    killpg = getattr(os, "killpg", None)

    def send(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if killpg is not None:
                killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)

    send(signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(proc.wait()), timeout=KILL_GRACE_S)
    send(getattr(signal, "SIGKILL", signal.SIGTERM))
    # A process that left the group could hold the pipes open: do not wait for it forever.
    with contextlib.suppress(ProcessLookupError, TimeoutError):
        await asyncio.wait_for(asyncio.shield(proc.wait()), timeout=KILL_GRACE_S * 2)


def create(context: RouteContext) -> CodexRoute:
    return CodexRoute(context)
