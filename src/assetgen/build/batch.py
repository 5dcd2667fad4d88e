"""Batch builds: submit pending images-route jobs to the OpenAI Batch API (SPEC 9).

Order of events, each step on disk before the next call (see `submissions`):
record (no ids) → upload the JSONL → record the file id → create the batch with the
submission id in its `metadata` → record the batch id. `reconcile` finishes what a kill
interrupted; `collect` (in `batch_collect`) turns finished batches into masters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from assetgen.build.submissions import (
    FINAL_STATUSES,
    METADATA_KEY,
    PREPARING,
    SUBMITTED,
    Line,
    Submission,
    SubmissionStore,
    custom_id_for,
    new_submission,
)
from assetgen.routes import batch_lines as lines_of
from assetgen.routes.base import ImageJob
from assetgen.routes.batches import MAX_FILE_BYTES, MAX_LINES, BatchClient, checked_id

# Edit inputs sent by `file_id` are uploaded with purpose `vision` ("Images used for vision
# fine-tuning" in CreateFileRequest, and what the image-generation guide uploads inputs
# with); the JSONL itself with purpose `batch`.
INPUT_PURPOSE = "vision"
Notify = Callable[[str], None]


@dataclass
class Pending:
    """One job on its way into a batch."""

    job: ImageJob
    generation_hash: str
    estimate_usd: float


@dataclass
class _Chunk:
    endpoint: str
    model: str
    lines: list[Line]
    payload: list[bytes]

    @property
    def size(self) -> int:
        return sum(len(p) for p in self.payload)


async def submit(client: BatchClient, store: SubmissionStore, pending: list[Pending],
                 notify: Notify) -> list[Submission]:
    """Send every job through the Batch API; the submissions made (all recorded)."""
    file_ids = await _upload_large_inputs(client, pending, notify)
    made = []
    for chunk in _chunks(pending, file_ids):
        submission = new_submission(chunk.endpoint, chunk.model, chunk.lines)
        store.save(submission)  # write-ahead: before any call that could create a batch
        await _create(client, store, submission, b"".join(chunk.payload))
        notify(f"submitted batch {submission.batch_id}: {len(chunk.lines)} "
               f"{chunk.endpoint.rsplit('/', 1)[-1]} with {chunk.model}")
        made.append(submission)
    return made


async def _create(client: BatchClient, store: SubmissionStore, submission: Submission,
                  payload: bytes) -> None:
    if submission.input_file_id is None:
        submission.input_file_id = await client.upload(
            f"assetgen-{submission.submission_id}.jsonl", payload, purpose="batch")
        store.save(submission)
    batch = await client.create(submission.input_file_id, submission.endpoint,
                                {METADATA_KEY: submission.submission_id})
    adopt(submission, batch)
    store.save(submission)


def adopt(submission: Submission, batch: dict[str, object]) -> None:
    submission.batch_id = checked_id(batch.get("id"), "batch")
    status = batch.get("status")
    submission.batch_status = status if isinstance(status, str) else None
    submission.status = SUBMITTED


async def reconcile(client: BatchClient, store: SubmissionStore,
                    submissions: list[Submission], notify: Notify) -> list[Submission]:
    """Records a kill left without a batch id: adopt the batch the server has for them
    (matched by the submission id in its metadata), else drop the record — its assets are
    then pending again, and nothing was created, so nothing is submitted twice."""
    orphans = [s for s in submissions if s.status == PREPARING and s.batch_id is None]
    if not orphans:
        return submissions
    by_submission: dict[str, dict[str, object]] = {}
    for batch in await client.list_recent():
        metadata = batch.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get(METADATA_KEY), str):
            by_submission.setdefault(metadata[METADATA_KEY], batch)
    kept = []
    for submission in submissions:
        if submission not in orphans:
            kept.append(submission)
        elif submission.submission_id in by_submission:
            adopt(submission, by_submission[submission.submission_id])
            store.save(submission)
            notify(f"found batch {submission.batch_id} of an interrupted submission")
            kept.append(submission)
        else:
            store.delete(submission)
            notify(f"an interrupted submission ({len(submission.lines)} requests) never "
                   "reached the Batch API: its assets are pending again")
    return kept


async def refresh(client: BatchClient, store: SubmissionStore,
                  submissions: Iterable[Submission]) -> None:
    """Ask the server for the status of every batch not yet final."""
    for submission in submissions:
        if submission.batch_id and submission.status == SUBMITTED \
                and submission.batch_status not in FINAL_STATUSES:
            batch = await client.retrieve(submission.batch_id)
            status = batch.get("status")
            if isinstance(status, str) and status != submission.batch_status:
                submission.batch_status = status
                store.save(submission)


async def _upload_large_inputs(client: BatchClient, pending: list[Pending],
                               notify: Notify) -> dict[str, str]:
    """Edit inputs sent by `file_id`: those whose data URL passes the `image_url` limit,
    or all of them when data URLs would push the JSONL past the file limit. Each distinct
    input is uploaded once (by sha256)."""
    edits = [p.job for p in pending if p.job.is_edit]
    inputs = {item.sha256: item for job in edits
              for item in (*job.inputs, *([job.mask] if job.mask else []))}
    inline_bytes = sum(len(item.data) * 4 // 3 for job in edits
                       for item in (*job.inputs, *([job.mask] if job.mask else [])))
    everything = inline_bytes > MAX_FILE_BYTES
    file_ids: dict[str, str] = {}
    for sha, item in inputs.items():
        if everything or lines_of.needs_file(item):
            upload = lines_of.upload_of(item, mask=item.ref == "mask")
            file_ids[sha] = await client.upload(upload.filename, upload.data,
                                                purpose=INPUT_PURPOSE, mime=upload.mime)
    if file_ids:
        notify(f"uploaded {len(file_ids)} edit input(s) as files")
    return file_ids


def _chunks(pending: list[Pending], file_ids: dict[str, str]) -> list[_Chunk]:
    """One batch per endpoint and model (one model per file), split past 50,000 lines or
    200 MB."""
    chunks: list[_Chunk] = []
    open_chunks: dict[tuple[str, str], _Chunk] = {}
    for item in pending:
        job = item.job
        custom_id = custom_id_for(job.asset.id, item.generation_hash)
        line, size = lines_of.line_for(job, custom_id, file_ids)
        payload = lines_of.encoded(line)
        key = (lines_of.endpoint_for(job), job.model)
        chunk = open_chunks.get(key)
        if chunk is None or len(chunk.lines) >= MAX_LINES \
                or chunk.size + len(payload) > MAX_FILE_BYTES:
            chunk = _Chunk(key[0], key[1], [], [])
            open_chunks[key] = chunk
            chunks.append(chunk)
        chunk.lines.append(Line(custom_id=custom_id, asset=job.asset.id,
                                generation_hash=item.generation_hash, size=size,
                                estimate_usd=item.estimate_usd))
        chunk.payload.append(payload)
    return chunks


