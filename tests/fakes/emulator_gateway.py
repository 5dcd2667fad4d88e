"""The "gateway" dialect: an OpenAI-compatible image provider with asynchronous tasks.

POST {gateway}/images/generations  {model, prompt, size: "16:9", resolution: "1K", ...}
    -> {"id": "task_7", "status": "queued"}       (wrapped in {"code": 0, "msg": "ok",
GET  {gateway}/tasks/task_7                         "data": ...} when gateway_wrap)
    -> queued -> in_progress (progress) -> completed with result images
GET  /gateway/files/task_7.png                    (expires after gateway_url_ttl_s)
"""

from __future__ import annotations

import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes import emulator_images as imgs
from tests.fakes.emulator_openai import NOT_IMAGE_BYTES, apply_pre_fault, bad_base64, finish

if TYPE_CHECKING:
    from tests.fakes.emulator import Emulator, Exchange, Fault

STATUS_NAMES = {"queued": "queued", "in_progress": "in_progress", "completed": "completed",
                "failed": "failed", "cancelled": "cancelled"}  # fmt: skip
EXPIRED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


@dataclass
class Task:
    id: str
    prompt: str
    model: str
    width: int
    height: int
    n: int
    created: float
    created_epoch: int
    duration: float
    fault: str | None = None
    references: list[str] = field(default_factory=list)
    response_format: str = "url"
    _images: list[bytes] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def done_at(self) -> float:
        return self.created + self.duration

    def state(self, now: float) -> tuple[str, int]:
        elapsed = now - self.created
        if elapsed < self.duration * 0.25:
            return "queued", 0
        progress = int(100 * elapsed / self.duration) if self.duration > 0 else 100
        if self.fault == "task_stuck" or elapsed < self.duration:
            return "in_progress", max(1, min(99, progress))
        if self.fault == "task_failed":
            return "failed", progress
        if self.fault == "task_cancelled":
            return "cancelled", progress
        return "completed", 100

    def images(self) -> list[bytes]:
        with self._lock:
            if self._images is None:
                w, h = self.width, self.height
                if self.fault == "wrong_size":
                    w, h = max(16, w // 2 // 16 * 16), max(16, h // 2 // 16 * 16)
                self._images = [
                    NOT_IMAGE_BYTES if self.fault == "not_image"
                    else imgs.render_image(self.prompt, w, h, "png", index=i)
                    for i in range(self.n)
                ]  # fmt: skip
            return self._images


def _wrap(emu: Emulator, data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 0, "msg": "ok", "data": data} if emu.gateway_wrap else data


def _reject(ex: Exchange, message: str, status: int = 400) -> None:
    ex.send_error(status, message)


def _check_auth(emu: Emulator, ex: Exchange) -> bool:
    if emu.gateway_key is None:
        return True
    scheme, _, token = (ex.header("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip() == emu.gateway_key:
        return True
    _reject(ex, "invalid or missing token", 401)
    return False


def _fetch_reference(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read()


def submit(emu: Emulator, ex: Exchange) -> None:
    from tests.fakes.emulator_openai import json_body, prelude

    body = json_body(ex)
    if body is None:
        return
    proceed, fault = prelude(emu, ex, prompt=body.get("prompt"), model=body.get("model"))
    if not proceed:
        return
    prompt = ex.record.prompt  # the prompt if it is a string, else None
    model = body.get("model")
    size = body.get("size", "1:1")
    resolution = body.get("resolution", "1K")
    n = body.get("n", 1)
    refs = body.get("reference_images") or []
    fmt = body.get("response_format", "url")
    if not isinstance(prompt, str) or not prompt.strip():
        return _reject(ex, "prompt is required")
    if not isinstance(model, str) or model not in emu.gateway_models:
        return _reject(ex, f"model {model!r} is not supported by this provider; available: "
                       + ", ".join(sorted(emu.gateway_models)))  # fmt: skip
    try:
        width, height = imgs.gateway_dimensions(str(size), str(resolution))
    except ValueError as exc:
        return _reject(ex, str(exc))
    if resolution == "4K" and model.startswith("gpt-image"):
        return _reject(ex, f"resolution 4K is not available for {model}; use 1K or 2K")
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 4:
        return _reject(ex, f"n must be an integer between 1 and 4, got {n!r}")
    if fmt not in ("url", "b64_json"):
        return _reject(ex, f"response_format must be 'url' or 'b64_json', got {fmt!r}")
    if not isinstance(refs, list) or not all(
        isinstance(u, str) and u.startswith(("http://", "https://")) for u in refs
    ):
        return _reject(ex, "reference_images must be a list of http(s) URLs (data URLs and "
                       "uploads are not accepted)")  # fmt: skip
    for i, url in enumerate(refs):
        rec: dict[str, Any] = {"field": f"reference_images[{i}]", "url": url}
        if emu.gateway_fetch_references:
            try:
                data = _fetch_reference(url)
            except OSError as exc:
                return _reject(ex, f"could not download reference image {url}: {exc}")
            rec.update(imgs.file_record(rec["field"], None, None, data), url=url)
            if rec["width"] is None:
                return _reject(ex, f"reference image {url} is not an image")
        ex.record.files.append(rec)
    task = Task(
        id=f"task_{emu.next_id()}", prompt=prompt, model=model, width=width, height=height,
        n=n, created=time.monotonic(), created_epoch=int(time.time()),
        duration=emu.gateway_task_s, references=list(refs), response_format=fmt,
        fault=fault.kind if fault is not None else None,
    )  # fmt: skip
    with emu._lock:
        emu.tasks[task.id] = task
    payload = {"id": task.id, "object": "image.task", "model": model,
               "status": emu.gateway_statuses.get("queued", "queued"),
               "created_at": task.created_epoch}  # fmt: skip
    finish(emu, ex, fault, _wrap(emu, payload))


def _file_url(emu: Emulator, task: Task, i: int) -> str:
    suffix = "" if i == 0 else f"-{i}"
    return f"{emu.gateway_file_origin or emu.origin}/gateway/files/{task.id}{suffix}.png"


def task_json(emu: Emulator, task: Task, now: float) -> dict[str, Any]:
    status, progress = task.state(now)
    names = emu.gateway_statuses
    data: dict[str, Any] = {
        "id": task.id, "object": "image.task", "model": task.model,
        "status": names.get(status, status), "progress": progress,
        "created_at": task.created_epoch,
    }  # fmt: skip
    if status == "completed":
        data["completed_at"] = task.created_epoch + round(task.duration)
        shape = emu.gateway_result_shape
        if shape == "b64":
            items: list[dict[str, Any]] = [{"b64_json": imgs.b64(b)} for b in task.images()]
            if task.fault == "bad_base64":
                items = [{"b64_json": bad_base64(i["b64_json"])} for i in items]
        elif shape == "url_list":
            items = [{"url": [_file_url(emu, task, i)]} for i in range(task.n)]
        else:
            items = [{"url": _file_url(emu, task, i)} for i in range(task.n)]
        data["result"] = {"images": items}
    elif status == "failed":
        data["error"] = {"code": "generation_failed",
                         "message": "The image generation task failed upstream."}  # fmt: skip
    elif status == "cancelled":
        data["error"] = {"code": "task_cancelled", "message": "The task was cancelled."}
    return data


def poll(emu: Emulator, ex: Exchange, task_id: str) -> None:
    task = emu.tasks.get(task_id)
    ex.record.prompt = task.prompt if task else None
    fault = _path_fault(emu, ex)
    if fault is False:
        return
    if task is None:
        return _reject(ex, f"task {task_id} not found", 404)
    finish(emu, ex, fault or None, _wrap(emu, task_json(emu, task, time.monotonic())))


def _path_fault(emu: Emulator, ex: Exchange) -> Fault | bool | None:
    """Faults explicitly aimed at non-submit paths; False when a response was already sent."""
    fault = emu.take_fault(ex.path, ex.record.prompt)
    if fault is not None and apply_pre_fault(emu, ex, fault, None):
        return False
    return fault


def serve_file(emu: Emulator, ex: Exchange, name: str) -> None:
    stem = name.removesuffix(".png")
    task_id, _, index = stem.partition("-")
    task = emu.tasks.get(task_id)
    ex.record.prompt = task.prompt if task else None
    fault = _path_fault(emu, ex)
    if fault is False:
        return
    i = int(index) if index.isdigit() else 0
    now = time.monotonic()
    if (
        task is None
        or not name.endswith(".png")
        or i >= task.n
        or task.state(now)[0] != ("completed")
    ):
        ex.send_bytes(404, b"Not Found", "text/plain")
        return
    if now > task.done_at + emu.gateway_url_ttl_s:
        ex.send_bytes(403, EXPIRED_XML, "application/xml")
        return
    data = task.images()[i]
    not_image = task.fault == "not_image" or (fault is not None and fault.kind == "not_image")
    if not_image:
        ex.send_bytes(200, NOT_IMAGE_BYTES, "text/html; charset=utf-8")
    else:
        ex.send_bytes(200, data, "image/png")


def route(emu: Emulator, ex: Exchange) -> None:
    method, path = ex.record.method, ex.path
    if path.startswith("/gateway/files/") and method in ("GET", "HEAD"):
        return serve_file(emu, ex, path[len("/gateway/files/") :])
    if not _check_auth(emu, ex):
        return
    if path == "/gateway/v1/images/generations" and method == "POST":
        return submit(emu, ex)
    if path.startswith("/gateway/v1/tasks/") and method == "GET":
        return poll(emu, ex, path[len("/gateway/v1/tasks/") :])
    if path == "/gateway/v1/models" and method == "GET":
        data = [{"id": m, "object": "model", "owned_by": "gateway"}
                for m in sorted(emu.gateway_models)]  # fmt: skip
        return ex.send_json(200, {"object": "list", "data": data})
    _reject(ex, f"no route for {method} {path}", 404)
