"""Measure `assetgen verify` on real sites against an independent ground truth (issue 14).

    python bench/real_sites.py CORPUS [--truth DIR] [--site NAME ...] [--generator auto|none]
                               [--json FILE] [--markdown] [--misses]

CORPUS holds one folder per site (`<owner>+<name>/`, a checkout of the site's repository) and
`truth/<owner>+<name>.json` (or `--truth DIR`). A truth file records the repository and
commit, the generator, the `assetgen` block to verify with (`output_dir`, `sources`), every
local image reference (`page`, `line`, `raw`, `image` — repo-relative — and a syntax
`category`), the references that cannot be resolved statically (`unresolvable`) and, apart,
`debatable` ones (SVGs inlined by a template include) that count neither way.

Per site the benchmark copies the checkout to a temporary folder, writes an `assetgen.yaml`
that declares nothing (no assets, no static), runs the real CLI, `assetgen verify --json`, as
a subprocess there, and compares the findings with the truth:

- recall: truth images that verify reported in any state (`unknown`, `broken-ref`,
  `unresolved`, ...), over all truth images; a reference reported at another path is a miss;
- false positives: reference findings whose path is no truth image and whose page:line is
  neither an unresolvable nor a debatable truth entry (`wrong path` counts those whose
  page:line is a truth reference, i.e. seen but resolved to the wrong file);
- unresolved: `unresolved` findings, and how many truth unresolvable entries they cover.

`--generator auto` (the default) adds the truth's `generator:` key to the manifest; when this
assetgen refuses the manifest for it (exit 2), the site is run again without it and the
table says so. The checkout is never modified. Exit status 0 unless a run failed outright.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REFERENCE_STATES = frozenset({"unknown", "broken-ref", "unresolved"})
IGNORED_DIRS = shutil.ignore_patterns(".git", "node_modules", ".assetgen")


@dataclass
class SiteResult:
    site: str
    repository: str
    commit: str
    generator: str
    generator_key: str  # "yes", "refused" or "no"
    files: int
    pages: int | None
    truth_refs: int
    truth_images: int
    found_images: int
    misses: dict[str, list[str]] = field(default_factory=dict)  # category -> "page:line raw"
    false_positives: list[str] = field(default_factory=list)
    wrong_path: int = 0
    unresolved: int = 0
    unresolvable_truth: int = 0
    unresolvable_seen: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    exit_code: int = 0
    error: str = ""

    @property
    def recall(self) -> float:
        return self.found_images / self.truth_images if self.truth_images else 1.0


def _manifest_text(block: dict[str, Any], generator: str | None) -> str:
    lines = ["# written by bench/real_sites.py: declares nothing", "version: 1"]
    if generator:
        lines.append(f"generator: {generator}")
    for key, value in block.items():
        if key in {"version", "generator"}:
            continue
        lines.append(f"{key}: {json.dumps(value)}")  # JSON is YAML: lists, strings, maps
    return "\n".join(lines) + "\n"


def _verify(root: Path, block: dict[str, Any],
            generator: str | None) -> tuple[int, dict, float, str]:
    (root / "assetgen.yaml").write_text(_manifest_text(block, generator), encoding="utf-8")
    shutil.rmtree(root / ".assetgen", ignore_errors=True)
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "assetgen", "verify", "--json"], cwd=root,
                          capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    try:
        document = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except json.JSONDecodeError:
        document = {}
    return proc.returncode, document, seconds, proc.stderr.strip().splitlines()[-1:][0] \
        if proc.stderr.strip() else ""


def _count_files(root: Path) -> int:
    total = 0
    for _dirpath, dirnames, names in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in {".git", "node_modules", ".assetgen"}]
        total += len(names)
    return total


def _norm(path: str | None, root: Path) -> str | None:
    """A finding's path (shown relative to where verify ran) as a repo-relative POSIX path."""
    if not path:
        return None
    absolute = Path(path) if os.path.isabs(path) else root / path
    return Path(os.path.normpath(absolute)).relative_to(root).as_posix() \
        if os.path.normpath(absolute).startswith(str(root)) else Path(path).as_posix()


def measure(site_dir: Path, truth: dict[str, Any], generator_mode: str) -> SiteResult:
    refs = truth.get("references", [])
    images = {r["image"] for r in refs}
    result = SiteResult(site=site_dir.name, repository=truth.get("repository", "?"),
                        commit=truth.get("commit", "?")[:12],
                        generator=truth.get("generator", "plain"), generator_key="no",
                        files=_count_files(site_dir), pages=None, truth_refs=len(refs),
                        truth_images=len(images), found_images=0,
                        unresolvable_truth=len(truth.get("unresolvable", [])))
    with tempfile.TemporaryDirectory(prefix="real-sites-") as tmp:
        root = Path(tmp) / site_dir.name
        shutil.copytree(site_dir, root, symlinks=True, ignore=IGNORED_DIRS)
        root = root.resolve()
        block = dict(truth.get("assetgen", {}))
        generator = result.generator if generator_mode == "auto" else None
        code, document, seconds, last_err = _verify(root, block, generator)
        result.generator_key = "yes" if generator else "no"
        if code == 2 and generator:
            code, document, seconds, last_err = _verify(root, block, None)
            result.generator_key = "refused"
        result.exit_code, result.seconds = code, seconds
        if not document:
            result.error = last_err or f"exit {code}, no JSON"
            return result
        findings = [f for f in document.get("findings", [])
                    if f.get("state") in REFERENCE_STATES or f.get("page")]
        summary = document.get("summary", {})
        result.pages = summary.get("pages")
        result.skipped = dict(document.get("skipped_references", {}))
        reported = {_norm(f.get("path"), root) for f in findings}
        where = {(_norm(f.get("page"), root), f.get("line")) for f in findings}
        result.found_images = len(images & reported)
        for ref in refs:
            if ref["image"] not in reported:
                result.misses.setdefault(ref.get("category", "other"), []).append(
                    f"{ref['page']}:{ref['line']} {ref['raw']} -> {ref['image']}")
        unresolvable = {(u["page"], u["line"]) for u in truth.get("unresolvable", [])}
        debatable = {(d["page"], d["line"]) for d in truth.get("debatable", [])}
        debatable_images = {d.get("image") for d in truth.get("debatable", [])}
        truth_places = {(r["page"], r["line"]) for r in refs}
        for f in findings:
            path, place = _norm(f.get("path"), root), (_norm(f.get("page"), root), f.get("line"))
            if f.get("state") == "unresolved":
                result.unresolved += 1
                if place in unresolvable:
                    result.unresolvable_seen += 1
                    continue
            if path in images or place in unresolvable or place in debatable \
                    or path in debatable_images:
                continue
            if place in truth_places:
                result.wrong_path += 1
            result.false_positives.append(
                f"{f.get('state')} {path}" + (f" ({place[0]}:{place[1]})" if place[0] else ""))
        del where
    return result


def _table(results: list[SiteResult], markdown: bool) -> str:
    head = ["site", "generator", "files", "pages", "refs", "images", "recall", "missed",
            "false pos.", "wrong path", "unresolved", "time"]
    rows = []
    for r in results:
        missed = r.truth_images - r.found_images
        gen = r.generator + ("" if r.generator_key == "yes" else
                             " (key refused)" if r.generator_key == "refused" else " (no key)")
        rows.append([r.site, gen, str(r.files), str(r.pages if r.pages is not None else "-"),
                     str(r.truth_refs), str(r.truth_images),
                     f"{100 * r.recall:.0f}%" if not r.error else "error",
                     str(missed), str(len(r.false_positives)), str(r.wrong_path),
                     f"{r.unresolved} ({r.unresolvable_seen}/{r.unresolvable_truth})",
                     f"{r.seconds:.2f} s"])
    total_images = sum(r.truth_images for r in results)
    found = sum(r.found_images for r in results)
    rows.append(["total", "", str(sum(r.files for r in results)), "",
                 str(sum(r.truth_refs for r in results)), str(total_images),
                 f"{100 * found / total_images:.1f}%" if total_images else "-",
                 str(total_images - found), str(sum(len(r.false_positives) for r in results)),
                 str(sum(r.wrong_path for r in results)),
                 f"{sum(r.unresolved for r in results)} "
                 f"({sum(r.unresolvable_seen for r in results)}/"
                 f"{sum(r.unresolvable_truth for r in results)})", ""])
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(out)
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                     for row in [head, *rows])


def _details(results: list[SiteResult]) -> str:
    out = []
    for r in results:
        if r.error:
            out.append(f"## {r.site}: {r.error}")
            continue
        if not r.misses and not r.false_positives:
            continue
        out.append(f"## {r.site} ({r.repository} @ {r.commit})")
        for category, items in sorted(r.misses.items(), key=lambda kv: -len(kv[1])):
            out.append(f"- missed, {category}: {len(items)} reference(s)")
            out += [f"    - {item}" for item in items]
        if r.false_positives:
            out.append(f"- false positives: {len(r.false_positives)}")
            out += [f"    - {item}" for item in r.false_positives]
        if r.skipped:
            out.append("- skipped by the scanner: " + ", ".join(
                f"{k} {v}" for k, v in sorted(r.skipped.items())))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="folder of site checkouts")
    parser.add_argument("--truth", type=Path, help="truth folder (default CORPUS/truth)")
    parser.add_argument("--site", action="append", default=[], help="only this site (repeat)")
    parser.add_argument("--generator", choices=("auto", "none"), default="auto",
                        help="auto: add the truth's generator: key (dropped if refused)")
    parser.add_argument("--json", type=Path, help="write every figure as JSON to FILE")
    parser.add_argument("--markdown", action="store_true", help="table as Markdown")
    parser.add_argument("--misses", action="store_true", help="list misses and false positives")
    args = parser.parse_args(argv)
    truth_dir = args.truth or args.corpus / "truth"
    results: list[SiteResult] = []
    for truth_file in sorted(truth_dir.glob("*.json")):
        name = truth_file.stem
        if args.site and name not in args.site:
            continue
        site_dir = args.corpus / name
        if not site_dir.is_dir():
            print(f"{name}: no checkout at {site_dir}, skipped", file=sys.stderr)
            continue
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        results.append(measure(site_dir.resolve(), truth, args.generator))
        print(f"measured {name}", file=sys.stderr)
    print(_table(results, args.markdown))
    by_category: Counter[str] = Counter()
    for r in results:
        for category, items in r.misses.items():
            by_category[category] += len(items)
    if by_category:
        print("\nmissed references by category: " + ", ".join(
            f"{k} {v}" for k, v in by_category.most_common()))
    if args.misses:
        print("\n" + _details(results))
    if args.json:
        args.json.write_text(json.dumps([{**r.__dict__, "recall": r.recall} for r in results],
                                        indent=2) + "\n", encoding="utf-8")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
