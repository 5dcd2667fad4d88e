"""`build --batch` end to end: the real CLI against the emulator's Files and Batch APIs."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from assetgen.build import batch as batch_module
from assetgen.build.engine import EventSink
from assetgen.provenance.naming import sidecar_path
from tests.fakes.emulator import Emulator
from tests.fakes.sites import png_bytes, run_cli, write_site

MANIFEST = """\
version: 1
output_dir: public
defaults:
  quality: low
  size: 1024x1024
assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket on a launch pad"
  - id: card
    path: img/card.webp
    prompt: "A social card"
    width: 1200
    height: 630
  - id: night
    path: img/night.png
    prompt: "The same photo at night"
    size: 1280x720
    edit:
      images: [photos/day.png]
"""
FILES = {"photos/day.png": png_bytes(640, 360)}
GENERATIONS = "/v1/images/generations"


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSETGEN_BATCH_POLL_S", "0.05")


def sidecar(site: Path, rel: str) -> dict:
    return json.loads(sidecar_path(site / "public" / rel).read_text())


def batches(emu: Emulator) -> list[dict]:
    return [b.obj for b in emu.batch_api.batches.values()]


def test_submit_wait_collect_publishes_with_batch_provenance(tmp_path: Path,
                                                             openai_env: Emulator) -> None:
    site = write_site(tmp_path, MANIFEST, FILES)
    result = run_cli("-C", site, "build", "--batch", "--json")
    assert result.code == 0, result.output
    assert openai_env.count(GENERATIONS) == 0  # nothing went through the synchronous route
    made = batches(openai_env)
    assert sorted(b["endpoint"] for b in made) == ["/v1/images/edits",
                                                   "/v1/images/generations"]
    assert all(b["completion_window"] == "24h" and b["metadata"]["assetgen_submission"]
               for b in made)
    hero = sidecar(site, "img/hero.png")
    assert hero["tier"] == "batch" and hero["batch_id"].startswith("batch_")
    assert hero["request_id"].startswith("req_") and hero["route"] == "images.generate"
    night = sidecar(site, "img/night.png")
    assert night["route"] == "images.edit" and night["width"] == 1280
    doc = json.loads(result.out)
    assert doc["counts"] == {"collected": 3}
    # Batch prices: half of what the synchronous route's usage costs.
    assert doc["cost_usd"] > 0
    assert run_cli("-C", site, "verify").code == 0
    assert not (site / ".assetgen" / "batches").exists() or not list(
        (site / ".assetgen" / "batches").iterdir())


def test_no_wait_then_a_later_build_collects(tmp_path: Path, openai_env: Emulator) -> None:
    openai_env.batch_api.config.delay_s = 3600  # not done until we say so
    site = write_site(tmp_path, MANIFEST, FILES)
    result = run_cli("-C", site, "build", "--batch", "--no-wait")
    assert result.code == 0, result.output
    assert "2 submitted" in result.out or "3 submitted" in result.out
    plan = json.loads(run_cli("-C", site, "plan", "--json").out)
    assert plan["summary"]["by_state"] == {"submitted": 3}
    assert run_cli("-C", site, "build", "--check").code == 1
    verify = run_cli("-C", site, "verify", "--json")
    assert verify.code == 0  # a warning: the image is on its way
    # (no-folder: nothing was published yet, so output_dir does not exist)
    states = {f["state"] for f in json.loads(verify.out)["findings"]}
    assert states - {"no-folder"} == {"submitted"}
    assert run_cli("-C", site, "verify", "--strict").code == 1
    listed = json.loads(run_cli("-C", site, "batch", "--json").out)
    assert {row["status"] for row in listed["batches"]} == {"in_progress"}
    waiting = run_cli("-C", site, "build")
    assert waiting.code == 0 and "3 submitted" in waiting.out
    assert len(batches(openai_env)) == 2  # not submitted twice
    openai_env.batch_api.config.delay_s = 0
    collected = run_cli("-C", site, "build")
    assert collected.code == 0, collected.output
    assert "3 collected" in collected.out
    assert sidecar(site, "img/card.webp")["tier"] == "batch"
    assert openai_env.count(GENERATIONS) == 0


def test_failed_lines_fail_their_assets_only(tmp_path: Path, openai_env: Emulator) -> None:
    openai_env.batch_api.config.fail_prompts = {"social card": "moderation_blocked"}
    site = write_site(tmp_path, MANIFEST, FILES)
    result = run_cli("-C", site, "build", "--batch")
    assert result.code == 1
    assert "card: failed" in result.out and "moderation_blocked" in result.out
    assert (site / "public/img/hero.png").exists()
    assert not (site / "public/img/card.webp").exists()


def test_malformed_usage_fails_its_asset_and_keeps_the_image(tmp_path: Path,
                                                            openai_env: Emulator) -> None:
    openai_env.batch_api.config.bad_usage_prompts = ("social card",)
    site = write_site(tmp_path, MANIFEST, FILES)
    result = run_cli("-C", site, "build", "--batch")
    assert result.code == 1, result.output
    assert "card: failed" in result.out and "usage dropped" in result.out
    assert (site / "public/img/hero.png").exists()
    assert not (site / "public/img/card.webp").exists()
    # Its paid image waits in the masters cache: the next build publishes it, asking nothing.
    made = len(batches(openai_env))
    again = run_cli("-C", site, "build")
    assert again.code == 0, again.output
    assert "1 collected" in again.out
    assert (site / "public/img/card.webp").exists()
    assert len(batches(openai_env)) == made and openai_env.count(GENERATIONS) == 0
    assert "usage" not in sidecar(site, "img/card.webp")  # dropped, never recorded
    assert "usage" in sidecar(site, "img/hero.png")


def test_expired_batch_keeps_done_lines(tmp_path: Path, openai_env: Emulator) -> None:
    openai_env.batch_api.config.expire_after = 1
    openai_env.batch_api.config.shuffle = False
    site = write_site(tmp_path, MANIFEST, FILES)
    result = run_cli("-C", site, "build", "--batch")
    assert result.code == 1
    assert "batch_expired" in result.out
    assert (site / "public/img/hero.png").exists()  # the first generation line ran


def test_cancel_then_collect(tmp_path: Path, openai_env: Emulator) -> None:
    openai_env.batch_api.config.delay_s = 3600
    site = write_site(tmp_path, MANIFEST, FILES)
    assert run_cli("-C", site, "build", "--batch", "--no-wait").code == 0
    cancelled = run_cli("-C", site, "batch", "cancel", "--json")
    assert cancelled.code == 0, cancelled.output
    assert {r["status"] for r in json.loads(cancelled.out)["cancelled"]} == {"cancelling"}
    result = run_cli("-C", site, "build")
    assert result.code == 1 and "batch_cancelled" in result.out
    # Reported once: the next build builds them again (synchronously).
    again = run_cli("-C", site, "build")
    assert again.code == 0 and openai_env.count(GENERATIONS) == 2


def test_kill_between_record_and_create_never_submits_twice(
        tmp_path: Path, openai_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site(tmp_path, MANIFEST, FILES)
    original = batch_module.BatchClient.create

    async def create_then_die(self, *args, **kwargs):  # the batch exists, the answer is lost
        await original(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(batch_module.BatchClient, "create", create_then_die)
    assert run_cli("-C", site, "build", "--batch", "--no-wait").code == 130
    monkeypatch.setattr(batch_module.BatchClient, "create", original)
    assert len(batches(openai_env)) == 1
    result = run_cli("-C", site, "build", "--batch")
    assert result.code == 0, result.output
    assert len(batches(openai_env)) == 2  # the first adopted by its metadata, one more made
    assert "found batch" in result.err


def test_kill_before_create_resubmits_once(tmp_path: Path, openai_env: Emulator,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site(tmp_path, MANIFEST, FILES)
    original = batch_module.BatchClient.create

    async def die(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch_module.BatchClient, "create", die)
    assert run_cli("-C", site, "build", "--batch", "--no-wait").code == 130
    records = list((site / ".assetgen" / "batches").iterdir())
    assert records and not batches(openai_env)  # the write-ahead record is there
    monkeypatch.setattr(batch_module.BatchClient, "create", original)
    result = run_cli("-C", site, "build", "--batch")
    assert result.code == 0, result.output
    assert len(batches(openai_env)) == 2


def test_collecting_twice_is_idempotent(tmp_path: Path, openai_env: Emulator,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from assetgen.commands import batch as command

    site = write_site(tmp_path, MANIFEST, FILES)
    assert run_cli("-C", site, "build", "--batch", "--no-wait").code == 0

    async def no_round(self, *args, **kwargs):  # killed after collecting, before publishing
        raise KeyboardInterrupt

    original = command._BatchBuild.round
    monkeypatch.setattr(command._BatchBuild, "round", no_round)
    assert run_cli("-C", site, "build").code == 130
    monkeypatch.setattr(command._BatchBuild, "round", original)
    downloads = sum(1 for r in openai_env.requests if r.path.endswith("/content"))
    result = run_cli("-C", site, "build")
    assert result.code == 0 and "3 collected" in result.out, result.output
    # The record said `collected`: no second download, same masters.
    assert sum(1 for r in openai_env.requests if r.path.endswith("/content")) == downloads


def test_spec_changed_meanwhile_goes_to_the_masters_cache_only(
        tmp_path: Path, openai_env: Emulator) -> None:
    openai_env.batch_api.config.delay_s = 3600
    site = write_site(tmp_path, MANIFEST, FILES)
    assert run_cli("-C", site, "build", "--batch", "--no-wait").code == 0
    manifest = (site / "assetgen.yaml").read_text().replace("A rocket on", "A balloon on")
    (site / "assetgen.yaml").write_text(manifest)
    openai_env.batch_api.config.delay_s = 0
    result = run_cli("-C", site, "build", "hero", "--json")
    doc = json.loads(result.out)
    hero = next(a for a in doc["assets"] if a["asset_id"] == "hero")
    assert hero["action"] == "generated"  # the new prompt, asked synchronously
    assert sidecar(site, "img/hero.png")["prompt"].startswith("A balloon")


def test_estimates_and_max_cost_use_batch_prices(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, MANIFEST, FILES)
    standard = json.loads(run_cli("-C", site, "build", "--dry-run", "--json").out)
    batch = json.loads(run_cli("-C", site, "build", "--batch", "--dry-run", "--json").out)
    full = standard["plan"]["summary"]["estimated_cost_usd"] if "plan" in standard else \
        standard["summary"]["estimated_cost_usd"]
    half = batch["plan"]["summary"]["estimated_cost_usd"] if "plan" in batch else \
        batch["summary"]["estimated_cost_usd"]
    assert half == pytest.approx(full / 2, rel=1e-3)
    over = run_cli("-C", site, "build", "--batch", "--max-cost", str(half / 3))
    assert over.code == 3


def test_doctor_lists_open_batches(tmp_path: Path, openai_env: Emulator) -> None:
    openai_env.batch_api.config.delay_s = 3600
    site = write_site(tmp_path, MANIFEST, FILES)
    assert run_cli("-C", site, "build", "--batch", "--no-wait").code == 0
    result = run_cli("-C", site, "doctor", "--route", "images", "--json")
    steps = {s["name"]: s for s in json.loads(result.out)["steps"]}
    assert "2 open" in steps["batches"]["detail"] and "in_progress" in steps["batches"]["detail"]


def test_batch_commands_return_results_without_a_terminal(
        tmp_path: Path, openai_env: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    from assetgen.commands import batch as command
    from assetgen.commands.reporting import SILENT

    openai_env.batch_api.config.delay_s = 3600
    site = write_site(tmp_path, MANIFEST, FILES)
    notes: list[str] = []

    class Notes:
        def warning(self, text: str) -> None:
            notes.append(text)

        def note(self, text: str) -> None:
            notes.append(text)

        def progress(self, total: int) -> AbstractContextManager[EventSink]:
            return SILENT.progress(total)

    built = command.run_build(None, site, [], batch=True, no_wait=True, force=False,
                              concurrency=4, max_cost=None, listener=Notes())
    assert built.exit_code == 0 and built.summary.counts == {"submitted": 3}
    assert any(n.startswith("submitted batch") for n in notes)
    listed = command.run_list(None, site)
    assert sorted(row.status for row in listed.batches) == ["in_progress", "in_progress"]
    assert sum(row.total for row in listed.batches) == 3
    cancelled = command.run_cancel(None, site, None)
    assert {c.status for c in cancelled.cancelled} == {"cancelling"}
    assert cancelled.exit_code == 0 and cancelled.remedy.endswith("build")
    assert capsys.readouterr() == ("", "")  # commands print nothing
