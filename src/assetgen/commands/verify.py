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

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assetgen.cli.console import Console
from assetgen.core.hashcache import HashCache
from assetgen.errors import EXIT_OK, EXIT_PROBLEMS, UsageError
from assetgen.manifest.cache import cache_file_for, load_manifest_cached
from assetgen.manifest.load import Manifest, find_manifest
from assetgen.manifest.schema import MANIFEST_NAME
from assetgen.verify.check import STATES, Finding, LineageReport, check, display_path

_UNCHECKED = ("template", "package", "unreadable")  # skips that may hide a local image
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
        hashes = HashCache(None if no_cache else manifest.state_dir / "hashes.json",
                           root=manifest.root)
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
        return load_manifest_cached(path, None if no_cache else cache_file_for(path))

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
    if report.scoped and not (report.assets or report.static or report.references or report.files
                              or report.findings):
        return f"verify:{where} nothing in the given files concerns this site"
    if report.errors:
        return (f"verify:{where} {report.errors} error{_s(report.errors)}, "
                f"{report.warnings} warning{_s(report.warnings)} in {counted}")
    if report.warnings:
        return (f"verify:{where} {counted} — no errors, {report.warnings} "
                f"warning{_s(report.warnings)} (`--strict` fails on them)")
    dynamic = sum(report.skipped.get(reason, 0) for reason in _UNCHECKED)
    if dynamic:  # never "all intact" when some references could not be followed (SPEC 7)
        return (f"verify:{where} {counted} — no problems found, but {dynamic} "
                f"reference{_s(dynamic)} could not be followed ("
                + ", ".join(f"{report.skipped[r]} {r}" for r in _UNCHECKED
                            if report.skipped.get(r)) + ")")
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
