"""routes/ sits below build/: a route imports nothing from build/, and routes are loaded
only by the route loader (`importlib`), never by function-level imports elsewhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.imports import imports_of, modules

ROUTE_MODULES = modules("assetgen.routes")
PLANNER = next(p for p in modules("assetgen.build") if p.stem == "planner")


def _function_level_assetgen_imports(path: Path) -> list[str]:
    """`assetgen` imports inside a def (TYPE_CHECKING blocks are not calls, so not these)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if (isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith(
                        "assetgen")) or (isinstance(inner, ast.Import) and any(
                        a.name.startswith("assetgen") for a in inner.names)):
                    found.append(f"{path.name}:{inner.lineno} in {node.name}()")
    return found


def test_every_route_module_is_scanned() -> None:
    assert {"registry", "images", "responses", "gateway", "codex", "draft", "http"} <= {
        p.stem for p in ROUTE_MODULES}


@pytest.mark.parametrize("path", ROUTE_MODULES, ids=lambda p: p.stem)
def test_routes_import_nothing_from_build(path: Path) -> None:
    upward = [str(i) for i in imports_of(path)
              if i.module.startswith(("assetgen.build", "assetgen.commands", "assetgen.cli"))
              or (i.module == "assetgen" and {"build", "commands", "cli"} & set(i.names))]
    assert upward == []


@pytest.mark.parametrize("path", [*ROUTE_MODULES, PLANNER], ids=lambda p: p.stem)
def test_no_function_level_assetgen_imports(path: Path) -> None:
    assert _function_level_assetgen_imports(path) == []
