"""The real pre-commit framework in a temporary git repository: the hook blocks commits of
images without lineage and lets them through once `build` / `adopt` recorded it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fakes.sites import png_bytes, run_cli, write_site

BIN = Path(sys.executable).parent
PRE_COMMIT = BIN / "pre-commit"
ASSETGEN = BIN / "assetgen"
REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not PRE_COMMIT.exists() or not ASSETGEN.exists(),
    reason="needs git and the venv's pre-commit and assetgen")

SITE = """\
version: 1
sources: ["pages/*.html"]
defaults:
  quality: low
assets:
  - id: hero
    path: img/hero.png
    prompt: A rocket over the hills
"""
PAGE = '<img src="/img/hero.png" alt="" width="1024" height="1024">\n'


def published_hook() -> dict[str, object]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return next(h for h in hooks if h["id"] == "assetgen-verify")


class Repo:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(a) for a in args], cwd=self.root, env=self.env,
                              capture_output=True, text=True, check=False, timeout=120)

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.run("git", *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def commit(self, message: str) -> subprocess.CompletedProcess[str]:
        self.git("add", "-A")
        return self.run("git", "commit", "-q", "-m", message)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()


def new_repo(tmp_path: Path) -> Repo:
    """A git repository with the verify hook installed through the real framework."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(tmp_path / "home"), PRE_COMMIT_HOME=str(tmp_path / "pre-commit"),
               GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1")
    (tmp_path / "home").mkdir()
    root = tmp_path / "repo"
    root.mkdir()
    repo = Repo(root, env)
    repo.git("init", "-q")
    repo.git("config", "user.email", "dev@example.com")
    repo.git("config", "user.name", "Dev")
    repo.git("config", "commit.gpgsign", "false")
    hook = published_hook()
    config = {"repos": [{"repo": "local", "hooks": [{
        "id": "assetgen-verify", "name": "assetgen verify", "language": "system",
        "entry": f"{ASSETGEN} verify", "files": hook["files"], "require_serial": True}]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    installed = repo.run(PRE_COMMIT, "install")
    assert installed.returncode == 0, installed.stderr
    return repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo = new_repo(tmp_path)
    root = repo.root
    (root / ".gitignore").write_text(".assetgen/\n")
    write_site(root / "site", SITE, {"pages/index.html": PAGE})
    # The site lives in a subfolder: the hook finds site/assetgen.yaml from the file paths.
    assert run_cli("-C", root / "site", "build", "--draft").code == 0
    first = repo.commit("a site with a draft hero")
    assert first.returncode == 0, first.stdout + first.stderr
    monkeypatch.chdir(root)
    return repo


def test_undeclared_generated_images_are_blocked_until_adopted(repo: Repo) -> None:
    before = repo.head()
    # An image made outside assetgen and used on a page: `unknown`.
    (repo.root / "site/public/img/team.png").write_bytes(png_bytes(1024, 1024, (9, 9, 9)))
    page = repo.root / "site/pages/index.html"
    page.write_text(PAGE + '<img src="/img/team.png" alt="">\n')
    # A generated image with a sidecar that no entry declares: `untracked`.
    stray = repo.root / "site/public/img/stray.png"
    stray.write_bytes(png_bytes(1024, 1024, (1, 1, 1)))
    shutil.copy(repo.root / "site/public/img/hero.png.provenance.json",
                repo.root / "site/public/img/stray.png.provenance.json")
    blocked = repo.commit("add images without lineage")
    assert blocked.returncode == 1
    assert repo.head() == before
    assert "site/public/img/team.png: unknown — referenced by site/pages/index.html:2" \
        in blocked.stdout + blocked.stderr
    assert "site/public/img/stray.png: untracked — " in blocked.stdout + blocked.stderr

    stray.unlink()
    (repo.root / "site/public/img/stray.png.provenance.json").unlink()
    adopted = run_cli("adopt", "site/public/img/team.png", "--id", "team", "--prompt",
                      "The team", "--route", "codex", "--session", "s-1")
    assert adopted.code == 0, adopted.output
    passed = repo.commit("adopt the team photo")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert repo.head() != before
    shown = repo.git("show", "--stat", "HEAD").stdout
    assert "site/assetgen.yaml" in shown and "team.png.provenance.json" in shown


def test_tampered_image_is_blocked_until_rebuilt(repo: Repo) -> None:
    before = repo.head()
    hero = repo.root / "site/public/img/hero.png"
    hero.write_bytes(png_bytes(1024, 1024, (0, 0, 0)))
    blocked = repo.commit("hand-edit the hero")
    assert blocked.returncode == 1
    assert repo.head() == before
    output = blocked.stdout + blocked.stderr
    assert re.search(r"^site/public/img/hero\.png: tampered — ", output, re.M)
    assert "assetgen verify....." in output  # pre-commit's status line for the hook

    assert run_cli("-C", repo.root / "site", "build", "--draft").code == 0
    passed = repo.commit("rebuild the hero")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert repo.head() != before


def test_first_run_without_init_commits_cleanly_through_the_hook(tmp_path: Path) -> None:
    """No `assetgen init`, no .gitignore: the state folder must still stay out of git."""
    repo = new_repo(tmp_path)
    write_site(repo.root, SITE, {"pages/index.html": PAGE})
    assert not (repo.root / ".gitignore").exists()
    assert run_cli("-C", repo.root, "build", "--draft").code == 0
    assert (repo.root / ".assetgen" / "masters").is_dir()  # full-size images live there
    repo.git("add", "-A")
    staged = repo.git("diff", "--cached", "--name-only").stdout.split()
    assert "public/img/hero.png" in staged and "assetgen.yaml" in staged
    assert not [name for name in staged if name.startswith(".assetgen")], staged
    done = repo.run("git", "commit", "-q", "-m", "first run")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "files were modified by this hook" not in output
    assert "assetgen verify....." in output and "Passed" in output
    # The hook's own cache writes (verify refreshes .assetgen/) stay invisible to git.
    assert repo.git("status", "--porcelain").stdout == ""
    (repo.root / "pages/index.html").write_text(PAGE + "<p>more</p>\n")
    again = repo.commit("edit the page")
    assert again.returncode == 0, again.stdout + again.stderr
    assert repo.git("status", "--porcelain").stdout == ""


def test_unrelated_commits_are_not_checked(repo: Repo) -> None:
    (repo.root / "notes.txt").write_text("hello\n")
    done = repo.commit("notes")
    assert done.returncode == 0, done.stdout + done.stderr
    listed = repo.run(PRE_COMMIT, "run", "--files", "notes.txt")
    assert "(no files to check)" in listed.stdout


def test_published_hook_manifest_is_valid() -> None:
    done = subprocess.run([PRE_COMMIT, "validate-manifest", REPO / ".pre-commit-hooks.yaml"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    hook = published_hook()
    assert hook["entry"] == "assetgen verify" and hook["language"] == "python"
    pattern = re.compile(str(hook["files"]))
    for name in ("assetgen.yaml", "site/assetgen.yaml", "public/img/a.WEBP",
                 "public/img/a.png.provenance.json", "src/index.html", "content/post.md",
                 "styles/site.css", "app/page.tsx", "templates/base.njk",
                 # SPEC 7: config, data and component files name images too
                 "hugo.toml", "_config.yml", "data/team.json", "src/pages/a.astro"):
        assert pattern.search(name), name
    for name in ("README", "src/app.py", "assetgen.yaml.bak", "notes.txt"):
        assert not pattern.search(name), name


def test_project_config_is_valid() -> None:
    done = subprocess.run([PRE_COMMIT, "validate-config", REPO / ".pre-commit-config.yaml"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    local = next(r for r in config["repos"] if r["repo"] == "local")["hooks"][0]
    assert local["entry"] == "assetgen -C example-site verify"
    assert local["files"] == "^example-site/"
