"""Batch building blocks: prices, hostile records, splitting, large edit inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assetgen.build import batch as batch_module
from assetgen.build.submissions import SubmissionStore, parse
from assetgen.images import cost
from assetgen.images.models import BATCH_TIER
from assetgen.routes import batch_lines
from tests.fakes.emulator import Emulator
from tests.fakes.sites import png_bytes, run_cli, write_site


def test_batch_prices_are_half() -> None:
    full = cost.estimate_usd(size="1024x1024", quality="medium", prompt="x" * 40)
    half = cost.estimate_usd(size="1024x1024", quality="medium", prompt="x" * 40,
                             tier=BATCH_TIER)
    assert half == pytest.approx(full / 2)
    usage = {"output_tokens": 1756, "input_tokens": 10,
             "input_tokens_details": {"text_tokens": 10, "image_tokens": 0}}
    assert cost.usd_from_usage(usage, tier=BATCH_TIER) == pytest.approx(
        cost.usd_from_usage(usage) / 2, rel=1e-4)


@pytest.mark.parametrize("batch_id", ["../../etc", "batch_1/../x", "", 7])
def test_a_record_with_a_bad_batch_id_is_refused(batch_id: object) -> None:
    raw = {"schema": "assetgen.batch/1", "submission_id": "sub_" + "0" * 24,
           "endpoint": "/v1/images/generations", "model": "gpt-image-2",
           "created_at": "2026-01-01T00:00:00Z", "lines": [], "status": "submitted",
           "batch_id": batch_id}
    with pytest.raises((ValueError, TypeError)):
        parse(raw, "sub_" + "0" * 24)


def test_an_unreadable_record_is_ignored_with_a_note(tmp_path: Path) -> None:
    folder = tmp_path / ".assetgen" / "batches"
    folder.mkdir(parents=True)
    (folder / ("sub_" + "1" * 24 + ".json")).write_text("{not json")
    records = SubmissionStore(tmp_path / ".assetgen", tmp_path)
    assert records.load_all() == []
    assert records.problems and "ignored" in records.problems[0]


def test_a_custom_size_edit_asks_the_closest_standard_size() -> None:
    class Job:
        size, model = "1280x720", "gpt-image-2"

    assert batch_lines.edit_size(Job()) == "1536x1024"  # type: ignore[arg-type]


MANY = """\
version: 1
output_dir: public
defaults: {quality: low, size: 1024x1024}
assets:
  - {id: a, path: a.png, prompt: "one"}
  - {id: b, path: b.png, prompt: "two"}
  - {id: c, path: c.png, prompt: "three"}
  - id: d
    path: d.png
    prompt: "edit"
    edit: {images: [in/big.png]}
"""


def test_split_past_the_line_limit_and_large_inputs_go_as_files(
        tmp_path: Path, openai_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSETGEN_BATCH_POLL_S", "0.05")
    monkeypatch.setattr(batch_module, "MAX_LINES", 2)
    monkeypatch.setattr(batch_lines, "MAX_DATA_URL_CHARS", 100)  # any input is "too big"
    site = write_site(tmp_path, MANY, {"in/big.png": png_bytes(1024, 1024)})
    result = run_cli("-C", site, "build", "--batch")
    assert result.code == 0, result.output
    made = [b.obj for b in openai_env.batch_api.batches.values()]
    assert sorted(b["request_counts"]["total"] for b in made) == [1, 1, 2]
    uploads = [f for f in openai_env.batch_api.files.values() if f.purpose == "vision"]
    assert len(uploads) == 1
    edit_file = next(f for f in openai_env.batch_api.files.values()
                     if f.purpose == "batch" and b"/v1/images/edits" in f.data)
    line = json.loads(edit_file.data)
    assert line["body"]["images"] == [{"file_id": uploads[0].id}]
