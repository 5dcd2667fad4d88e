"""Load, validate and resolve `assetgen.yaml`.

Every rule of SPEC 2.1 is checked before any request is made, and every
problem is collected (not just the first) as ``file:line: what — accepted``.
The result is a `Manifest` of fully resolved `Asset`s: defaults applied,
prompts rendered, generation sizes chosen, paths made absolute and safe.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assetgen.core.fsutil import STATE_DIR_NAME, escapes
from assetgen.core.hosts import result_host_problems
from assetgen.errors import ManifestError, Problem, UsageError
from assetgen.images import models as image_models
from assetgen.images import sizes
from assetgen.manifest import generators, schema
from assetgen.manifest import reader as manifest_yaml
from assetgen.manifest.c2pa_settings import Settings as SigningSettings
from assetgen.manifest.c2pa_settings import resolve as resolve_signing
from assetgen.manifest.model_rules import sizes_text
from assetgen.manifest.outputs import OutputsResolver, check_collisions, resolve_top_paths
from assetgen.manifest.site import resolve_site

_ID_RE = re.compile(schema.ASSET_ID_PATTERN)


@dataclass(frozen=True)
class EditInput:
    """One input image of an edit: another asset, or a file in the repo."""

    ref: str
    path: Path
    asset_id: str | None = None


@dataclass(frozen=True)
class Asset:
    id: str
    path: str  # posix, relative to output_dir
    file: Path  # absolute
    prompt: str  # rendered
    route: str
    model: str
    quality: str
    size: str  # the generation size sent: "WxH" or "auto"
    format: str  # the final file's format
    line: int
    width: int | None = None  # exact final size, when asked
    height: int | None = None
    background: str | None = None
    inputs: tuple[EditInput, ...] = ()
    mask: Path | None = None
    fidelity: str | None = None
    alt: str | None = None
    # Published files beyond the main one, and how every file is encoded.
    variant_widths: tuple[int, ...] = ()  # asked for; wider than the image are skipped
    variant_formats: tuple[str, ...] = ()  # default: the main file's format
    variant_sizes: str | None = None  # the `sizes` attribute snippets print
    encoding: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False)
    transparent: str | None = None  # "api" (background: transparent) | "chroma"
    chroma_key: str | None = None  # "#rrggbb", for transparent: chroma
    path_line: int = 0  # the `path:` line, for problems about the path (0: the entry's)

    @property
    def has_variants(self) -> bool:
        return bool(self.variant_widths)

    @property
    def is_edit(self) -> bool:
        return bool(self.inputs)

    @property
    def dependencies(self) -> tuple[str, ...]:
        return tuple(i.asset_id for i in self.inputs if i.asset_id)


@dataclass(frozen=True)
class StaticImage:
    path: str
    file: Path
    line: int
    author: str | None = None
    license: str | None = None
    path_line: int = 0  # the `path:` line (0: the entry's)


@dataclass
class Manifest:
    file: Path
    root: Path
    output_dir: Path
    sources: tuple[str, ...]
    # No `vars`: prompts are rendered at load, and keeping the variables would make the
    # manifest cache write out (expand) values no prompt uses.
    routes: dict[str, dict[str, Any]]
    static: tuple[StaticImage, ...]
    assets: tuple[Asset, ...]
    by_id: dict[str, Asset] = field(default_factory=dict)
    masters_dir: Path | None = None  # None: .assetgen/masters
    assets_json: Path | None = None  # where `build` writes the assets map, if anywhere
    snippet_template: Path | None = None  # replaces the built-in snippet template
    signing: SigningSettings | None = None  # `provenance.c2pa` (SPEC 8)
    generator: str = "plain"  # a name in manifest.generators (SPEC 7)
    roots: tuple[Path, ...] = ()  # declared image folders besides output_dir (absolute)

    def __post_init__(self) -> None:
        self.by_id = {a.id: a for a in self.assets}

    @property
    def state_dir(self) -> Path:
        """Local, gitignored working state: lock, masters cache, verify cache."""
        return self.root / STATE_DIR_NAME

    @property
    def masters_folder(self) -> Path:
        """The masters cache: `masters_dir` when set, else `.assetgen/masters`."""
        return self.masters_dir if self.masters_dir is not None else self.state_dir / "masters"

    def route_settings(self, route: str) -> dict[str, Any]:
        return dict(self.routes.get(route) or {})

    def rel(self, path: Path) -> str:
        """A path as users see it in messages: relative to the manifest's folder."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def dependents_of(self, asset_id: str) -> list[str]:
        return [a.id for a in self.assets if asset_id in a.dependencies]


def find_manifest(start: Path) -> Path:
    """The nearest `assetgen.yaml` in ``start`` or its parents, like git finds `.git`."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / schema.MANIFEST_NAME
        if candidate.is_file():
            return candidate
    raise UsageError(
        f"no {schema.MANIFEST_NAME} in {start} or any parent folder",
        hint="run `assetgen init` to create one, or pass --manifest FILE / -C DIR",
    )


def display_path(path: Path) -> str:
    """How messages name a file: relative to the working directory when inside it."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def load_yaml(path: Path) -> Any:
    """Parse keeping line numbers (libyaml when it reads the file exactly as ruamel would,
    else ruamel.yaml round-trip); errors become file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"{path}: no such manifest", hint="check --manifest / -C") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError([Problem(display_path(path), None, f"cannot read the manifest: {exc}",
                                     "it must be a readable UTF-8 YAML file")]) from exc
    fast = manifest_yaml.parse(text)
    if fast is not manifest_yaml.NOT_FAST:
        return fast
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    try:
        try:
            return YAML(typ="rt").load(text)
        except (NotImplementedError, AssertionError):
            # ruamel's round-trip comment handling fails on some valid files (a comment
            # after `key:` whose value follows on the next line, then a blank line). Its
            # safe loader reads them; problems are then reported at line 1.
            return YAML(typ="safe", pure=True).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = (exc.problem or exc.context or "invalid YAML").strip()
        raise ManifestError([Problem(display_path(path), line, f"invalid YAML: {what}",
                                     "fix the YAML syntax (indentation, quotes, colons)")]) from exc
    except ReaderError as exc:  # a character YAML does not allow: not a MarkedYAMLError
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        raise ManifestError([Problem(display_path(path), line,
                                     f"invalid YAML: unacceptable character #x{code:04x}: "
                                     f"{exc.reason}", "remove or escape the character")]) from exc
    except YAMLError as exc:
        raise ManifestError([Problem(display_path(path), None, f"invalid YAML: {exc}",
                                     "fix the YAML syntax")]) from exc
    except ValueError as exc:  # int() refusing a number of thousands of digits
        found = re.search(r"[0-9]{4000,}", text)
        line = text.count("\n", 0, found.start()) + 1 if found else None
        raise ManifestError([Problem(display_path(path), line, "a number in the manifest has "
                                     "thousands of digits", "write a sane number")]) from exc
    except RecursionError as exc:
        raise ManifestError([Problem(display_path(path), None, "the YAML is nested too deeply",
                                     "flatten the structure")]) from exc


def load_manifest(path: Path) -> Manifest:
    """Load and fully validate a manifest; raises ManifestError with every problem."""
    path = path.resolve()
    return _Loader(path, load_yaml(path)).load()


def line_of(node: Any, key: str | int | None = None, default: int = 1) -> int:
    """1-based line of ``node`` (or of its ``key``) in the YAML source."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    try:
        if key is None:
            return lc.line + 1
        if isinstance(key, int):
            return lc.item(key)[0] + 1
        return lc.key(key)[0] + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return (lc.line + 1) if getattr(lc, "line", None) is not None else default


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _type_ok(value: Any, type_name: str) -> bool:
    if isinstance(value, bool) and type_name in ("integer", "number"):
        return False
    return isinstance(value, _JSON_TYPES[type_name])


class _Loader:
    def __init__(self, path: Path, data: Any) -> None:
        self.path = path
        self.root = path.parent
        self.data = data
        self.problems: list[Problem] = []
        self.label = display_path(path)
        self.resolved_paths: dict[str, str] = {}  # folders already resolved, for escapes()

    def problem(self, line: int | None, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.label, line, message, hint))

    # -- generic checks ---------------------------------------------------

    def check_keys(self, node: Mapping[str, Any], fields: dict[str, schema.Field],
                   where: str) -> None:
        for key in node:
            if key in fields:
                continue
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f"did you mean `{close[0]}`?" if close else None
            accepted = ", ".join(fields) or "no keys"
            self.problem(line_of(node, key), f"unknown key `{key}` in {where}",
                         hint or f"accepted: {accepted}")
        for name, spec in fields.items():
            if spec.required and name not in node:
                self.problem(line_of(node), f"{where} is missing required key `{name}`",
                             spec.help)
            if name in node:
                self.check_value(node, name, spec, where)

    def check_value(self, node: Mapping[str, Any], name: str, spec: schema.Field,
                    where: str) -> None:
        """Type, choices, bounds and item types of one present key."""
        value = node[name]
        if isinstance(value, str) and value in spec.also:
            return
        if not _type_ok(value, spec.type):
            also = "".join(f" or `{v}`" for v in spec.also)
            self.problem(line_of(node, name),
                         f"`{name}` in {where} must be {_a(spec.type)}{also}, "
                         f"not {_describe(value)}", spec.help)
        elif spec.choices and value not in spec.choices:
            close = difflib.get_close_matches(str(value), spec.choices, n=1)
            tail = f" (did you mean `{close[0]}`?)" if close else ""
            self.problem(line_of(node, name),
                         f"`{name}: {value}` in {where} is not accepted{tail}",
                         "accepted: " + ", ".join(spec.choices))
        elif spec.minimum is not None and value < spec.minimum:
            self.problem(line_of(node, name),
                         f"`{name}` in {where} must be at least {spec.minimum:g}",
                         spec.help)
        elif spec.maximum is not None and value > spec.maximum:
            self.problem(line_of(node, name),
                         f"`{name}` in {where} must be at most {spec.maximum:g}",
                         spec.help)
        elif spec.items and isinstance(value, list):
            for index, item in enumerate(value):
                if not _type_ok(item, spec.items):
                    self.problem(line_of(value, index, line_of(node, name)),
                                 f"item {index + 1} of `{name}` in {where} must be "
                                 f"{_a(spec.items)}, not {_describe(item)}", spec.help)

    def mapping(self, node: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = node.get(key)
        return value if isinstance(value, dict) else {}

    # -- the manifest -----------------------------------------------------

    def refuse_alias_bombs(self, data: Mapping[str, Any]) -> None:
        """YAML aliases can make a small file expand to billions of values ("billion
        laughs") or to gigabytes (one long string repeated through aliases); anything that
        big is refused before it is walked, rendered or cached."""
        sizes = _ExpandedSize()
        for key, value in data.items():
            values, size = sizes.of(value)
            if values > MAX_EXPANDED_VALUES or size > MAX_EXPANDED_BYTES:
                what = (f"more than {MAX_EXPANDED_BYTES:,} bytes" if size >
                        MAX_EXPANDED_BYTES else f"more than {MAX_EXPANDED_VALUES:,} values")
                self.problem(line_of(data, key), f"`{key}` expands to {what} through YAML "
                             "aliases", "write the values out instead of repeating aliases")
                raise ManifestError(self.problems)

    def load(self) -> Manifest:
        data = self.data
        if not isinstance(data, dict):
            self.problem(1, f"the manifest must be a YAML mapping, not {_describe(data)}",
                         "start with `version: 1` and an `assets:` list")
            raise ManifestError(self.problems)
        self.refuse_alias_bombs(data)
        self.check_keys(data, schema.TOP_LEVEL, "the manifest")
        version = data.get("version")
        if "version" in data and version != 1 and _type_ok(version, "integer"):
            self.problem(line_of(data, "version"), f"unsupported manifest version {version}",
                         "accepted: 1")

        output_dir = self.resolve_output_dir(data)
        sources = self.resolve_sources(data)
        generator, roots = resolve_site(self, data, line_of)
        if "sources" not in data:
            sources = list(generators.profile(generator).default_sources)
        variables = dict(self.mapping(data, "vars"))
        defaults = self.mapping(data, "defaults")
        if "defaults" in data and isinstance(data.get("defaults"), dict):
            self.check_keys(defaults, schema.DEFAULTS, "defaults")
            OutputsResolver(self, defaults).check_nested(defaults, "defaults")
            self.check_size_field(defaults, "defaults",
                                  defaults.get("model", schema.DEFAULT_MODEL))
        routes = self.resolve_routes(data)
        static = self.resolve_static(data, output_dir)
        assets = self.resolve_assets(data, output_dir, defaults, variables, routes)
        masters_dir, assets_json, snippet_template = resolve_top_paths(self, data, output_dir)
        signing = resolve_signing(self, data)

        seen_paths: dict[str, int] = {}
        for item in [*static, *assets]:
            path_line = item.path_line or item.line
            if item.path in seen_paths:
                self.problem(path_line, f"path `{item.path}` is declared twice "
                             f"(first on line {seen_paths[item.path]})",
                             "each image file belongs to one entry")
            else:
                seen_paths[item.path] = path_line
        self.check_cycles(assets, data)
        check_collisions(self, assets, static)

        if self.problems:
            self.problems.sort(key=lambda p: (p.line or 0))
            raise ManifestError(self.problems)
        return Manifest(file=self.path, root=self.root, output_dir=output_dir,
                        sources=tuple(sources), routes=routes,
                        static=tuple(static), assets=tuple(assets), masters_dir=masters_dir,
                        assets_json=assets_json, snippet_template=snippet_template,
                        signing=signing, generator=generator, roots=tuple(roots))

    def resolve_output_dir(self, data: Mapping[str, Any]) -> Path:
        raw = data.get("output_dir", "public")
        if not isinstance(raw, str):
            return self.root / "public"
        why = escapes(raw, self.root, self.resolved_paths)
        if why:
            self.problem(line_of(data, "output_dir"), f"output_dir `{raw}` is refused: {why}",
                         "use a folder inside the manifest's folder, e.g. public")
            return self.root / "public"
        return (self.root / raw).resolve()

    def resolve_sources(self, data: Mapping[str, Any]) -> list[str]:
        sources = data.get("sources") or []
        if not isinstance(sources, list):
            return []
        good = []
        for index, pattern in enumerate(sources):
            if not isinstance(pattern, str):
                continue
            if pattern.startswith("/") or ".." in Path(pattern).parts:
                self.problem(line_of(sources, index), f"source glob `{pattern}` leaves the "
                             "manifest's folder", "use a relative glob like src/**/*.html")
                continue
            good.append(pattern)
        return good

    def resolve_routes(self, data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        routes_node = data.get("routes")
        if not isinstance(routes_node, dict):
            return {}
        resolved: dict[str, dict[str, Any]] = {}
        for name, settings in routes_node.items():
            if name not in schema.ROUTE_SETTINGS:
                close = difflib.get_close_matches(str(name), schema.ROUTES, n=1)
                self.problem(line_of(routes_node, name), f"unknown route `{name}` under routes",
                             f"did you mean `{close[0]}`?" if close
                             else "accepted: " + ", ".join(schema.ROUTES))
                continue
            if settings is None:
                settings = {}
            if not isinstance(settings, dict):
                self.problem(line_of(routes_node, name),
                             f"routes.{name} must be a mapping, not {_describe(settings)}")
                continue
            self.check_keys(settings, schema.ROUTE_SETTINGS[name], f"routes.{name}")
            for index, problem in result_host_problems(settings.get("result_hosts")):
                self.problem(line_of(settings["result_hosts"], index,
                                     line_of(settings, "result_hosts")),
                             f"routes.{name}.result_hosts: {problem}",
                             "list host names or host:port, e.g. [cdn.example.com]")
            resolved[name] = dict(settings)
        responses_model = resolved.get("responses", {}).get("model")
        if isinstance(responses_model, str) and image_models.is_image_model(responses_model):
            self.problem(line_of(routes_node["responses"], "model"),
                         f"routes.responses.model `{responses_model}` is an image model",
                         "the Responses API needs a text-capable top-level model (e.g. "
                         "gpt-5.5); the image model goes in the asset's `model`, which "
                         "assetgen passes to the image_generation tool")
        return resolved

    def resolve_static(self, data: Mapping[str, Any], output_dir: Path) -> list[StaticImage]:
        entries = data.get("static") or []
        if not isinstance(entries, list):
            return []
        result = []
        for index, entry in enumerate(entries):
            line = line_of(entries, index)
            if not isinstance(entry, dict):
                self.problem(line, f"static entry {index + 1} must be a mapping with `path`, "
                             f"not {_describe(entry)}", "e.g. - path: img/logo.svg")
                continue
            self.check_keys(entry, schema.STATIC, f"static entry {index + 1}")
            raw = entry.get("path")
            if not isinstance(raw, str):
                continue
            base = self.static_root(entry, output_dir)
            rel = None if base is None else self.check_output_path(raw, base,
                                                                   line_of(entry, "path"))
            if rel is None or base is None:
                continue
            if base != output_dir:  # one spelling per file for the duplicate checks
                rel = Path(os.path.relpath(base / rel, output_dir)).as_posix()
            result.append(StaticImage(path=rel, file=Path(os.path.normpath(output_dir / rel)),
                                      line=line,
                                      author=_opt_str(entry.get("author")),
                                      license=_opt_str(entry.get("license")),
                                      path_line=line_of(entry, "path")))
        return result

    def static_root(self, entry: Mapping[str, Any], output_dir: Path) -> Path | None:
        """The folder a static entry's `path` is in: `root:` (inside the manifest's folder:
        SPEC 7's other roots, e.g. Hugo assets/ or a page bundle), else output_dir."""
        raw = entry.get("root")
        if raw is None:
            return output_dir
        why = escapes(raw, self.root, self.resolved_paths) if isinstance(raw, str) \
            else "it is not a folder path"
        if why:
            self.problem(line_of(entry, "root"), f"static root `{raw}` is refused: {why}",
                         "use a folder inside the manifest's folder, e.g. assets")
            return None
        return (self.root / raw).resolve()

    def check_output_path(self, raw: str, output_dir: Path, line: int) -> str | None:
        why = escapes(raw, output_dir, self.resolved_paths)
        if why:
            self.problem(line, f"path `{raw}` escapes output_dir: {why}",
                         "paths are relative to output_dir, e.g. img/hero.webp")
            return None
        return Path(raw).as_posix()

    def check_size_field(self, node: Mapping[str, Any], where: str, model: Any = None) -> None:
        raw = node.get("size")
        if not isinstance(raw, str):
            return
        row = image_models.lookup(model) if isinstance(model, str) else None
        if row is not None and not row.flexible_sizes:
            size = raw.strip().lower()
            problem = row.size_problem(size)
            if problem:
                self.problem(line_of(node, "size"), f"size `{raw}` in {where} is not a size "
                             f"{model} makes", "accepted: " + sizes_text(row))
            return
        try:
            parsed = sizes.parse_size(raw)
        except ValueError as exc:
            self.problem(line_of(node, "size"), f"size `{raw}` in {where}: {exc}",
                         "accepted: WxH with multiples of 16 (e.g. 1536x1024) or auto")
            return
        if parsed is None:
            return
        broken = sizes.size_problems(*parsed)
        if broken:
            nearest = ", ".join(sizes.format_size(w, h)
                                for w, h in sizes.nearest_valid_sizes(*parsed))
            self.problem(line_of(node, "size"),
                         f"size `{raw}` in {where} is not a valid gpt-image-2 size: "
                         + "; ".join(broken), f"nearest valid sizes: {nearest}")

    def resolve_assets(self, data: Mapping[str, Any], output_dir: Path,
                       defaults: Mapping[str, Any], variables: dict[str, Any],
                       routes: dict[str, dict[str, Any]]) -> list[Asset]:
        from assetgen.manifest.assets import AssetResolver

        entries = data.get("assets")
        if entries is None:
            return []
        if not isinstance(entries, list):
            self.problem(line_of(data, "assets"),
                         f"`assets` must be a list, not {_describe(entries)}",
                         "each item is a mapping with id, path and prompt")
            return []
        resolver = AssetResolver(self, output_dir, defaults, variables, routes)
        return resolver.resolve_all(entries)

    def check_cycles(self, assets: list[Asset], data: Mapping[str, Any]) -> None:
        graph = {a.id: a.dependencies for a in assets}
        lines = {a.id: a.line for a in assets}
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        reported: set[frozenset[str]] = set()

        def visit(node: str, trail: list[str]) -> None:
            state[node] = 1
            for dep in graph.get(node, ()):
                if dep not in graph:
                    continue
                if state.get(dep) == 1:
                    cycle = [*trail[trail.index(dep):], dep] if dep in trail else [node, dep]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        self.problem(lines[dep], "edit dependency cycle: "
                                     + " → ".join(cycle),
                                     "an edit's inputs must not depend back on it")
                elif state.get(dep) is None:
                    visit(dep, [*trail, dep])
            state[node] = 2

        for asset_id in graph:
            if state.get(asset_id) is None:
                visit(asset_id, [asset_id])


MAX_EXPANDED_VALUES = 100_000
MAX_EXPANDED_BYTES = 32 * 1024 * 1024


class _ExpandedSize:
    """How many values, and how many bytes of text, a node stands for once aliases are
    expanded. Memoised by identity (containers and long strings), so it costs time in
    proportion to the distinct nodes, not to the expansion."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[int, int]] = {}

    def of(self, node: Any) -> tuple[int, int]:
        if isinstance(node, str):
            if len(node) < 64:
                return 1, len(node)
            known = self.memo.get(id(node))
            if known is None:
                known = self.memo[id(node)] = (1, len(node.encode("utf-8", "surrogatepass")))
            return known
        if not isinstance(node, dict | list):
            return 1, 8
        known = self.memo.get(id(node))
        if known is not None:
            return known
        too_big = (MAX_EXPANDED_VALUES + 1, MAX_EXPANDED_BYTES + 1)
        self.memo[id(node)] = too_big  # a cycle (recursive alias) counts as too big
        children = node.values() if isinstance(node, dict) else node
        values = 1
        size = 2 + (sum(len(str(key)) for key in node) if isinstance(node, dict) else 0)
        for child in children:
            child_values, child_size = self.of(child)
            values += child_values
            size += child_size
            if values > MAX_EXPANDED_VALUES or size > MAX_EXPANDED_BYTES:
                values, size = too_big
                break
        self.memo[id(node)] = (values, size)
        return values, size


def _a(type_name: str) -> str:
    return {"integer": "an integer", "array": "a list", "object": "a mapping",
            "string": "a string", "number": "a number", "boolean": "true or false"}[type_name]


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"`{value}`"


def _opt_str(value: Any) -> str | None:
    return str(value) if value is not None else None
