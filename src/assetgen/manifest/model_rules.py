"""Manifest checks from the model table: a setting the asset's model does not take is a
manifest error at its line (SPEC 2.1), never a request the API refuses.

Only the OpenAI surfaces (`images`, `responses`) are checked: the gateway maps models its
own way, and codex and draft do not send the model's parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from assetgen.core.paths import display_inside_cwd
from assetgen.images import models as image_models
from assetgen.manifest.model import Manifest
from assetgen.manifest.nodes import line_of

CHECKED_ROUTES = ("images", "responses")

Report = Callable[[int, str, str], None]


def check_asset(entry: Mapping[str, Any], where: str, line: int, *, route: Any, model: Any,
                size: str | None, background: Any, report: Report) -> None:
    """Report each setting of one asset that its model does not take."""
    if route not in CHECKED_ROUTES or not isinstance(model, str):
        return
    row = image_models.lookup(model)
    if row is None:
        return

    def at(*keys: str) -> int:
        for key in keys:
            if key in entry:
                return line_of(entry, key)
        return line

    if size is not None and "size" not in entry:  # an entry's own size: check_size_field
        problem = row.size_problem(size)
        if problem:
            report(at("model"), f"{where} inherits size `{size}`, which {model} does not "
                   f"make: {problem}", "set `size:` on it; accepted: " + sizes_text(row))
    if background == "transparent" and row.transparency == "no":
        report(at("background", "model"), f"{where} asks for a transparent background, which "
               f"{model} does not make", "use `transparent: chroma` or another model")
    edit = entry.get("edit")
    if isinstance(edit, dict):
        fidelity = edit.get("fidelity")
        if isinstance(fidelity, str) and not row.takes_fidelity(fidelity):
            report(line_of(edit, "fidelity"), _fidelity_message(where, model, fidelity, row),
                   _fidelity_hint(row))
        images = edit.get("images")
        if isinstance(images, list) and row.max_inputs < len(images) <= image_models.MAX_INPUTS:
            report(line_of(edit, "images"), f"{where} edit has {len(images)} inputs",
                   f"{model} takes at most {row.max_inputs} input images")
        if "mask" in edit and not row.masks:
            report(line_of(edit, "mask"), f"{model} takes no mask", "remove `mask`")


def experimental_size(model: str, size: str) -> bool:
    row = image_models.lookup(model)
    return row is not None and row.is_experimental(size)


def sizes_text(row: image_models.ImageModel) -> str:
    if row.flexible_sizes:
        return "WxH with multiples of 16 (see SPEC 2.1) or auto"
    return ", ".join(image_models.STANDARD_SIZES) + " or auto"


def _fidelity_message(where: str, model: str, fidelity: str,
                      row: image_models.ImageModel) -> str:
    if not row.input_fidelities:
        return (f"`fidelity: {fidelity}` in the edit of {where}: {model} takes no "
                "input_fidelity (the API answers 400 invalid_input_fidelity_model)")
    return (f"`fidelity: {fidelity}` in the edit of {where}: {model} takes only "
            + ", ".join(row.input_fidelities))


def _fidelity_hint(row: image_models.ImageModel) -> str:
    if row.reads_inputs_at_high_fidelity:
        return "remove `fidelity`: it always reads inputs at high fidelity"
    if not row.input_fidelities:
        return "remove `fidelity`"
    takers = [name for name, other in image_models.MODELS.items()
              if fidelity_taken(other, "high")]
    return "remove it, or use a model that takes it (" + ", ".join(takers) + ")"


def fidelity_taken(row: image_models.ImageModel, fidelity: str) -> bool:
    return fidelity in row.input_fidelities


def size_warnings(manifest: Manifest) -> list[str]:
    """One line per asset whose generation size the API calls experimental (SPEC 2.1):
    accepted, but said out loud when the manifest is used."""
    lines = []
    limit = image_models.EXPERIMENTAL_ABOVE_PIXELS
    for asset in manifest.assets:
        if asset.route in CHECKED_ROUTES and experimental_size(asset.model, asset.size):
            width, _, height = asset.size.partition("x")
            pixels = int(width) * int(height)
            lines.append(f"{display_inside_cwd(manifest.file)}:{asset.line}: asset `{asset.id}` "
                         f"generates at {asset.size} ({pixels:,} pixels): {asset.model} calls "
                         f"sizes above {limit:,} pixels (2560x1440) experimental")
    return lines
