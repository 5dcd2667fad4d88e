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
from pathlib import Path
from typing import Any

from assetgen.core.fsutil import escapes
from assetgen.core.hosts import result_host_problems
from assetgen.core.paths import display_inside_cwd
from assetgen.errors import ManifestError, Problem, UsageError
from assetgen.images import models as image_models
from assetgen.manifest import cache, generators, reader, schema
from assetgen.manifest.assets import AssetResolver
from assetgen.manifest.c2pa_settings import resolve as resolve_signing
from assetgen.manifest.checks import LoadContext
from assetgen.manifest.model import Asset, Manifest, StaticImage
from assetgen.manifest.nodes import (
    MAX_EXPANDED_BYTES,
    MAX_EXPANDED_VALUES,
    ExpandedSize,
    describe,
    line_of,
    optional_str,
    type_ok,
)
from assetgen.manifest.outputs import OutputsResolver, check_collisions, resolve_top_paths
from assetgen.manifest.site import folder_lines, resolve_site


def load_manifest_cached(path: Path, cache_file: Path | None) -> Manifest:
    """`load_manifest`, answered from ``cache_file`` (`manifest.cache`) when nothing it
    depends on changed; ``None``: no cache."""
    path = path.resolve()
    if cache_file is None:
        return load_manifest(path)
    cached, key = cache.lookup(path, cache_file)
    return cached if cached is not None else load_and_cache(path, cache_file, key)


def load_and_cache(path: Path, cache_file: Path | None, key: dict[str, Any] | None
                   ) -> Manifest:
    """`load_manifest` of a manifest `cache.lookup` did not answer, kept under the ``key``
    it gave (None, or no ``cache_file``: not kept). For a caller that looked the cache up
    itself and should not read the manifest and the cache file twice."""
    manifest = load_manifest(path)
    if cache_file is not None and key is not None:
        cache.store(manifest, key, cache_file)
    return manifest


def load_yaml(path: Path) -> Any:
    """Parse keeping line numbers (libyaml when it reads the file exactly as ruamel would,
    else ruamel.yaml round-trip); errors become file:line."""
    label = display_inside_cwd(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"{path}: no such manifest", hint="check --manifest / -C") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError([Problem(label, None, f"cannot read the manifest: {exc}",
                                     "it must be a readable UTF-8 YAML file")]) from exc
    fast = reader.parse(text)
    if fast is not reader.NOT_FAST:
        return fast
    # ruamel.yaml takes ~70 ms to import; most manifests never need it (reader's fast path).
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
        raise ManifestError([Problem(label, line, f"invalid YAML: {what}",
                                     "fix the YAML syntax (indentation, quotes, colons)")]) from exc
    except ReaderError as exc:  # a character YAML does not allow: not a MarkedYAMLError
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        raise ManifestError([Problem(label, line,
                                     f"invalid YAML: unacceptable character #x{code:04x}: "
                                     f"{exc.reason}", "remove or escape the character")]) from exc
    except YAMLError as exc:
        raise ManifestError([Problem(label, None, f"invalid YAML: {exc}",
                                     "fix the YAML syntax")]) from exc
    except ValueError as exc:  # int() refusing a number of thousands of digits
        found = re.search(r"[0-9]{4000,}", text)
        line = text.count("\n", 0, found.start()) + 1 if found else None
        raise ManifestError([Problem(label, line, "a number in the manifest has "
                                     "thousands of digits", "write a sane number")]) from exc
    except RecursionError as exc:
        raise ManifestError([Problem(label, None, "the YAML is nested too deeply",
                                     "flatten the structure")]) from exc


def load_manifest(path: Path) -> Manifest:
    """Load and fully validate a manifest; raises ManifestError with every problem."""
    path = path.resolve()
    return ManifestLoader(path, load_yaml(path)).load()


class ManifestLoader(LoadContext):
    """Checks and resolves one parsed manifest, top-level keys here, assets and their
    outputs in `assets` and `outputs`."""

    def __init__(self, path: Path, data: Any) -> None:
        super().__init__(path)
        self.data = data

    def mapping(self, node: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = node.get(key)
        return value if isinstance(value, dict) else {}

    # -- the manifest -----------------------------------------------------

    def refuse_alias_bombs(self, data: Mapping[str, Any]) -> None:
        """YAML aliases can make a small file expand to billions of values ("billion
        laughs") or to gigabytes (one long string repeated through aliases); anything that
        big is refused before it is walked, rendered or cached."""
        sizes = ExpandedSize()
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
            self.problem(1, f"the manifest must be a YAML mapping, not {describe(data)}",
                         "start with `version: 1` and an `assets:` list")
            raise ManifestError(self.problems)
        self.refuse_alias_bombs(data)
        self.check_keys(data, schema.TOP_LEVEL, "the manifest")
        version = data.get("version")
        if "version" in data and version != 1 and type_ok(version, "integer"):
            self.problem(line_of(data, "version"), f"unsupported manifest version {version}",
                         "accepted: 1")

        output_dir = self.resolve_output_dir(data)
        sources = self.resolve_sources(data)
        generator, roots = resolve_site(self, data)
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

        seen_paths: dict[str, int] = {}  # by file: `path` is relative to each entry's root
        entries: list[StaticImage | Asset] = [*static, *assets]
        for item in entries:
            path_line = item.path_line or item.line
            key = os.path.normpath(item.file)
            if key in seen_paths:
                self.problem(path_line, f"path `{item.path}` is declared twice "
                             f"(first on line {seen_paths[key]})",
                             "each image file belongs to one entry")
            else:
                seen_paths[key] = path_line
        self.check_cycles(assets, data)
        check_collisions(self, assets, static)

        if self.problems:
            self.problems.sort(key=lambda p: (p.line or 0))
            raise ManifestError(self.problems)
        return Manifest(file=self.path, root=self.root, output_dir=output_dir,
                        sources=tuple(sources), routes=routes,
                        static=tuple(static), assets=tuple(assets), masters_dir=masters_dir,
                        assets_json=assets_json, snippet_template=snippet_template,
                        signing=signing, generator=generator, roots=tuple(roots),
                        site_folders=folder_lines(data))

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
                             f"routes.{name} must be a mapping, not {describe(settings)}")
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
                             f"not {describe(entry)}", "e.g. - path: img/logo.svg")
                continue
            self.check_keys(entry, schema.STATIC, f"static entry {index + 1}")
            raw = entry.get("path")
            if not isinstance(raw, str):
                continue
            base = self.entry_root(entry, output_dir)
            rel = None if base is None else self.check_output_path(raw, base,
                                                                   line_of(entry, "path"))
            if rel is None or base is None:
                continue
            if base != output_dir:  # one spelling per file for the duplicate checks
                rel = Path(os.path.relpath(base / rel, output_dir)).as_posix()
            result.append(StaticImage(path=rel, file=Path(os.path.normpath(output_dir / rel)),
                                      line=line,
                                      author=optional_str(entry.get("author")),
                                      license=optional_str(entry.get("license")),
                                      path_line=line_of(entry, "path")))
        return result

    def resolve_assets(self, data: Mapping[str, Any], output_dir: Path,
                       defaults: Mapping[str, Any], variables: dict[str, Any],
                       routes: dict[str, dict[str, Any]]) -> list[Asset]:
        entries = data.get("assets")
        if entries is None:
            return []
        if not isinstance(entries, list):
            self.problem(line_of(data, "assets"),
                         f"`assets` must be a list, not {describe(entries)}",
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
