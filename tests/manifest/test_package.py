"""The manifest package's shape: its public names, and the import rules that keep it a
layer (no cycles, nothing imported from above, no private names across modules)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import assetgen.manifest
from assetgen import manifest
from tests.imports import Import, imports_of, module_name, modules, targets

PACKAGE = Path(manifest.__file__).parent
# Layers above the manifest (issue 13's direction; `errors` anywhere).
ABOVE = ("build", "cli", "commands", "doctor", "provenance", "routes", "verify")
FORBIDDEN_LIBRARIES = ("httpx", "PIL")


def _imports() -> list[Import]:
    return [item for path in modules("assetgen.manifest") for item in imports_of(path)]


def test_all_matches_what_is_importable_and_every_name_is_documented() -> None:
    assert manifest.__all__ == sorted(manifest.__all__)
    public = {name for name, value in vars(manifest).items()
              if not name.startswith("_") and not inspect.ismodule(value)
              and name != "annotations"}
    assert public == set(manifest.__all__)
    for name in manifest.__all__:
        value = getattr(assetgen.manifest, name)
        doc = inspect.getdoc(value) or ""
        # A dataclass without a docstring gets its signature as __doc__: not documentation.
        assert doc and not doc.startswith(f"{name}("), f"{name} has no docstring"


def test_no_function_level_imports_of_assetgen_modules() -> None:
    late = [str(item) for item in _imports()
            if item.in_function and item.module.startswith("assetgen")]
    assert late == []


def test_no_private_names_imported_and_nothing_from_above() -> None:
    for item in _imports():
        if item.module.startswith("assetgen"):
            private = [n for n in item.names if n.startswith("_") and not n.endswith("__")]
            assert not private, f"{item}: private names"
            layer = item.module.split(".")[1] if "." in item.module else ""
            assert layer not in ABOVE, f"{item}: a layer above the manifest"
        assert item.module.split(".")[0] not in FORBIDDEN_LIBRARIES, str(item)


def test_the_package_has_no_import_cycles() -> None:
    known = {module_name(path) for path in modules("assetgen.manifest")}
    graph: dict[str, set[str]] = {name: set() for name in known}
    for item in _imports():
        # A package's __init__ re-exporting its own modules is not a cycle of theirs.
        if item.importer not in ("assetgen.manifest", "assetgen.manifest.generators"):
            graph[item.importer] |= targets(item, known) - {item.importer}
    for name in graph:
        graph[name] -= {"assetgen.manifest"}  # importing a submodule runs __init__ first
    done: set[str] = set()

    def visit(module: str, trail: tuple[str, ...]) -> None:
        assert module not in trail, "import cycle: " + " -> ".join((*trail, module))
        if module in done:
            return
        for other in sorted(graph[module]):
            visit(other, (*trail, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())


def test_the_asset_id_rule_is_written_once() -> None:
    pattern = manifest.schema.ASSET_ID_PATTERN
    source = pattern[1:-1]
    holders = [path.name for path in PACKAGE.parent.rglob("*.py")
               if source in path.read_text(encoding="utf-8")]
    assert holders == ["schema.py"]
    assert manifest.schema.is_asset_id("hero-2.webp")
    assert not manifest.schema.is_asset_id("Hero")


def test_loading_a_manifest_of_plain_prompts_imports_no_heavy_library(tmp_path: Path) -> None:
    """Jinja2 is imported when a prompt needs it, not by importing the package (the
    start-up budget of `verify`, bench/startup.py); Pillow and httpx never."""
    (tmp_path / "assetgen.yaml").write_text(
        "version: 1\nvars: {style: flat}\nassets:\n"
        "  - id: hero\n    path: img/hero.png\n    prompt: a {{ style }} hero\n",
        encoding="utf-8")
    code = ("import sys; from pathlib import Path; "
            "from assetgen.manifest.load import load_manifest; "
            f"m = load_manifest(Path({str(tmp_path / 'assetgen.yaml')!r})); "
            "assert m.assets[0].prompt == 'a flat hero', m.assets[0].prompt; "
            "print(sorted(n for n in ('jinja2', 'PIL', 'httpx', 'ruamel.yaml') "
            "if n in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_module_is_at_most_500_lines() -> None:
    for path in modules("assetgen.manifest"):
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= 500, f"{module_name(path)} has {lines} lines"
