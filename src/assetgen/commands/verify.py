"""`assetgen verify [FILE...]`: the pre-commit hook and CI check of lineage (SPEC.md 2.3, 3).

Paths in messages are relative to the directory verify runs in (the shell's, or `-C DIR`):
pre-commit runs hooks from the repository root, so `example-site/public/img/hero.webp:` is
a path a terminal or editor can open from where the user is, even when the manifest lives
in a subfolder. FILE arguments are relative to the same directory.

Which manifest: `--manifest` if given; otherwise, with FILE arguments, each file's nearest
`assetgen.yaml` upwards (so one hook serves a repository whose site is in a subfolder, or
several sites), and files that belong to no site are ignored; with no FILE arguments, the
nearest `assetgen.yaml` upwards from the working directory.

Exit codes: 0 when no finding is an error, 1 when one is, 2 for a manifest or usage error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assetgen.console import Console
from assetgen.errors import EXIT_OK, EXIT_PROBLEMS, UsageError
from assetgen.fsutil import atomic_write, escapes
from assetgen.hashcache import HashCache
from assetgen.lineage import STATES, Finding, LineageReport, check, display_path
from assetgen.manifest import Manifest, find_manifest, load_manifest
from assetgen.manifest_schema import MANIFEST_NAME

_STYLE = {"error": ("red", "bold"), "warning": ("yellow",)}


@dataclass
class _Run:
    manifest: Manifest
    report: LineageReport


def run(manifest_path: Path | None, cwd: Path, files: list[str], *, strict: bool,
        no_cache: bool, json_mode: bool, console: Console) -> int:
    def show(path: Path) -> str:
        return display_path(path, cwd)

    paths = _expand([Path(os.path.abspath(cwd / f)) for f in files]) if files else None
    runs: list[_Run] = []
    for manifest, scoped in _sites(manifest_path, cwd, paths, no_cache=no_cache):
        hashes = HashCache(None if no_cache else manifest.state_dir / "hashes.json")
        report = check(manifest, hashes=hashes, files=scoped, strict=strict, show=show)
        hashes.save()
        runs.append(_Run(manifest, report))

    findings = sorted((f for r in runs for f in r.report.findings),
                      key=lambda f: (f.severity != "error", show(f.path), f.line or 0))
    errors = sum(1 for f in findings if f.severity == "error")
    code = EXIT_PROBLEMS if errors else EXIT_OK
    if json_mode:
        console.emit_json(_document(runs, findings, show, strict=strict, code=code))
        return code
    if not runs:
        console.log("verify: none of the given files belongs to a site with an "
                    f"{MANIFEST_NAME}; nothing to check")
        return code
    for finding in findings:
        console.print(_line(console, finding, show))
    for item in runs:
        console.print(_summary(item, show, several=len(runs) > 1, strict=strict))
    return code


def _expand(paths: list[Path]) -> list[Path]:
    """Folders given as FILE arguments stand for every file below them."""
    result: list[Path] = []
    for path in paths:
        if path.is_dir():
            result += [Path(folder, name) for folder, _, names in os.walk(path)
                       for name in names]
        else:
            result.append(path)
    return result


def _sites(manifest_path: Path | None, cwd: Path, paths: list[Path] | None, *,
           no_cache: bool) -> list[tuple[Manifest, list[Path] | None]]:
    """The manifests to check, each with its FILE arguments (``None``: the whole site)."""
    def load(path: Path) -> Manifest:
        cache = None if no_cache else path.resolve().parent / ".assetgen" / "manifest.json"
        return load_manifest_cached(path, cache)

    if manifest_path is not None and not manifest_path.exists():
        raise UsageError(f"{manifest_path}: no such manifest",
                         hint="check --manifest, or run `assetgen init` to create one")
    if manifest_path is not None or paths is None:
        return [(load(manifest_path or find_manifest(cwd)), paths)]
    groups: dict[Path, list[Path]] = {}
    nearest: dict[Path, Path | None] = {}
    for path in paths:
        found = _nearest_manifest(path.parent, nearest)
        if found is not None:
            groups.setdefault(found, []).append(path)
    return [(load(found), scoped) for found, scoped in sorted(groups.items())]


def _nearest_manifest(folder: Path, memo: dict[Path, Path | None]) -> Path | None:
    trail = []
    result: Path | None = None
    for candidate in (folder, *folder.parents):
        if candidate in memo:
            result = memo[candidate]
            break
        trail.append(candidate)
        if (candidate / MANIFEST_NAME).is_file():
            result = candidate / MANIFEST_NAME
            break
    for seen in trail:
        memo[seen] = result
    return result


def _line(console: Console, finding: Finding, show: Any) -> str:
    text = finding.format(show)
    word = f": {finding.state} — "
    styled = console.style(finding.state, *_STYLE[finding.severity])
    return text.replace(word, f": {styled} — ", 1)


def _summary(item: _Run, show: Any, *, several: bool, strict: bool) -> str:
    report = item.report
    where = f" {show(item.manifest.file)}:" if several else ""
    counted = (f"{report.assets} asset{_s(report.assets)}, {report.static} static, "
               f"{report.references} reference{_s(report.references)}")
    if report.scoped and not (report.assets or report.static or report.references
                              or report.findings):
        return f"verify:{where} nothing in the given files concerns this site"
    if report.errors:
        return (f"verify:{where} {report.errors} error{_s(report.errors)}, "
                f"{report.warnings} warning{_s(report.warnings)} in {counted}")
    if report.warnings:
        return (f"verify:{where} {counted} — no errors, {report.warnings} "
                f"warning{_s(report.warnings)} (`--strict` fails on them)")
    return f"verify:{where} {counted} — all lineage intact"


def _document(runs: list[_Run], findings: list[Finding], show: Any, *, strict: bool,
              code: int) -> dict[str, Any]:
    by_state = dict.fromkeys(STATES, 0)
    skipped: dict[str, int] = {}
    totals = {"assets": 0, "static": 0, "references": 0, "pages": 0}
    for item in runs:
        report = item.report
        for state, count in report.by_state.items():
            by_state[state] = by_state.get(state, 0) + count
        for reason, count in report.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + count
        for name in totals:
            totals[name] += getattr(report, name)
    return {
        "findings": [f.as_json(show) for f in findings],
        "summary": {
            "by_state": by_state,
            "errors": sum(1 for f in findings if f.severity == "error"),
            "warnings": sum(1 for f in findings if f.severity == "warning"),
            **totals,
            "strict": strict,
            "scoped": any(item.report.scoped for item in runs),
            "manifests": [show(item.manifest.file) for item in runs],
        },
        "skipped_references": skipped,
        "exit_code": code,
    }


def _s(count: int) -> str:
    return "" if count == 1 else "s"


# --- the resolved-manifest cache ------------------------------------------------------------
# Parsing and resolving a 2,000-asset manifest (ruamel round-trip, a Jinja2 compile per prompt)
# takes over a second; the resolved result only changes with the manifest's bytes, the code
# that resolves it and the files it checks. It is kept as JSON (never pickle: the folder is in
# the repository's tree) under .assetgen/, keyed by the manifest's bytes *and* its
# size/mtime/inode (so a copy committed by someone else never matches a fresh checkout), and
# re-validated against the filesystem on every use: output_dir and edit inputs must resolve as
# they did, and nothing below output_dir may be a symlink (the loader's escape checks would
# need re-running). Anything unusual falls back to the normal load.

_CACHE_FORMAT = 1


class _Uncacheable(Exception):
    pass


def load_manifest_cached(path: Path, cache_file: Path | None) -> Manifest:
    """`load_manifest`, answered from ``cache_file`` when nothing it depends on changed."""
    path = path.resolve()
    if cache_file is None:
        return load_manifest(path)
    try:
        data = path.read_bytes()
        stat = path.stat()
    except OSError:
        return load_manifest(path)  # reports the problem as the loader does
    key = _cache_key(path, data, stat)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, ImportError,
                             AttributeError, _Uncacheable):
        stored = json.loads(cache_file.read_text(encoding="utf-8"))
        if stored.get("key") == key:
            manifest = _decode(stored["manifest"])
            if isinstance(manifest, Manifest) and _still_valid(manifest, stored["checks"]):
                return manifest
    manifest = load_manifest(path)
    with contextlib.suppress(OSError, ValueError, TypeError, _Uncacheable):
        document = {"key": key, "manifest": _encode(manifest), "checks": _checks(manifest)}
        atomic_write(cache_file, json.dumps(document, separators=(",", ":")).encode())
    return manifest


def _cache_key(path: Path, data: bytes, stat: os.stat_result) -> dict[str, Any]:
    import PIL

    import assetgen

    code = hashlib.sha256()  # any change to assetgen's code (size, mtime) is a new key
    package = Path(assetgen.__file__).parent
    for folder, _, names in sorted(os.walk(package)):
        for name in sorted(n for n in names if n.endswith(".py")):
            info = os.stat(os.path.join(folder, name))
            code.update(f"{folder}/{name}:{info.st_size}:{info.st_mtime_ns};".encode())
    jinja = importlib.util.find_spec("jinja2")
    jinja_stat = Path(jinja.origin).stat() if jinja and jinja.origin else None
    return {"format": _CACHE_FORMAT, "path": str(path), "sha256": hashlib.sha256(data).hexdigest(),
            "stat": [stat.st_size, stat.st_mtime_ns, stat.st_ino], "code": code.hexdigest(),
            "tool": assetgen.__version__, "pillow": PIL.__version__,
            "jinja2": [jinja_stat.st_size, jinja_stat.st_mtime_ns] if jinja_stat else None}


def _checks(manifest: Manifest) -> dict[str, Any]:
    files = sorted({str(i.path) for a in manifest.assets for i in a.inputs if not i.asset_id}
                   | {str(a.mask) for a in manifest.assets if a.mask is not None})
    if _has_symlink(manifest.output_dir):
        raise _Uncacheable("symlinks below output_dir")
    return {"output_dir": os.path.relpath(manifest.output_dir, manifest.root), "files": files}


def _still_valid(manifest: Manifest, checks: dict[str, Any]) -> bool:
    raw = checks["output_dir"]
    if escapes(raw, manifest.root) or (manifest.root / raw).resolve() != manifest.output_dir:
        return False
    for name in checks["files"]:
        file = Path(name)
        if not file.is_file() or file.resolve() != file:
            return False
    return not _has_symlink(manifest.output_dir)


def _has_symlink(folder: Path) -> bool:
    stack = [str(folder)]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        return True
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except FileNotFoundError:
            continue
    return False


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):  # ruamel's ScalarFloat etc. become plain numbers
        return float(value) if isinstance(value, float) else int(value)
    if isinstance(value, Path):
        return {"$path": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        if not kind.__module__.startswith("assetgen."):
            raise _Uncacheable(kind.__name__)
        names = [f.name for f in dataclasses.fields(value)
                 if f.init and not (kind is Manifest and f.name == "by_id")]
        return {"$dc": f"{kind.__module__}:{kind.__qualname__}",
                "fields": {n: _encode(getattr(value, n)) for n in names}}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": {k: _encode(v) for k, v in value.items()}}
    raise _Uncacheable(type(value).__name__)


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$path" in value:
        return Path(value["$path"])
    if "$tuple" in value:
        return tuple(_decode(v) for v in value["$tuple"])
    if "$dict" in value:
        return {k: _decode(v) for k, v in value["$dict"].items()}
    if "$dc" in value:
        return _dataclass(value["$dc"])(**{k: _decode(v) for k, v in value["fields"].items()})
    raise _Uncacheable("unexpected object")


def _dataclass(name: str) -> Any:
    """Only assetgen's own dataclasses are ever rebuilt from the cache."""
    module, _, qualname = name.partition(":")
    if not module.startswith("assetgen.") or "." in qualname:
        raise _Uncacheable(name)
    kind = getattr(importlib.import_module(module), qualname, None)
    if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
        raise _Uncacheable(name)
    return kind
