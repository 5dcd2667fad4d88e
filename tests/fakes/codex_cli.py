"""A fake `codex` CLI that behaves like the real one, as its users report it.

`install(bin_dir)` writes an executable `codex` shim into ``bin_dir`` that runs
this file with the tests' own Python (baked in, so a venv Python works).

Implemented: `codex --version`, `codex login status` (logged in when
``$CODEX_HOME/auth.json`` exists), and `codex exec [OPTIONS] [--] PROMPT`:

- like the real CLI, reads stdin to EOF when it is not a TTY (an open stdin
  hangs it), refuses to run outside a git repo without `--skip-git-repo-check`,
  and silently saves nothing under a read-only sandbox;
- logs a banner with ``session id: <uuid4>`` on stderr, writes a session
  rollout file and saves the image under
  ``$CODEX_HOME/generated_images/<session id>/ig_<hex>.png`` at a size of its
  own choosing (1254x1254, 1536x1024 or 1024x1536 by the asked aspect);
- prints a bogus ``Saved image to <elsewhere>.png`` that must not be trusted
  (with ``FAKE_CODEX_DECOY_DIR`` it even writes a 64x64 decoy there).

Switches (environment): ``FAKE_CODEX_MODE`` = ok | fail | save_nothing | hang |
stdin_hang | exec_name | callid_name | multi | rollout_only | logged_out |
rotate_auth; ``FAKE_CODEX_KEYRING=1`` (logged in without an auth.json);
``FAKE_CODEX_SIZE=WxH``; ``FAKE_CODEX_DELAY`` seconds; ``FAKE_CODEX_LOG`` a
JSON-lines file receiving one record per invocation (argv, CODEX_HOME, pids, ...).
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import struct
import subprocess
import sys
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

VERSION = "codex-cli 0.98.0"
SELF = Path(__file__).resolve()


def install(bin_dir: Path, python: str | None = None) -> Path:
    """Write the `codex` shim into ``bin_dir`` and return its path."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "codex"
    shim.write_text(f'#!/bin/sh\nexec "{python or sys.executable}" "{SELF}" "$@"\n',
                    encoding="utf-8")
    shim.chmod(0o755)
    return shim


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A solid RGB PNG, without Pillow (the fake may run on any Python)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    row = b"\x00" + bytes(colour) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * height, 1)) + chunk(b"IEND", b""))


def record(entry: dict[str, object]) -> None:
    log = os.environ.get("FAKE_CODEX_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def codex_home() -> Path:
    return Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")


def logged_in(home: Path) -> bool:
    # FAKE_CODEX_KEYRING=1: credentials in the OS keyring, so no auth.json in the home.
    return os.environ.get("FAKE_CODEX_KEYRING") == "1" or (home / "auth.json").is_file()


def login_status() -> int:
    if logged_in(codex_home()):
        print("Logged in using ChatGPT", file=sys.stderr)
        return 0
    print("Not logged in", file=sys.stderr)
    return 1


def parse_exec(args: list[str]) -> dict[str, object]:
    opts: dict[str, object] = {"images": [], "skip_git": False, "sandbox": "read-only",
                               "cd": os.getcwd(), "prompt": None}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            opts["prompt"] = " ".join(args[i + 1:]) or None
            break
        if arg == "--skip-git-repo-check":
            opts["skip_git"] = True
        elif arg in ("-s", "--sandbox"):
            i += 1
            opts["sandbox"] = args[i]
        elif arg in ("-C", "--cd"):
            i += 1
            opts["cd"] = args[i]
        elif arg in ("-m", "--model", "-c", "--config", "-p", "--profile"):
            i += 1
        elif arg in ("-i", "--image"):  # num_args = 1.., comma-delimited: greedy, like clap
            while i + 1 < len(args) and not args[i + 1].startswith("-"):
                i += 1
                opts["images"] += args[i].split(",")  # type: ignore[operator]
        elif arg.startswith("-"):
            pass  # flags without values (--json, --ephemeral, ...)
        elif opts["prompt"] is None:
            opts["prompt"] = arg
        else:
            print(f"error: unexpected argument '{arg}' found", file=sys.stderr)
            sys.exit(2)
        i += 1
    return opts


def chosen_size(prompt: str) -> tuple[int, int]:
    forced = os.environ.get("FAKE_CODEX_SIZE", "")
    if re.fullmatch(r"\d+x\d+", forced):
        width, height = forced.split("x")
        return int(width), int(height)
    asked = re.search(r"(\d{2,5})x(\d{2,5})", prompt)
    if not asked:
        return 1254, 1254
    width, height = int(asked.group(1)), int(asked.group(2))
    ratio = width / height
    return (1536, 1024) if ratio > 1.2 else (1024, 1536) if ratio < 0.83 else (1254, 1254)


def image_name(mode: str, session: str) -> str:
    if mode == "exec_name":
        return f"exec-{uuid.uuid4()}.png"
    if mode == "callid_name":
        return f"call_{uuid.uuid4().hex[:24]}.png"
    return f"ig_{uuid.uuid4().hex}{uuid.uuid4().hex[:18]}.png"


def run_exec(args: list[str], entry: dict[str, object]) -> int:
    mode = os.environ.get("FAKE_CODEX_MODE", "ok")
    opts = parse_exec(args)
    entry.update({"images": opts["images"], "sandbox": opts["sandbox"], "cd": opts["cd"]})
    stdin_tty = sys.stdin is not None and sys.stdin.isatty()
    try:
        info = os.fstat(0)
        entry["stdin_devnull"] = stat.S_ISCHR(info.st_mode) \
            and info.st_rdev == os.stat(os.devnull).st_rdev
    except OSError:
        entry["stdin_devnull"] = None  # closed altogether
    if not stdin_tty and sys.stdin is not None:
        print("Reading additional input from stdin...", file=sys.stderr, flush=True)
        entry["stdin_bytes"] = len(sys.stdin.read())  # blocks until EOF, like codex
    if not opts["skip_git"] and not (Path(str(opts["cd"])) / ".git").exists():
        print("Not inside a trusted directory and --skip-git-repo-check was not specified.",
              file=sys.stderr)
        return 1
    prompt = str(opts["prompt"] or "")
    for image in opts["images"]:  # type: ignore[attr-defined]
        if not Path(image).is_file():
            print(f"Error: failed to load image {image}: No such file or directory",
                  file=sys.stderr)
            return 1
    home = codex_home()
    session = str(uuid.uuid4())
    entry["session"] = session
    started = datetime.now(UTC)
    print(f"OpenAI Codex v{VERSION.split()[-1]} (research preview)\n--------\n"
          f"workdir: {opts['cd']}\nmodel: gpt-5.5\nprovider: openai\napproval: never\n"
          f"sandbox: {opts['sandbox']}\nreasoning effort: medium\n"
          f"session id: {session}\n--------\nuser\n{prompt}\n", file=sys.stderr, flush=True)
    if mode == "logged_out" or not logged_in(home):
        print("ERROR: unexpected status 401 Unauthorized: Your authentication token is "
              "missing. Please log in again (codex login).", file=sys.stderr)
        return 1
    if mode == "fail":
        print("ERROR: image generation failed: the tool returned an error "
              "(server_error) — please try again later", file=sys.stderr)
        return 1
    if mode == "hang":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        entry["child_pid"] = child.pid
        record(entry)
        entry.clear()
        time.sleep(600)
    if mode == "rotate_auth":  # a token refresh that replaces the file instead of writing it
        auth = home / "auth.json"
        auth.unlink()
        auth.write_text('{"tokens": {"access_token": "refreshed"}}', encoding="utf-8")
    delay = float(os.environ.get("FAKE_CODEX_DELAY", "0") or 0)
    if delay:
        time.sleep(delay)
    width, height = chosen_size(prompt)
    data = png(width, height, (40, 90 + len(prompt) % 120, 160))
    rollout = (home / "sessions" / started.strftime("%Y/%m/%d")
               / f"rollout-{started.strftime('%Y-%m-%dT%H-%M-%S')}-{session}.jsonl")
    rollout.parent.mkdir(parents=True, exist_ok=True)
    items = [{"type": "session_meta", "payload": {"id": session, "cwd": str(opts["cd"])}}]
    if mode != "save_nothing":
        items.append({"type": "response_item", "payload": {
            "type": "image_generation_call", "status": "completed",
            "result": base64.b64encode(data).decode("ascii")}})
    rollout.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    saved: list[str] = []
    writable = opts["sandbox"] in ("workspace-write", "danger-full-access")
    if mode not in ("save_nothing", "rollout_only") and writable:
        folder = home / "generated_images" / session
        folder.mkdir(parents=True, exist_ok=True)
        if mode == "multi":
            first = folder / image_name(mode, session)
            first.write_bytes(png(512, 512, (200, 0, 0)))
            past = time.time() - 5
            os.utime(first, (past, past))
            saved.append(first.name)
        target = folder / image_name(mode, session)
        target.write_bytes(data)
        saved.append(target.name)
    entry["saved"] = saved
    entry["size"] = f"{width}x{height}"
    decoy_dir = os.environ.get("FAKE_CODEX_DECOY_DIR")
    decoy = Path(decoy_dir or "/tmp") / f"codex-image-{uuid.uuid4().hex[:8]}.png"
    if decoy_dir:
        decoy.write_bytes(png(64, 64, (255, 0, 255)))
    print("codex\nGenerated the image.\ntokens used: 12,345", file=sys.stderr)
    print(f"Saved image to {decoy}")
    return 0


def main(argv: list[str]) -> int:
    entry: dict[str, object] = {"argv": argv, "codex_home": os.environ.get("CODEX_HOME"),
                                "pid": os.getpid(), "cwd": os.getcwd(),
                                "start": time.time()}
    home = os.environ.get("CODEX_HOME")
    if home:
        entry["auth_is_symlink"] = (Path(home) / "auth.json").is_symlink()
    try:
        if argv[:1] == ["--version"]:
            print(VERSION)
            return 0
        if argv[:2] == ["login", "status"]:
            return login_status()
        if argv[:1] == ["exec"]:
            return run_exec(argv[1:], entry)
        print(f"fake codex: unsupported arguments {argv}", file=sys.stderr)
        return 2
    finally:
        if entry:
            entry["end"] = time.time()
            record(entry)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


@dataclass
class Codex:
    """A test's view of the fake: where it lives, the user's home, its call log."""

    bin_dir: Path
    user_home: Path
    log: Path
    tmp: Path
    decoys: Path

    def calls(self, command: str = "exec") -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        entries = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [e for e in entries if e["argv"][:1] == [command]]
