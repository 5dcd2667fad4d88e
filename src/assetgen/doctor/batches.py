"""doctor's batch step: the OpenAI batches this manifest waits on (SPEC 9)."""

from __future__ import annotations

from assetgen.build.submissions import COLLECTED, SubmissionStore
from assetgen.doctor.checks import Doctor
from assetgen.manifest import Manifest


async def list_open_batches(doctor: Doctor, manifest: Manifest) -> None:
    """One `batches` step: each recorded batch with its live status and counts. Informative
    only: a batch in any state is not a failed check."""
    records = SubmissionStore(manifest.state_dir, manifest.root)
    waiting = [s for s in records.load_all() if s.status != COLLECTED]
    if not waiting:
        doctor.ok("batches", "no open batches")
        return
    shown = []
    for submission in waiting:
        if not submission.batch_id:
            shown.append(f"{submission.submission_id}: being submitted")
            continue
        body, exc = await doctor.get(f"{doctor.base_url}/batches/{submission.batch_id}",
                                     doctor.openai_headers())
        if exc is not None or not isinstance(body, dict):
            shown.append(f"{submission.batch_id}: not readable ({exc.describe() if exc else ''})")
            continue
        raw_counts = body.get("request_counts")
        counts: dict[str, object] = raw_counts if isinstance(raw_counts, dict) else {}
        shown.append(f"{submission.batch_id}: {body.get('status')} "
                     f"{counts.get('completed', 0)}+{counts.get('failed', 0)}/"
                     f"{counts.get('total', len(submission.lines))}")
    doctor.ok("batches", f"{len(waiting)} open: " + "; ".join(shown))
