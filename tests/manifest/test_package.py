"""The manifest package's shape: its public names, and the import rules that keep it a
layer (no cycles, nothing imported from above, no private names across modules)."""

from __future__ import annotations

import ast
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import assetgen.manifest
from assetgen import manifest

PACKAGE = Path(manifest.__file__).parent
# Layers above the manifest (SPEC-independent: issue 13's direction, `errors` anywhere).
ABOVE = ("build", "cli", "commands", "doctor", "provenance", "routes", "verify")
FORBIDDEN_LIBRARIES = ("httpx", "PIL")


def _modules() -> dict[str, ast.Module]:
    return {info.name: ast.parse((PACKAGE / f"{info.name}.py").read_text(encoding="utf-8"))
            for info in pkgutil.iter_modules([str(PACKAGE)])}


def _imports(tree: ast.Module) -> list[tuple[ast.ImportFrom | ast.Import, bool]]:
    """Every import statement, and whether it sits inside a function."""
    found: list[tuple[ast.ImportFrom | ast.Import, bool]] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, in_function))
            walk(child, in_function or isinstance(child, ast.FunctionDef
                                                   | ast.AsyncFunctionDef))

    walk(tree, False)
    return found


def _targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    """Dotted names imported: `from a.b import c` gives a.b.c and a.b."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


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
    for module, tree in _modules().items():
        for node, in_function in _imports(tree):
            if in_function:
                assert not any(t.startswith("assetgen") for t in _targets(node)), \
                    f"manifest/{module}.py:{node.lineno} imports assetgen inside a function"


def test_no_private_names_imported_and_nothing_from_above() -> None:
    for module, tree in _modules().items():
        for node, _ in _imports(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("assetgen"):
                private = [a.name for a in node.names
                           if a.name.startswith("_") and not a.name.endswith("__")]
                assert not private, f"manifest/{module}.py:{node.lineno} imports {private}"
            for target in _targets(node):
                layer = target.split(".")[1] if target.startswith("assetgen.") else ""
                assert layer not in ABOVE, f"manifest/{module}.py imports {target}"
                assert target.split(".")[0] not in FORBIDDEN_LIBRARIES, \
                    f"manifest/{module}.py imports {target}"


def test_the_package_has_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    names = set(_modules())
    for module, tree in _modules().items():
        graph[module] = set()
        for node, _ in _imports(tree):
            for target in _targets(node):
                parts = target.split(".")
                if parts[:2] == ["assetgen", "manifest"] and len(parts) > 2 \
                        and parts[2] in names and parts[2] != module:
                    graph[module].add(parts[2])
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
    code = ("import sys; from pathlib import Path; from assetgen.manifest import load_manifest; "
            f"m = load_manifest(Path({str(tmp_path / 'assetgen.yaml')!r})); "
            "assert m.assets[0].prompt == 'a flat hero', m.assets[0].prompt; "
            "print(sorted(n for n in ('jinja2', 'PIL', 'httpx', 'ruamel.yaml') "
            "if n in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_module_is_at_most_500_lines() -> None:
    for path in PACKAGE.glob("*.py"):
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= 500, f"manifest/{path.name} has {lines} lines"
