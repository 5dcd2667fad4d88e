"""Batch submission records: the write-ahead log of `build --batch` (SPEC 9).

One JSON file per submission under `<state folder>/batches/`. It is written (durably,
symlink-safely) BEFORE the input file is uploaded and the batch created, then again with
the file id and the batch id, then with the collected results. A kill at any point leaves
either a record without a batch id (reconciled by listing the account's batches and
matching the submission id in their `metadata`) or one with it (polled and collected):
never a lost batch, never one submitted twice.

The folder is repository-local state, so every record is read as hostile input: size
capped, every field type-checked, ids limited to the characters a URL path takes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assetgen.core.api_ids import is_api_id
from assetgen.core.canonical import readable_json
from assetgen.core.fsutil import SafeFolder, atomic_write, read_within
from assetgen.errors import UnsafePathError

SCHEMA = "assetgen.batch/1"
FOLDER = "batches"
MAX_RECORD_BYTES = 64 * 1024 * 1024
_SUBMISSION = re.compile(r"^sub_[0-9a-f]{24}$")
# A batch that can still change; the others are final (official `Batch.status` enum).
OPEN_STATUSES = frozenset({"validating", "in_progress", "finalizing", "cancelling"})
FINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})
PREPARING, SUBMITTED, COLLECTED = "preparing", "submitted", "collected"
METADATA_KEY = "assetgen_submission"


def custom_id_for(asset_id: str, generation_hash: str) -> str:
    """A line's `custom_id`: the asset and its generation hash (matched by this, never by
    the order of the output file)."""
    return f"{asset_id}@{generation_hash.split(':')[-1]}"


@dataclass
class Line:
    """One request line of a batch submission: which asset and spec it asks for."""

    custom_id: str
    asset: str
    generation_hash: str
    size: str  # the size asked in the line's body (a batch edit may ask a standard size)
    estimate_usd: float = 0.0


@dataclass
class LineResult:
    """What the Batch API answered for one line (its image is collected separately)."""

    ok: bool
    code: str | None = None
    message: str | None = None
    request_id: str | None = None


@dataclass
class Submission:
    """A batch submission as recorded in the state folder, from upload to collection."""

    submission_id: str
    endpoint: str
    model: str
    created_at: str
    lines: list[Line]
    status: str = PREPARING
    input_file_id: str | None = None
    batch_id: str | None = None
    batch_status: str | None = None
    results: dict[str, LineResult] = field(default_factory=dict)

    @property
    def by_custom_id(self) -> dict[str, Line]:
        return {line.custom_id: line for line in self.lines}

    def as_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["schema"] = SCHEMA
        return document


def new_submission(endpoint: str, model: str, lines: list[Line]) -> Submission:
    return Submission(submission_id="sub_" + os.urandom(12).hex(), endpoint=endpoint,
                      model=model, created_at=now_iso(), lines=lines)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class SubmissionStore:
    """The records of one manifest's state folder."""

    def __init__(self, state_dir: Path, root: Path) -> None:
        self.folder = state_dir / FOLDER
        self.root = root
        self.problems: list[str] = []  # records that were ignored, and why

    def path(self, submission_id: str) -> Path:
        return self.folder / f"{submission_id}.json"

    def save(self, submission: Submission) -> None:
        """Durable and atomic: this is the write-ahead record."""
        data = readable_json(submission.as_json()).encode("utf-8")
        atomic_write(self.path(submission.submission_id), data, durable=True, root=self.root)

    def delete(self, submission: Submission) -> None:
        with SafeFolder.open(self.folder, root=self.root, create=False) as folder:
            folder.unlink(self.path(submission.submission_id).name)

    def load_all(self) -> list[Submission]:
        self.problems = []
        if not self.folder.is_dir() or self.folder.is_symlink():
            return []
        found = []
        for path in sorted(self.folder.glob("sub_*.json")):
            if not _SUBMISSION.match(path.stem):
                continue
            try:
                raw = json.loads(read_within(path, self.root, MAX_RECORD_BYTES))
                found.append(parse(raw, path.stem))
            except (OSError, ValueError, TypeError, KeyError, RecursionError,
                    UnsafePathError) as exc:
                self.problems.append(f"{path.name}: ignored, not a readable batch record "
                                     f"({type(exc).__name__})")
        return found


def parse(raw: Any, expected_id: str) -> Submission:
    """A record from its JSON, every field checked (ValueError/TypeError otherwise)."""
    if not isinstance(raw, dict) or raw.get("schema") != SCHEMA:
        raise ValueError("not an assetgen batch record")
    if raw.get("submission_id") != expected_id:
        raise ValueError("the submission id does not match the file name")
    lines = [Line(custom_id=_text(item["custom_id"]), asset=_text(item["asset"]),
                  generation_hash=_text(item["generation_hash"]), size=_text(item["size"]),
                  estimate_usd=_number(item.get("estimate_usd", 0.0)))
             for item in _list(raw["lines"])]
    results = {}
    for key, value in _dict(raw.get("results") or {}).items():
        if not isinstance(value, dict) or not isinstance(value.get("ok"), bool):
            raise TypeError("bad result")
        results[_text(key)] = LineResult(
            ok=value["ok"], code=_optional_text(value.get("code")),
            message=_optional_text(value.get("message")),
            request_id=_optional_text(value.get("request_id")))
    status = raw.get("status")
    if status not in (PREPARING, SUBMITTED, COLLECTED):
        raise ValueError("unknown record status")
    for key in ("input_file_id", "batch_id"):
        if raw.get(key) is not None and not is_api_id(raw[key]):
            raise ValueError(f"{key} is not an API id")
    return Submission(submission_id=expected_id, endpoint=_text(raw["endpoint"]),
                      model=_text(raw["model"]), created_at=_text(raw["created_at"]),
                      lines=lines, status=status, input_file_id=raw.get("input_file_id"),
                      batch_id=raw.get("batch_id"),
                      batch_status=_optional_text(raw.get("batch_status")), results=results)


def pending_lines(submissions: Iterable[Submission]) -> dict[str, tuple[Submission, Line]]:
    """generation hash → (submission, line) for every line still waiting for its batch."""
    pending: dict[str, tuple[Submission, Line]] = {}
    for submission in submissions:
        if submission.status == COLLECTED:
            continue
        for line in submission.lines:
            pending[line.generation_hash] = (submission, line)
    return pending


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 4096:
        raise TypeError("expected a string")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)[:1000]


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise TypeError("expected a number")
    return float(value)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("expected an object")
    return value
