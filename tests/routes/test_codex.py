"""The `codex` route end to end: the real CLI, a fake `codex` executable on PATH."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.fakes.codex_cli import Codex
from tests.fakes.sites import mask_bytes, png_bytes, run_cli, write_site

SITE = """\
version: 1
output_dir: public
defaults:
  route: codex
  model: gpt-image-2
  quality: medium
  size: 1024x1024
routes:
  codex:
    timeout_s: 60
assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket over a desert"
    size: 1536x1024
  - id: square
    path: img/square.webp
    prompt: "A square app icon"
  - id: card
    path: img/card.png
    prompt: "A social card"
    width: 1200
    height: 630
"""


def sidecar(site: Path, rel: str) -> dict[str, Any]:
    return json.loads((site / "public" / f"{rel}.provenance.json").read_text())


def test_three_assets_concurrently(tmp_path: Path, codex: Codex,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_DELAY", "0.5")
    site = write_site(tmp_path / "site", SITE)
    result = run_cli("-C", site, "build", "--concurrency", "3")
    assert result.code == 0, result.output

    calls = codex.calls()
    assert len(calls) == 3
    starts, ends = [c["start"] for c in calls], [c["end"] for c in calls]
    assert max(starts) < min(ends), "the three runs did not overlap"
    homes = {c["codex_home"] for c in calls}
    assert len(homes) == 3 and str(codex.user_home) not in homes
    for call in calls:
        argv = call["argv"]
        assert argv[1:5] == ["--skip-git-repo-check", "--sandbox", "workspace-write", "-C"]
        assert argv[-2] == "--" and "built-in image generation tool" in argv[-1]
        assert call["auth_is_symlink"] is True
        assert call["stdin_devnull"] is True
        assert call["images"] == []
        assert not Path(call["codex_home"]).exists(), "private home not cleaned up"
    assert list(codex.tmp.iterdir()) == []
    assert len(codex.calls("login")) == 1  # preflight, once

    by_session = {c["session"]: c for c in calls}
    expected = {"img/hero.png": ("1536x1024", (1536, 1024)),
                "img/square.webp": ("1024x1024", (1024, 1024)),
                "img/card.png": (None, (1200, 630))}
    for rel, (asked, final) in expected.items():
        record = sidecar(site, rel)
        call = by_session[record["session"]]
        assert record["route"] == "codex" and record["billing"] == "codex-credits"
        assert record["codex_version"] == "codex-cli 0.98.0"
        assert record["requested_size"] == record["size"]
        if asked:
            assert record["size"] == asked
        assert record["returned_size"] == call["size"]
        assert record["codex_file"] == call["saved"][-1]
        assert "cost_usd" not in record
        with Image.open(site / "public" / rel) as image:
            assert image.size == final
        fits = [s for s in record.get("postprocess") or [] if s["op"] == "fit"]
        if record["returned_size"] != f"{final[0]}x{final[1]}":
            assert fits and fits[0]["from"] == [int(v) for v in call["size"].split("x")]
            assert fits[0]["to"] == list(final)
        else:
            assert not fits
        master = record["master"]
        assert f"{master['width']}x{master['height']}" == call["size"]
    assert sidecar(site, "img/square.webp")["returned_size"] == "1254x1254"

    again = run_cli("-C", site, "build")
    assert again.code == 0 and len(codex.calls()) == 3  # fresh: nothing re-run


def test_edit_passes_inputs_with_image_flag(tmp_path: Path, codex: Codex) -> None:
    site = write_site(tmp_path / "site", """\
        version: 1
        defaults: {route: codex}
        assets:
          - id: night
            path: img/night.png
            prompt: "The same photo at night"
            size: 1024x1536
            edit:
              images: ["photos/day,1.png"]
        """, {"photos/day,1.png": png_bytes(400, 600)})
    result = run_cli("-C", site, "build")
    assert result.code == 0, result.output
    (call,) = codex.calls()
    argv = call["argv"]
    flag = argv.index("-i")
    assert Path(argv[flag + 1]).name == "input-1.png"  # staged: `-i` splits on commas
    assert argv[flag + 2] == "--" and "input-1.png" in argv[-1]
    record = sidecar(site, "img/night.png")
    assert record["inputs"][0]["path"] == "photos/day,1.png"
    assert record["returned_size"] == "1024x1536"


@pytest.mark.parametrize("mode", ["exec_name", "callid_name", "multi", "rollout_only"])
def test_file_name_styles_and_fallbacks(tmp_path: Path, codex: Codex,
                                        monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv("FAKE_CODEX_MODE", mode)
    site = write_site(tmp_path / "site", SITE)
    assert run_cli("-C", site, "build", "hero").code == 0
    record = sidecar(site, "img/hero.png")
    (call,) = codex.calls()
    assert record["returned_size"] == "1536x1024"  # never the 512px extra nor the decoy
    if mode == "rollout_only":
        assert record["codex_source"] == "session-log" and "codex_file" not in record
    else:
        assert record["codex_file"] == call["saved"][-1]
    if mode == "multi":
        assert record["codex_other_files"] == 1


def test_keyring_login_uses_the_session_folder_of_the_shared_home(
        tmp_path: Path, codex: Codex, monkeypatch: pytest.MonkeyPatch) -> None:
    (codex.user_home / "auth.json").unlink()  # credentials in the keyring, keyed by the home
    monkeypatch.setenv("FAKE_CODEX_KEYRING", "1")
    site = write_site(tmp_path / "site", SITE)
    assert run_cli("-C", site, "build", "hero").code == 0
    (call,) = codex.calls()
    record = sidecar(site, "img/hero.png")
    assert call["codex_home"] == str(codex.user_home) and record["codex_home"] == "shared"
    assert record["codex_file"] == call["saved"][-1] != "ig_newest.png"


def test_refreshed_login_is_kept(tmp_path: Path, codex: Codex,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_MODE", "rotate_auth")
    past = time.time() - 60
    os.utime(codex.user_home / "auth.json", (past, past))
    site = write_site(tmp_path / "site", SITE)
    assert run_cli("-C", site, "build", "hero").code == 0
    assert "refreshed" in (codex.user_home / "auth.json").read_text()
    assert (codex.user_home / "auth.json").stat().st_mode & 0o777 == 0o600


def test_json_summary_names_route_and_billing(tmp_path: Path, codex: Codex) -> None:
    site = write_site(tmp_path / "site", SITE)
    result = run_cli("-C", site, "build", "--json", "hero", "square")
    assert result.code == 0, result.output
    document = json.loads(result.out)
    assets = {a["asset_id"]: a for a in document["assets"]}
    assert {a["route"] for a in assets.values()} == {"codex"}
    assert {a["billing"] for a in assets.values()} == {"codex-credits"}
    assert "codex-credits" in document["cost_by_billing"]


def test_missing_binary_names_the_fix(tmp_path: Path, codex: Codex,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"/usr/bin{os.pathsep}/bin")
    site = write_site(tmp_path / "site", SITE)
    result = run_cli("-C", site, "build")
    assert result.code == 2
    assert "npm i -g @openai/codex" in result.err and "routes.codex.binary" in result.err
    assert "--draft" in result.err and "Traceback" not in result.output


def test_binary_setting_is_used(tmp_path: Path, codex: Codex,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"/usr/bin{os.pathsep}/bin")
    site = write_site(tmp_path / "site", SITE.replace(
        "timeout_s: 60", f"timeout_s: 60\n    binary: {codex.bin_dir / 'codex'}"))
    assert run_cli("-C", site, "build", "hero").code == 0


def test_logged_out_is_refused_up_front(tmp_path: Path, codex: Codex) -> None:
    (codex.user_home / "auth.json").unlink()
    site = write_site(tmp_path / "site", SITE)
    result = run_cli("-C", site, "build")
    assert result.code == 2
    assert "not logged in" in result.err and "codex login" in result.err
    assert codex.calls() == []


def test_failed_run_shows_the_log_tail(tmp_path: Path, codex: Codex,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_MODE", "fail")
    monkeypatch.setenv("GATEWAY_API_KEY", "sk-secret-value-123456")
    site = write_site(tmp_path / "site", SITE)
    result = run_cli("-C", site, "build", "hero")
    assert result.code == 1
    assert "exited with status 1" in result.err and "server_error" in result.err
    assert "sk-secret-value-123456" not in result.output
    assert not (site / "public" / "img" / "hero.png").exists()
    assert len(codex.calls()) == 1  # not retried


def test_run_that_saves_nothing(tmp_path: Path, codex: Codex,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_MODE", "save_nothing")
    site = write_site(tmp_path / "site", SITE)
    result = run_cli("-C", site, "build", "hero")
    assert result.code == 1
    assert "codex ran but saved no image" in result.err and "workspace-write" in result.err
    assert not (site / "public" / "img" / "hero.png").exists()
    assert list(codex.decoys.iterdir()), "the printed path existed and was still ignored"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    if status.exists():  # a zombie waiting for init is dead enough
        return "\nState:\tZ" not in status.read_text()
    return True


def test_hang_is_killed_with_its_process_group(tmp_path: Path, codex: Codex,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_MODE", "hang")
    site = write_site(tmp_path / "site", SITE.replace("timeout_s: 60", "timeout_s: 1"))
    started = time.monotonic()
    result = run_cli("-C", site, "build", "hero")
    assert result.code == 1
    assert time.monotonic() - started < 10
    assert "did not finish within 1s" in result.err and "routes.codex.timeout_s" in result.err
    (call,) = codex.calls()
    deadline = time.monotonic() + 3
    while (_alive(call["pid"]) or _alive(call["child_pid"])) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(call["pid"]) and not _alive(call["child_pid"])
    assert list(codex.tmp.iterdir()) == []


def test_mask_is_refused_before_any_run(tmp_path: Path, codex: Codex) -> None:
    site = write_site(tmp_path / "site", """\
        version: 1
        defaults: {route: codex}
        assets:
          - id: sky
            path: img/sky.png
            prompt: "Repaint the sky"
            edit:
              images: [photos/day.png]
              mask: masks/sky.png
        """, {"photos/day.png": png_bytes(1024, 1024), "masks/sky.png": mask_bytes(1024, 1024)})
    result = run_cli("-C", site, "build")
    assert result.code == 2
    assert "codex has no mask input" in result.err and "route: images" in result.err
    assert "assetgen.yaml:4" in result.err
    assert codex.calls() == []


def test_doctor_diagnostics(codex: Codex, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetgen.routes.codex import codex_diagnostics

    steps = {name: (ok, detail) for name, ok, detail in codex_diagnostics({}, os.environ)}
    assert steps["codex binary"][0] and "codex-cli 0.98.0" in steps["codex binary"][1]
    assert steps["codex login"] == (True, "Logged in using ChatGPT")
    assert steps["codex home"][0]

    (codex.user_home / "auth.json").unlink()
    steps = {name: (ok, detail) for name, ok, detail in codex_diagnostics({}, os.environ)}
    assert steps["codex login"][0] is False and "codex login" in steps["codex login"][1]

    monkeypatch.setenv("PATH", "/usr/bin")
    steps = {name: (ok, detail) for name, ok, detail in codex_diagnostics({}, os.environ)}
    assert steps["codex binary"][0] is False and "npm i -g @openai/codex" in steps[
        "codex binary"][1]
    assert "codex login" not in steps


def test_codex_caps_its_own_sessions_and_the_summary_names_credits(
        tmp_path: Path, codex: Codex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_CODEX_DELAY", "0.3")
    assets = "".join(f"  - id: pic{i}\n    path: img/pic{i}.png\n    prompt: picture {i}\n"
                     for i in range(5))
    site = write_site(tmp_path / "site",
                      "version: 1\ndefaults:\n  route: codex\nassets:\n" + assets)
    result = run_cli("-C", site, "build", "--concurrency", "8")
    assert result.code == 0, result.output
    calls = codex.calls()
    assert len(calls) == 5
    events = sorted([(c["start"], 1) for c in calls] + [(c["end"], -1) for c in calls])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert peak == 3  # CodexRoute.max_concurrency, below --concurrency 8
    assert "codex-credits: ChatGPT plan credits (no USD price) (5 images)" in result.out
    assert "$0.0000 (5" not in result.out
