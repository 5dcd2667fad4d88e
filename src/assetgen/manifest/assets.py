"""Resolve the manifest's `assets:` entries into `Asset`s.

Split from load.py: this is where defaults meet overrides, prompts are
rendered, generation sizes are chosen and edit inputs are found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assetgen.core.fsutil import escapes
from assetgen.images import models as image_models
from assetgen.images import sizes
from assetgen.images.formats import format_for_path
from assetgen.manifest import model_rules, schema, templating
from assetgen.manifest.checks import LoadContext
from assetgen.manifest.model import Asset, EditInput
from assetgen.manifest.nodes import describe, line_of
from assetgen.manifest.outputs import OutputsResolver


class AssetResolver:
    def __init__(self, context: LoadContext, output_dir: Path, defaults: Mapping[str, Any],
                 variables: dict[str, Any], routes: dict[str, dict[str, Any]]) -> None:
        self.context = context
        self.output_dir = output_dir
        self.defaults = defaults
        self.variables = variables
        self.routes = routes
        self.outputs = OutputsResolver(context, defaults)

    def problem(self, line: int | None, message: str, hint: str | None = None) -> None:
        self.context.problem(line, message, hint)

    def resolve_all(self, entries: list[Any]) -> list[Asset]:
        ids: dict[str, int] = {}
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                asset_id = entry["id"]
                if asset_id in ids:
                    self.problem(line_of(entry, "id"), f"asset id `{asset_id}` is declared "
                                 f"twice (first on line {ids[asset_id]})",
                                 "ids must be unique")
                else:
                    ids[asset_id] = line_of(entry, "id")
        # The entries an edit may name by id; each one's file is worked out only when an
        # edit names it (a path per asset was ~10 ms of loading 2,000).
        declared = {entry["id"]: entry for entry in entries
                    if isinstance(entry, dict) and isinstance(entry.get("id"), str)
                    and isinstance(entry.get("path"), str)}
        assets = []
        for index, entry in enumerate(entries):
            asset = self.resolve(entry, index, entries, declared)
            if asset is not None:
                assets.append(asset)
        return assets

    def resolve(self, entry: Any, index: int, entries: list[Any],
                declared: Mapping[str, Mapping[str, Any]]) -> Asset | None:
        line = line_of(entries, index)
        if not isinstance(entry, dict):
            self.problem(line, f"asset {index + 1} must be a mapping, not {describe(entry)}",
                         "e.g. - id: hero / path: img/hero.webp / prompt: ...")
            return None
        asset_id = entry.get("id")
        where = f"asset `{asset_id}`" if isinstance(asset_id, str) else f"asset {index + 1}"
        before = len(self.context.problems)
        self.context.check_keys(entry, schema.ASSET, where)
        if isinstance(asset_id, str) and not schema.is_asset_id(asset_id):
            self.problem(line_of(entry, "id"), f"asset id `{asset_id}` is not accepted",
                         schema.ASSET_ID_RULE)

        def setting(key: str, fallback: Any) -> Any:
            if key in entry:
                return entry[key]
            return self.defaults.get(key, fallback)

        route = setting("route", schema.DEFAULT_ROUTE)
        model = setting("model", schema.DEFAULT_MODEL)
        quality = setting("quality", schema.DEFAULT_QUALITY)
        background = setting("background", None)

        rel = None
        fmt = "png"
        raw_path = entry.get("path")
        base = self.context.entry_root(entry, self.output_dir)  # `root:`, else output_dir
        if isinstance(raw_path, str) and base is not None:
            rel = self.context.check_output_path(raw_path, base, line_of(entry, "path"))
            if rel is not None:
                try:
                    fmt = format_for_path(rel)
                except ValueError as exc:
                    self.problem(line_of(entry, "path"), f"path `{raw_path}`: {exc}")
        if background == "transparent" and fmt == "jpeg":
            self.problem(line_of(entry, "background") if "background" in entry else line,
                         f"{where} asks for a transparent background but `{raw_path}` is a "
                         "JPEG, which has no alpha channel", "use a .png or .webp path")
        outputs = self.outputs.resolve(entry, where, fmt, background, raw_path)

        width, height = entry.get("width"), entry.get("height")
        if ("width" in entry) != ("height" in entry):
            self.problem(line_of(entry, "width" if "width" in entry else "height"),
                         f"{where} sets only one of width/height",
                         "give both for an exact final size, or neither")
            width = height = None
        size = self.generation_size(entry, where, width, height, model)

        prompt = self.render_prompt(entry, where)
        inputs, mask, fidelity = self.resolve_edit(entry, where, declared, asset_id)
        model_rules.check_asset(entry, where, line, route=route, model=model, size=size,
                                    background=background, report=self.problem)

        if len(self.context.problems) > before or rel is None or prompt is None \
                or base is None or not isinstance(asset_id, str):
            return None
        if not isinstance(route, str) or not isinstance(model, str) \
                or not isinstance(quality, str) or size is None:
            return None
        return Asset(
            id=asset_id, path=rel, file=base / rel, prompt=prompt, route=route,
            model=model, quality=quality, size=size, format=fmt, line=line,
            path_line=line_of(entry, "path"),
            width=width if isinstance(width, int) else None,
            height=height if isinstance(height, int) else None,
            background=outputs.background, inputs=tuple(inputs), mask=mask,
            fidelity=fidelity,
            alt=str(entry["alt"]) if isinstance(entry.get("alt"), str) else None,
            variant_widths=outputs.variant_widths, variant_formats=outputs.variant_formats,
            variant_sizes=outputs.variant_sizes, encoding=outputs.encoding,
            transparent=outputs.transparent, chroma_key=outputs.chroma_key,
        )

    def generation_size(self, entry: Mapping[str, Any], where: str, width: Any,
                        height: Any, model: Any) -> str | None:
        if "size" in entry:
            self.context.check_size_field(entry, where, model)
            raw = entry["size"]
            return raw.strip().lower() if isinstance(raw, str) else None
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            row = image_models.lookup(model) if isinstance(model, str) else None
            if row is not None:
                return sizes.format_size(*row.generation_size_for(width, height))
            return sizes.format_size(*sizes.generation_size_for(width, height))
        raw = self.defaults.get("size", schema.DEFAULT_SIZE)
        return raw.strip().lower() if isinstance(raw, str) else None

    def render_prompt(self, entry: Mapping[str, Any], where: str) -> str | None:
        template = entry.get("prompt")
        if not isinstance(template, str):
            return None
        line = line_of(entry, "prompt")
        if not template.strip():
            self.problem(line, f"{where} has an empty prompt", "describe the image to make")
            return None
        simple = render_simple(template, self.variables)
        if simple is not None:
            return self.check_length(simple, line, where)
        # Jinja2 is imported only when a prompt needs it (start-up time: see templating).
        import jinja2

        try:
            # Whitespace around the prompt is stripped, so rendering may run a little past
            # the limit before it is refused; check_length has the last word.
            rendered = templating.render(template, self.variables,
                                         max_chars=2 * schema.MAX_PROMPT_CHARS).strip()
        except templating.TemplateTooLong:
            self.problem(line, f"the prompt of {where} is more than "
                         f"{schema.MAX_PROMPT_CHARS:,} characters after rendering",
                         f"at most {schema.MAX_PROMPT_CHARS:,} are accepted")
            return None
        except (templating.TemplateLimitError, jinja2.exceptions.SecurityError) as exc:
            self.problem(line, f"the prompt of {where} is refused by the template sandbox: "
                         f"{str(exc)[:200]}", "prompts may use vars, filters, if and for, "
                         "but no Python internals; rendering is bounded in time and size")
            return None
        except jinja2.UndefinedError as exc:
            known = ", ".join(sorted(self.variables)) or "none"
            self.problem(line, f"the prompt of {where} uses an undefined variable: {exc.message}",
                         f"define it under vars: (defined: {known})")
            return None
        except jinja2.TemplateSyntaxError as exc:
            self.problem(line, f"the prompt of {where} is not a valid Jinja2 template: "
                         f"{exc.message}", "check {{ }} and {% %} pairs")
            return None
        except Exception as exc:  # a filter or expression failing on the given vars
            self.problem(line, f"the prompt of {where} failed to render: "
                         f"{type(exc).__name__}: {str(exc)[:200]}",
                         "check the expressions used in the prompt")
            return None
        return self.check_length(rendered, line, where)

    def check_length(self, rendered: str, line: int, where: str) -> str | None:
        if len(rendered) > schema.MAX_PROMPT_CHARS:
            self.problem(line, f"the prompt of {where} is {len(rendered):,} characters after "
                         "rendering", f"at most {schema.MAX_PROMPT_CHARS:,} are accepted")
            return None
        return rendered

    def declared_file(self, entry: Mapping[str, Any]) -> Path | None:
        """The file an asset entry declares: its `path` below its `root:` or output_dir;
        None when that `root:` is refused (reported on the asset itself)."""
        folder = self.context.entry_root(entry, self.output_dir, report=False)
        return None if folder is None else folder / entry["path"]

    def resolve_edit(self, entry: Mapping[str, Any], where: str,
                     declared: Mapping[str, Mapping[str, Any]],
                     own_id: Any) -> tuple[list[EditInput], Path | None, str | None]:
        edit = entry.get("edit")
        if not isinstance(edit, dict):
            return [], None, None
        self.context.check_keys(edit, schema.EDIT, f"{where} edit")
        images = edit.get("images")
        inputs: list[EditInput] = []
        if isinstance(images, list):
            if not images:
                self.problem(line_of(edit, "images"), f"{where} edit has no input images",
                             "list asset ids or repo-relative image paths")
            if len(images) > image_models.MAX_INPUTS:
                self.problem(line_of(edit, "images"), f"{where} edit has {len(images)} inputs",
                             f"at most {image_models.MAX_INPUTS} input images are accepted")
            for index, ref in enumerate(images):
                if not isinstance(ref, str):
                    continue
                ref_line = line_of(images, index, line_of(edit, "images"))
                if ref in declared:
                    if ref == own_id:
                        self.problem(ref_line, f"{where} edits itself",
                                     "an edit's inputs must be other assets or files")
                        continue
                    file = self.declared_file(declared[ref])
                    if file is not None:
                        inputs.append(EditInput(ref=ref, asset_id=ref, path=file))
                    continue
                path = self.repo_file(ref, ref_line, f"edit input `{ref}` of {where}",
                                      "name an asset id or an existing image file (paths are "
                                      "relative to the manifest's folder)")
                if path is not None:
                    inputs.append(EditInput(ref=ref, path=path))
        mask = None
        raw_mask = edit.get("mask")
        if isinstance(raw_mask, str):
            mask_line = line_of(edit, "mask")
            if not raw_mask.lower().endswith(".png"):
                self.problem(mask_line, f"mask `{raw_mask}` of {where} is not a PNG",
                             "a mask is a PNG whose transparent pixels (alpha 0) are repainted")
            else:
                mask = self.repo_file(raw_mask, mask_line, f"mask `{raw_mask}` of {where}",
                                      "give a PNG path relative to the manifest's folder")
        fidelity = edit.get("fidelity") if isinstance(edit.get("fidelity"), str) else None
        return inputs, mask, fidelity

    def repo_file(self, ref: str, line: int, what: str, hint: str) -> Path | None:
        root = self.context.root
        why = escapes(ref, root, self.context.resolved_paths)
        if why:
            self.problem(line, f"{what} is refused: {why}", hint)
            return None
        path = (root / ref).resolve()
        if not path.is_file():
            self.problem(line, f"{what} does not exist", hint)
            return None
        return path


_SIMPLE_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def render_simple(template: str, variables: Mapping[str, Any]) -> str | None:
    """Render prompts that are plain text or only `{{ name }}` substitutions without Jinja.

    Compiling a Jinja template per prompt dominated loading large manifests. The result
    is identical to Jinja's (values rendered with str(), no escaping); anything else —
    statements, comments, filters, expressions, an undefined name — returns None so
    that Jinja renders it and reports errors its usual way.
    """
    if "{%" in template or "{#" in template:
        return None
    names = _SIMPLE_VARIABLE.findall(template)
    if "{{" in _SIMPLE_VARIABLE.sub("", template) or any(n not in variables for n in names):
        return None
    if not names:
        return template.strip()
    return _SIMPLE_VARIABLE.sub(lambda m: str(variables[m.group(1)]), template).strip()

