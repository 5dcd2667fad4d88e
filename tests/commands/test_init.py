"""`assetgen init`: scaffolding that is safe to run again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from assetgen import __version__
from assetgen.commands.init import HOOK_ID, HOOK_REPO, MARK_END, MARK_START
from assetgen.manifest.load import load_manifest
from tests.fakes.sites import run_cli

SCAFFOLD = ("assetgen.yaml", "assetgen.schema.json", ".pre-commit-config.yaml", ".gitignore",
            "AGENTS.md")


def _snapshot(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in SCAFFOLD if (root / name).exists()}


def _init(root: Path, *args: str) -> str:
    result = run_cli("-C", root, "init", *args)
    assert result.code == 0, result.output
    return result.out


def test_fresh_repo_gets_every_file_and_a_working_manifest(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "index.html").write_text("<h1>hi</h1>", encoding="utf-8")
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "posts" / "a.md").write_text("# A", encoding="utf-8")
    out = _init(tmp_path)

    for name in SCAFFOLD:
        assert f"created   {name}" in out or f"updated   {name}" in out, out
    manifest = tmp_path / "assetgen.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=./assetgen.schema.json"
    loaded = load_manifest(manifest)
    assert loaded.output_dir == tmp_path.resolve() / "public"
    assert loaded.sources == ("public/**/*.html", "content/**/*.md")
    assert [a.id for a in loaded.assets] == ["example-hero"]
    schema = json.loads((tmp_path / "assetgen.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"].endswith("2020-12/schema")

    hooks = YAML(typ="safe").load((tmp_path / ".pre-commit-config.yaml").read_text())
    assert hooks["repos"] == [{"repo": HOOK_REPO, "rev": hooks["repos"][0]["rev"],
                               "hooks": [{"id": HOOK_ID}]}]
    assert hooks["repos"][0]["rev"].startswith("v")
    assert ".assetgen/" in (tmp_path / ".gitignore").read_text().splitlines()
    agents = (tmp_path / "AGENTS.md").read_text(encoding="utf-8")
    assert MARK_START in agents and MARK_END in agents
    for phrase in ("assetgen.yaml", "assetgen build", "--draft", "assetgen adopt",
                   "--route codex", "--session", "assetgen verify", "`public/`"):
        assert phrase in agents, phrase

    plan = run_cli("-C", tmp_path, "plan", "--json")
    assert plan.code == 0, plan.output
    assert json.loads(plan.out)["summary"]["total"] == 1


@pytest.mark.parametrize(("folders", "expected"), [
    (["public"], "public"),
    (["static"], "static"),
    (["docs"], "docs"),
    (["assets"], "assets"),
    (["docs", "static"], "static"),
    ([], "public"),
])
def test_output_dir_is_guessed(tmp_path: Path, folders: list[str], expected: str) -> None:
    for folder in folders:
        (tmp_path / folder).mkdir()
    out = _init(tmp_path)
    assert f"output_dir {expected}/" in out
    assert load_manifest(tmp_path / "assetgen.yaml").output_dir.name == expected


def test_output_dir_option_wins_and_is_checked(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    _init(tmp_path, "--output-dir", "site/out")
    assert load_manifest(tmp_path / "assetgen.yaml").output_dir \
        == tmp_path.resolve() / "site" / "out"
    other = tmp_path / "other"
    other.mkdir()
    result = run_cli("-C", other, "init", "--output-dir", "../escape")
    assert result.code == 2
    assert "Traceback" not in result.output and "--output-dir" in result.err
    assert not (other / "assetgen.yaml").exists()


def test_sources_follow_the_pages_that_exist(tmp_path: Path) -> None:
    files = {"static/robots.txt": "", "layouts/_default/single.html": "",
             "content/blog/post.md": "", "src/pages/index.astro": "",
             "src/components/Hero.tsx": "", "src/node_modules/x/y.html": ""}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    _init(tmp_path)
    manifest = load_manifest(tmp_path / "assetgen.yaml")
    assert manifest.output_dir.name == "static"
    assert set(manifest.sources) == {"src/**/*.astro", "src/**/*.tsx", "content/**/*.md",
                                     "layouts/**/*.html"}


def test_existing_pre_commit_config_is_edited_keeping_comments(tmp_path: Path) -> None:
    original = """\
# Our hooks — keep this comment
repos:
-   repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0  # pinned on purpose
    hooks:
    -   id: trailing-whitespace
# ruff below
-   repo: https://github.com/astral-sh/ruff-pre-commit
    rev: 'v0.5.0'
    hooks:
    -   id: ruff
"""
    (tmp_path / ".pre-commit-config.yaml").write_text(original, encoding="utf-8")
    out = _init(tmp_path)
    assert "updated   .pre-commit-config.yaml" in out
    text = (tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert text.startswith(original), text  # everything before is untouched, byte for byte
    added = text[len(original):]
    assert added == (f"-   repo: {HOOK_REPO}\n    rev: v{__version__}\n    hooks:\n"
                     f"    -   id: {HOOK_ID}\n")
    data = YAML(typ="safe").load(text)
    assert [r["repo"] for r in data["repos"]][-1] == HOOK_REPO


def test_existing_hook_or_local_hook_is_left_alone(tmp_path: Path) -> None:
    config = """\
repos:
  - repo: local
    hooks:
      - id: assetgen-verify   # our own
        name: assetgen verify
        entry: assetgen verify
        language: system
"""
    (tmp_path / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    out = _init(tmp_path)
    assert "unchanged .pre-commit-config.yaml" in out
    assert (tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8") == config


def test_a_broken_pre_commit_config_is_reported_not_clobbered(tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: [\n", encoding="utf-8")
    result = run_cli("-C", tmp_path, "init")
    assert result.code == 1
    assert "skipped   .pre-commit-config.yaml" in result.out
    assert "Traceback" not in result.output
    assert (tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8") == "repos: [\n"
    assert (tmp_path / "assetgen.yaml").exists()  # the other steps still ran


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / ".gitignore").write_text("node_modules", encoding="utf-8")  # no newline
    (tmp_path / "AGENTS.md").write_text("# Rules\n\nBe kind.\n", encoding="utf-8")
    _init(tmp_path)
    first = _snapshot(tmp_path)
    assert first[".gitignore"].startswith(b"node_modules\n")
    assert first["AGENTS.md"].startswith(b"# Rules\n\nBe kind.\n\n<!-- assetgen:start -->")
    out = _init(tmp_path)
    assert _snapshot(tmp_path) == first
    assert "created" not in out and "updated" not in out
    assert "kept      assetgen.yaml" in out


def test_existing_manifest_is_never_overwritten(tmp_path: Path) -> None:
    mine = "version: 1\noutput_dir: www\n# my own manifest\n"
    (tmp_path / "assetgen.yaml").write_text(mine, encoding="utf-8")
    out = _init(tmp_path)
    assert "kept      assetgen.yaml" in out and "never overwrites" in out
    assert (tmp_path / "assetgen.yaml").read_text(encoding="utf-8") == mine
    # The agent instructions follow the existing manifest's output_dir.
    assert "`www/`" in (tmp_path / "AGENTS.md").read_text(encoding="utf-8")


def test_agents_section_is_replaced_between_markers(tmp_path: Path) -> None:
    before = f"# Agents\n\nIntro.\n\n{MARK_START}\nold text\n{MARK_END}\n\n## Other\n\nKeep me.\n"
    (tmp_path / "AGENTS.md").write_text(before, encoding="utf-8")
    _init(tmp_path)
    text = (tmp_path / "AGENTS.md").read_text(encoding="utf-8")
    assert "old text" not in text
    assert text.startswith(f"# Agents\n\nIntro.\n\n{MARK_START}\n")
    assert text.endswith(f"{MARK_END}\n\n## Other\n\nKeep me.\n")
    assert text.count(MARK_START) == 1


@pytest.mark.parametrize("line", [".assetgen/", "/.assetgen", ".assetgen", "**/.assetgen/"])
def test_gitignore_already_ignoring_is_unchanged(tmp_path: Path, line: str) -> None:
    (tmp_path / ".gitignore").write_text(f"*.pyc\n{line}\n", encoding="utf-8")
    out = _init(tmp_path)
    assert "unchanged .gitignore" in out
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == f"*.pyc\n{line}\n"


def test_draft_build_works_on_the_scaffold(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    _init(tmp_path)
    result = run_cli("-C", tmp_path, "build", "--draft", "--json")
    assert result.code == 0, result.output
    assert (tmp_path / "public" / "img" / "example-hero.webp").is_file()


def test_hook_goes_at_the_end_of_repos_when_other_keys_follow(tmp_path: Path) -> None:
    config = """\
default_stages: [pre-commit]
repos:
  - repo: https://github.com/psf/black
    rev: "24.1.0"
    hooks:
      - id: black

# CI settings
ci:
  autofix_prs: false   # no bots
"""
    (tmp_path / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    _init(tmp_path)
    text = (tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    head, tail = config.split("\n\n# CI settings")
    assert text == (f"{head}\n  - repo: {HOOK_REPO}\n    rev: v{__version__}\n    hooks:\n"
                    f"      - id: {HOOK_ID}\n\n# CI settings{tail}")
