"""What the engine does with one answer, apart from scheduling: read the edit inputs,
check an answer (decodes, has alpha when asked), describe the master, replay a cached one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetgen.build.masters import CachedMaster
from assetgen.core.canonical import sha256_bytes
from assetgen.errors import ImageError, PermanentError
from assetgen.images.codec import has_alpha, image_has_alpha, probe
from assetgen.routes.base import InputImage, RouteResult

if TYPE_CHECKING:
    from assetgen.images.codec import Decoded, ImageInfo  # imaging imports Pillow: when building


def read_input(ref: str, path: Path, asset_id: str | None) -> InputImage:

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot read edit input {ref} ({path}): {exc.strerror}",
                         hint="build or restore the input first") from exc
    try:
        info = probe(data)
    except ImageError as exc:
        raise ImageError(f"edit input {ref} ({path.name}) is not a readable image",
                         hint="replace it with a PNG, JPEG or WebP file") from exc
    return InputImage(ref=ref, path=path, data=data, sha256=sha256_bytes(data),
                      width=info.width, height=info.height, asset_id=asset_id,
                      format=info.format)


def does_not_decode(result: RouteResult, exc: ImageError) -> PermanentError:
    return PermanentError(f"the returned image does not decode ({exc.message})",
                          route=result.route, code="bad_image", request_id=result.request_id)


def require_alpha(result: RouteResult, checked: Decoded | None = None) -> None:
    """`transparent: true` asked for a transparent background: an opaque answer fails."""

    opaque = (not image_has_alpha(checked.image) if checked is not None
              else not has_alpha(result.image))
    if opaque:
        raise PermanentError(
            "the route returned an opaque image although a transparent background was asked "
            "(gpt-image-2's transparent background is a preview feature)", route=result.route,
            code="not_transparent", request_id=result.request_id,
            hint="use `transparent: chroma` to key out a flat background locally instead")


def master_fields(data: bytes, looked: tuple[ImageInfo, str] | None,
                   cached: CachedMaster | None) -> dict[str, Any]:
    """The sidecar's `master` entry, from the check just made or the cached master."""
    meta = cached.meta if cached is not None else None
    sha = looked[1] if looked is not None else cached.sha256 if cached is not None else None
    if looked is not None:
        width, height, fmt = looked[0].width, looked[0].height, looked[0].format
    elif meta and all(isinstance(meta.get(k), int) for k in ("width", "height")) \
            and isinstance(meta.get("format"), str):
        width, height, fmt = meta["width"], meta["height"], meta["format"]
    else:

        info = probe(data)
        width, height, fmt = info.width, info.height, info.format
    return {"sha256": sha or sha256_bytes(data), "width": width, "height": height,
            "format": fmt}


def malformed_usage(result: RouteResult) -> str | None:
    """The boundary's note that the answer's usage block was dropped as malformed, if any."""
    notes = result.extra.get("answer_notes") or ()
    return next((note for note in notes if note.startswith("usage dropped")), None)


def result_from_cache(data: bytes, meta: Mapping[str, Any]) -> RouteResult:
    return RouteResult(
        image=data, route=meta.get("route", ""), model=meta.get("model", ""),
        billing=meta.get("billing", ""), request_id=meta.get("request_id"),
        response_id=meta.get("response_id"), revised_prompt=meta.get("revised_prompt"),
        usage=meta.get("usage"), cost_usd=meta.get("cost_usd"),
        cost_basis=meta.get("cost_basis"), extra=dict(meta.get("extra") or {}),
    )
