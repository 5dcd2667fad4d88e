"""`assetgen batch` and `assetgen batch cancel`: the recorded batches, or what was cancelled.

`build --batch` renders through `cli.render.build` (it returns a `BuildResult`).
"""

from __future__ import annotations

from dataclasses import asdict

from assetgen.cli.console import Console, table
from assetgen.commands.batch import BatchCancelResult, BatchListResult


def show(console: Console, result: BatchListResult) -> None:
    if console.json_mode:
        console.emit_json({"batches": [asdict(row) for row in result.batches],
                           "problems": result.problems})
        return
    for problem in result.problems:
        console.warning(f"batch record {problem}")
    if not result.batches:
        console.print("no batches: `assetgen build --batch` submits one")
        return
    lines = table([[row.batch_id or "-", row.status, row.endpoint, row.model,
                    f"{row.completed}+{row.failed}/{row.total}", row.created_at]
                   for row in result.batches],
                  ["BATCH", "STATUS", "ENDPOINT", "MODEL", "DONE", "CREATED"])
    for line in lines:
        console.print(line)


def show_cancel(console: Console, result: BatchCancelResult) -> None:
    if console.json_mode:
        console.emit_json({"cancelled": [asdict(row) for row in result.cancelled]})
        return
    for row in result.cancelled:
        console.print(f"{row.batch_id}: {row.status}")
    console.print(f"a later `{result.remedy}` collects what finished before the "
                  "cancellation; the other assets fail and can be built again")
