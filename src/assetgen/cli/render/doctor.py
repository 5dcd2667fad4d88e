"""`assetgen doctor`: one line per step, the classification and the evidence packet."""

from __future__ import annotations

from typing import Any

from assetgen.cli.console import Console
from assetgen.commands.doctor import DoctorResult
from assetgen.routes.registry import route_info

STATUS_STYLE = {"ok": ("green",), "fail": ("red", "bold"), "skip": ("dim",)}


def show(console: Console, result: DoctorResult) -> None:
    if console.json_mode:
        console.emit_json(doctor_document(result))
        return
    where = f" ({result.manifest})" if result.manifest else " (no manifest: " \
        "environment only)"
    console.print(f"assetgen doctor — route {result.route}{where}")
    width = max([len(s.name) for s in result.steps] + [12])
    for step in result.steps:
        word = console.style(f"{step.status:<4}", *STATUS_STYLE[step.status])
        console.print(f"{word} {step.name:<{width}}  {step.detail}")
    verdict = result.classification
    console.print("")
    console.print(f"classification: {verdict['label']} — {verdict['advice']}")
    console.print("evidence:")
    for key, value in result.evidence.items():
        console.print(f"  {key:<14} {'—' if value is None else value}")
    if not result.live and result.ok and route_info(result.route).generates:
        console.print("")
        console.print("tip: add --live to make one low-quality generation (it is billed)")


def doctor_document(result: DoctorResult) -> dict[str, Any]:
    return {
        "route": result.route,
        "manifest": result.manifest,
        "live": result.live,
        "ok": result.ok,
        "exit_code": result.exit_code,
        "steps": [s.as_json() for s in result.steps],
        "classification": result.classification,
        "evidence": result.evidence,
    }
