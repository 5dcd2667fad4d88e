"""The emulator's Files and Batch APIs: `/v1/files` and `/v1/batches`.

Shapes from the official OpenAPI (validated: `CreateBatchRequest` in, `Batch`,
`OpenAIFile` and `ListBatchesResponse` out, and each JSONL line's body against
`CreateImageRequest` or `EditImageBodyJsonParam`). Behaviour from the Batch guide
(developers.openai.com/api/docs/guides/batch) and issue 16's summary of it:
- statuses validating → in_progress → finalizing → completed; expired, cancelling,
  cancelled, failed; `request_counts`;
- output order is not guaranteed ("the output line order may not match the input line
  order; use custom_id"): output lines are shuffled here;
- an expired batch keeps its completed lines and fails the rest with `batch_expired`
  in the error file; a cancelled batch keeps what finished before cancelling;
- one model per input file, `url` equal to the batch's endpoint, at most 50,000 lines.

Configure through ``emu.batch`` (a :class:`BatchConfig`): ``delay_s`` until a batch
finishes, ``shuffle``, ``fail_prompts`` (prompt substring → error code), ``expire_after``
(finish as `expired` with only that many lines done), ``done_before_cancel``,
``bad_usage_prompts`` (prompt substrings whose answer carries a malformed `usage` block:
a hostile-server knob for SPEC 10, not behaviour of the real API).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes import emulator_images as imgs
from tests.fakes import openapi
from tests.fakes.emulator_openai import json_body, schema_mismatch, self_check

if TYPE_CHECKING:
    from tests.fakes.emulator import Emulator, Exchange

LINE_SCHEMAS = {"/v1/images/generations": "CreateImageRequest",
                "/v1/images/edits": "EditImageBodyJsonParam"}
MAX_LINES = 50_000


@dataclass
class BatchConfig:
    delay_s: float = 0.0
    shuffle: bool = True
    fail_prompts: dict[str, str] = field(default_factory=dict)
    expire_after: int | None = None
    done_before_cancel: int = 0
    bad_usage_prompts: tuple[str, ...] = ()
    seed: int = 7


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int


@dataclass
class StoredBatch:
    obj: dict[str, Any]
    lines: list[dict[str, Any]]
    created: float
    outcome_written: bool = False


class BatchState:
    def __init__(self) -> None:
        self.config = BatchConfig()
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, StoredBatch] = {}
        self.order: list[str] = []  # batch ids, oldest first


def route(emu: Emulator, ex: Exchange) -> bool:
    """Handle a Files/Batches request; False when the path is not one of them."""
    method, path = ex.record.method, ex.path
    state: BatchState = emu.batch_api
    if path == "/v1/files" and method == "POST":
        upload(emu, ex, state)
    elif path.startswith("/v1/files/") and path.endswith("/content") and method == "GET":
        stored = state.files.get(path.split("/")[3])
        if stored is None:
            ex.send_error(404, "No such File object.", code="not_found")
        else:
            ex.send_bytes(200, stored.data, "application/octet-stream")
    elif path == "/v1/batches" and method == "POST":
        create(emu, ex, state)
    elif path == "/v1/batches" and method == "GET":
        list_batches(emu, ex, state)
    elif path.startswith("/v1/batches/"):
        parts = path.split("/")
        stored_batch = state.batches.get(parts[3])
        if stored_batch is None:
            ex.send_error(404, f"No batch found with id '{parts[3]}'.", code="not_found")
        elif len(parts) == 5 and parts[4] == "cancel" and method == "POST":
            cancel(emu, state, stored_batch)
            send_batch(emu, ex, stored_batch)
        elif len(parts) == 4 and method == "GET":
            advance(emu, state, stored_batch)
            send_batch(emu, ex, stored_batch)
        else:
            ex.send_error(404, f"Invalid URL ({method} {path})")
    else:
        return False
    return True


def upload(emu: Emulator, ex: Exchange, state: BatchState) -> None:
    try:
        mp = imgs.parse_multipart(ex.header("content-type") or "", ex.body)
    except ValueError as exc:
        ex.send_error(400, f"Could not parse multipart form data: {exc}")
        return
    purpose = (mp.fields.get("purpose") or [None])[0]
    files = [f for f in mp.files if f.field == "file"]
    view = {"purpose": purpose, "file": "<binary>" if files else None}
    errors = openapi.validate("CreateFileRequest", {k: v for k, v in view.items() if v})
    if errors or len(files) != 1:
        return schema_mismatch(emu, ex, errors or ["exactly one `file` part is required"])
    upload_file = files[0]
    stored = StoredFile(f"file-{emu.next_id()}", upload_file.filename or "upload",
                        str(purpose), upload_file.data, int(time.time()))
    if purpose == "batch":
        problem = _jsonl_problem(stored.data)
        if problem:
            ex.send_error(400, problem, code="invalid_file")
            return
    with emu._lock:
        state.files[stored.id] = stored
    obj = _file_obj(stored)
    self_check(emu, ex, "OpenAIFile", obj)
    ex.send_json(200, obj)


def _jsonl_problem(data: bytes) -> str | None:
    seen = set()
    lines = [line for line in data.splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        return f"The input file has {len(lines)} requests; the limit is {MAX_LINES}."
    for number, raw in enumerate(lines, 1):
        try:
            line = json.loads(raw)
        except ValueError:
            return f"Line {number} is not valid JSON."
        if not isinstance(line, dict) or not {"custom_id", "method", "url", "body"} <= line.keys():
            return f"Line {number} lacks custom_id, method, url or body."
        if line["method"] != "POST" or line["custom_id"] in seen:
            return f"Line {number}: method must be POST and custom_id unique."
        seen.add(line["custom_id"])
    return None


def _file_obj(stored: StoredFile) -> dict[str, Any]:
    return {"id": stored.id, "object": "file", "bytes": len(stored.data),
            "created_at": stored.created_at, "filename": stored.filename,
            "purpose": stored.purpose, "status": "processed"}


def create(emu: Emulator, ex: Exchange, state: BatchState) -> None:
    body = json_body(ex)
    if body is None:
        return
    errors = openapi.validate("CreateBatchRequest", body)
    if errors:
        return schema_mismatch(emu, ex, errors)
    source = state.files.get(body["input_file_id"])
    if source is None or source.purpose != "batch":
        ex.send_error(400, "The input file must be an uploaded file with purpose `batch`.",
                      param="input_file_id", code="invalid_file")
        return
    lines = [json.loads(raw) for raw in source.data.splitlines() if raw.strip()]
    models = {line["body"].get("model") for line in lines if isinstance(line["body"], dict)}
    if any(line["url"] != body["endpoint"] for line in lines):
        ex.send_error(400, "Every line's url must equal the batch endpoint.", code="invalid_url")
        return
    if len(models) > 1:
        ex.send_error(400, "A batch input file may use one model only.", code="mixed_models")
        return
    for line in lines:  # a body the real API would refuse is the client's bug: make it loud
        for err in openapi.validate(LINE_SCHEMAS[body["endpoint"]], line["body"]):
            emu.add_schema_error(f"batch line {line['custom_id']}: {err}")
    now = int(time.time())
    obj = {"id": f"batch_{emu.next_id()}", "object": "batch", "endpoint": body["endpoint"],
           "model": next(iter(models), None) or "gpt-image-2",
           "input_file_id": body["input_file_id"], "completion_window": "24h",
           "status": "validating", "created_at": now, "expires_at": now + 86_400,
           "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
           "metadata": body.get("metadata") or None}
    with emu._lock:
        state.batches[obj["id"]] = StoredBatch(obj, lines, time.monotonic())
        state.order.append(obj["id"])
    send_batch(emu, ex, state.batches[obj["id"]])


def send_batch(emu: Emulator, ex: Exchange, stored: StoredBatch) -> None:
    obj = {k: v for k, v in stored.obj.items() if v is not None}
    self_check(emu, ex, "Batch", obj)
    ex.send_json(200, obj)


def list_batches(emu: Emulator, ex: Exchange, state: BatchState) -> None:
    params = dict(p.split("=", 1) for p in ex.record.query.split("&") if "=" in p)
    limit = max(1, min(100, int(params.get("limit") or 20)))
    newest_first = list(reversed(state.order))
    if params.get("after") in newest_first:
        newest_first = newest_first[newest_first.index(params["after"]) + 1:]
    page = newest_first[:limit]
    for batch_id in page:
        advance(emu, state, state.batches[batch_id])
    data = [{k: v for k, v in state.batches[i].obj.items() if v is not None}
            for i in page]
    payload = {"object": "list", "data": data, "first_id": page[0] if page else None,
               "last_id": page[-1] if page else None, "has_more": len(newest_first) > limit}
    self_check(emu, ex, "ListBatchesResponse", {k: v for k, v in payload.items()
                                                if v is not None})
    ex.send_json(200, payload)


def advance(emu: Emulator, state: BatchState, stored: StoredBatch) -> None:
    """Move a batch on by the clock: validating → in_progress → completed (or expired)."""
    obj, config = stored.obj, state.config
    if obj["status"] == "validating":
        obj.update(status="in_progress", in_progress_at=int(time.time()))
    if obj["status"] == "cancelling":
        finish(emu, state, stored, "cancelled", config.done_before_cancel)
    elif obj["status"] == "in_progress" and time.monotonic() - stored.created >= config.delay_s:
        if config.expire_after is not None:
            finish(emu, state, stored, "expired", config.expire_after)
        else:
            finish(emu, state, stored, "completed", len(stored.lines))


def cancel(emu: Emulator, state: BatchState, stored: StoredBatch) -> None:
    if stored.obj["status"] in ("validating", "in_progress"):
        stored.obj.update(status="cancelling", cancelling_at=int(time.time()))


def finish(emu: Emulator, state: BatchState, stored: StoredBatch, status: str,
           run_lines: int) -> None:
    """Run the first ``run_lines`` lines, fail the rest as the final status says, and
    write the output and error files."""
    config = state.config
    outputs, errors = [], []
    for index, line in enumerate(stored.lines):
        if index >= run_lines:
            code = "batch_expired" if status == "expired" else "batch_cancelled"
            errors.append(_line_out(emu, line, None, {
                "code": code, "message": "This request could not be executed before the "
                "batch " + ("expired." if status == "expired" else "was cancelled.")}))
            continue
        answer = _answer(emu, state, stored.obj["endpoint"], line["body"])
        (outputs if answer["status_code"] == 200 else errors).append(
            _line_out(emu, line, answer, None))
    if config.shuffle:
        random.Random(config.seed).shuffle(outputs)
    now = int(time.time())
    obj = stored.obj
    for key, rows in (("output_file_id", outputs), ("error_file_id", errors)):
        if rows:
            data = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
            stored_file = StoredFile(f"file-{emu.next_id()}", f"{obj['id']}_{key}.jsonl",
                                     "batch_output", data, now)
            state.files[stored_file.id] = stored_file
            obj[key] = stored_file.id
    obj["request_counts"] = {"total": len(stored.lines),
                             "completed": len(outputs),
                             "failed": len(errors)}
    obj.update(status=status, finalizing_at=now)
    obj[f"{status}_at"] = now


def _line_out(emu: Emulator, line: dict[str, Any], answer: dict[str, Any] | None,
              error: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": f"batch_req_{emu.next_id()}", "custom_id": line["custom_id"],
            "response": answer, "error": error}


def _answer(emu: Emulator, state: BatchState, endpoint: str,
            body: dict[str, Any]) -> dict[str, Any]:
    request_id = f"req_{emu.next_id()}"
    prompt = str(body.get("prompt") or "")
    for needle, code in state.config.fail_prompts.items():
        if needle in prompt:
            return {"status_code": 400, "request_id": request_id, "body": {"error": {
                "message": "Your request was rejected by the safety system.",
                "type": "image_generation_user_error", "param": None, "code": code}}}
    inputs = []
    for ref in body.get("images") or []:
        data = (imgs.decode_data_url(ref["image_url"])[1] if "image_url" in ref
                else state.files[ref["file_id"]].data)
        info = imgs.inspect_image(data)
        inputs.append((info.width, info.height))
    dims = imgs.parse_size(body.get("size")) or (inputs[0] if inputs else imgs.DEFAULT_SIZE)
    fmt = body.get("output_format") or "png"
    image = imgs.render_image(prompt, dims[0], dims[1], fmt,
                              transparent=body.get("background") == "transparent")
    quality = imgs.concrete_quality(body.get("quality"))
    model = body.get("model") or "gpt-image-2"
    payload = {"created": int(time.time()), "data": [{"b64_json": imgs.b64(image)}],
               "output_format": fmt, "quality": quality,
               "usage": imgs.image_usage(prompt, quality, dims[0], dims[1], 1, inputs, model,
                                         body.get("input_fidelity"))}
    for err in openapi.validate("ImagesResponse", payload):
        emu.add_schema_error(f"emulator batch answer is invalid: {err}")
    if any(needle in prompt for needle in state.config.bad_usage_prompts):
        payload["usage"] = {"output_tokens": "plenty"}  # hostile: not a whole number
    return {"status_code": 200, "request_id": request_id, "body": payload}
