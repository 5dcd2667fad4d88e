"""The documented CI recipe says what the README says it does."""

from __future__ import annotations

from pathlib import Path

import yaml


def _steps(repo_root: Path, job: str) -> list[str]:
    workflow = yaml.safe_load((repo_root / "example-site/.github/workflows/assets.yml")
                              .read_text())
    return [step.get("run", "") for step in workflow["jobs"][job]["steps"]]


def test_pull_requests_verify_strictly_and_check_without_a_key(repo_root: Path) -> None:
    workflow = yaml.safe_load((repo_root / "example-site/.github/workflows/assets.yml")
                              .read_text())
    runs = _steps(repo_root, "verify")
    assert "assetgen verify --strict" in runs and "assetgen build --check" in runs
    assert "OPENAI_API_KEY" not in str(workflow["jobs"]["verify"])
    assert workflow["jobs"]["verify"]["if"] == "github.event_name == 'pull_request'"


def test_main_builds_within_a_budget_and_commits(repo_root: Path) -> None:
    workflow = yaml.safe_load((repo_root / "example-site/.github/workflows/assets.yml")
                              .read_text())
    job = workflow["jobs"]["build"]
    runs = "\n".join(_steps(repo_root, "build"))
    assert "assetgen build --max-cost" in runs and "git push" in runs
    assert "assetgen verify --strict" in runs
    build_step = next(s for s in job["steps"] if "--max-cost" in s.get("run", ""))
    assert build_step["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"
    assert job["permissions"]["contents"] == "write"
