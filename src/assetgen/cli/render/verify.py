"""`assetgen verify`: one line per finding and one summary per site, or the verify document."""

from __future__ import annotations

from typing import Any

from assetgen.cli.console import Console
from assetgen.commands.verify import SiteReport, VerifyResult
from assetgen.manifest.locate import MANIFEST_NAME
from assetgen.verify.report import STATES, Finding

SEVERITY_STYLE = {"error": ("red", "bold"), "warning": ("yellow",)}
UNCHECKED = ("template", "package", "unreadable")  # skips that may hide a local image


def show(console: Console, result: VerifyResult) -> None:
    if console.json_mode:
        console.emit_json(verify_document(result))
        return
    if not result.sites:
        console.log("verify: none of the given files belongs to a site with an "
                    f"{MANIFEST_NAME}; nothing to check")
        return
    for finding in result.findings:
        console.print(finding_line(console, finding, result))
    for site in result.sites:
        console.print(site_summary(site, result, several=len(result.sites) > 1))


def finding_line(console: Console, finding: Finding, result: VerifyResult) -> str:
    text = finding.format(result.show)
    word = f": {finding.state} — "
    styled = console.style(finding.state, *SEVERITY_STYLE[finding.severity])
    return text.replace(word, f": {styled} — ", 1)


def site_summary(site: SiteReport, result: VerifyResult, *, several: bool) -> str:
    report = site.report
    where = f" {result.show(site.manifest.file)}:" if several else ""
    counted = (f"{report.assets} asset{_s(report.assets)}, {report.static} static, "
               f"{report.references} reference{_s(report.references)}")
    if report.scoped and not (report.assets or report.static or report.references
                              or report.files or report.findings):
        return f"verify:{where} nothing in the given files concerns this site"
    if report.errors:
        return (f"verify:{where} {report.errors} error{_s(report.errors)}, "
                f"{report.warnings} warning{_s(report.warnings)} in {counted}")
    if report.warnings:
        return (f"verify:{where} {counted} — no errors, {report.warnings} "
                f"warning{_s(report.warnings)} (`--strict` fails on them)")
    dynamic = sum(report.skipped.get(reason, 0) for reason in UNCHECKED)
    if dynamic:  # never "all intact" when some references could not be followed (SPEC 7)
        return (f"verify:{where} {counted} — no problems found, but {dynamic} "
                f"reference{_s(dynamic)} could not be followed ("
                + ", ".join(f"{report.skipped[r]} {r}" for r in UNCHECKED
                            if report.skipped.get(r)) + ")")
    return f"verify:{where} {counted} — all lineage intact"


def verify_document(result: VerifyResult) -> dict[str, Any]:
    by_state = dict.fromkeys(STATES, 0)
    skipped: dict[str, int] = {}
    totals = {"assets": 0, "static": 0, "references": 0, "pages": 0}
    for site in result.sites:
        report = site.report
        for state, count in report.by_state.items():
            by_state[state] = by_state.get(state, 0) + count
        for reason, count in report.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + count
        for name in totals:
            totals[name] += getattr(report, name)
    return {
        "findings": [f.as_json(result.show) for f in result.findings],
        "summary": {
            "by_state": by_state,
            "errors": result.errors,
            "warnings": result.warnings,
            **totals,
            "strict": result.strict,
            "scoped": any(site.report.scoped for site in result.sites),
            "manifests": [result.show(site.manifest.file) for site in result.sites],
        },
        "skipped_references": skipped,
        "exit_code": result.exit_code,
    }


def _s(count: int) -> str:
    return "" if count == 1 else "s"
