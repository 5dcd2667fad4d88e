"""The package's shape (issue 13; README "Architecture"), checked on the source itself.

import-linter (run by .ci/run) checks that layers import downward only; these tests check
what it does not: no import cycle at all (function-level imports counted), no private name
imported across modules, and function-level imports of assetgen modules only where the
reason is written down below.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.imports import imports_of, module_name, modules, targets

PACKAGE = "assetgen"

# Modules that import assetgen modules inside functions, and why. Everything else imports
# at the top. (cli/ may always: it keeps `assetgen --help` and `verify` start-up small.)
# Slow third-party libraries are what is deferred instead: Pillow inside images/codec.py and
# images/placeholder.py, c2pa inside build/credentials.py and build/signing.py, httpx in the
# HTTP routes; import-linter keeps Pillow and httpx out of the manifest and the planner.
DEFERRED_IMPORTS = {
    # The route loader imports one route's module when that route is used.
    "assetgen.routes.base",
    "assetgen.routes.registry",
}


def _all_imports() -> list:
    return [item for path in modules(PACKAGE) for item in imports_of(path)]


def _known() -> set[str]:
    return {module_name(path) for path in modules(PACKAGE)}


def test_there_is_no_import_cycle_counting_function_level_imports() -> None:
    known = _known()
    graph: dict[str, set[str]] = defaultdict(set)
    for item in _all_imports():
        for target in targets(item, known):
            # A package's own __init__ re-exporting its modules is not a dependency back.
            if target != item.importer and not item.importer.startswith(target + "."):
                graph[item.importer].add(target)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        trail.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        trail.pop()
        state[node] = 2

    for node in sorted(known):
        if node not in state:
            visit(node)
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_no_private_name_is_imported_across_modules() -> None:
    private = [str(item) for item in _all_imports()
               if item.module.startswith(PACKAGE) and item.module != item.importer
               and any(name.startswith("_") and not name.startswith("__")
                       for name in item.names)]
    assert not private, "\n".join(private)


def _type_checking_lines(path: Path) -> set[int]:
    """Lines of imports under a top-level ``if TYPE_CHECKING:`` (types only, never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.lineno for block in tree.body if isinstance(block, ast.If)
            and "TYPE_CHECKING" in ast.unparse(block.test)
            for node in ast.walk(block) if isinstance(node, ast.Import | ast.ImportFrom)}


def test_function_level_imports_of_assetgen_only_where_the_reason_is_written_down() -> None:
    deferred = sorted({item.importer for path in modules(PACKAGE)
                       for item in imports_of(path)
                       if item.in_function and item.module.startswith(PACKAGE)
                       and item.line not in _type_checking_lines(path)
                       and not item.importer.startswith("assetgen.cli")})
    unexplained = [name for name in deferred if name not in DEFERRED_IMPORTS]
    assert not unexplained, unexplained


def test_few_modules_stay_at_the_top_of_the_package() -> None:
    top = [path.name for path in modules(PACKAGE) if path.parent.name == PACKAGE]
    assert len(top) <= 15, top


def test_no_module_passes_about_500_lines() -> None:
    long = {module_name(path): n for path in modules(PACKAGE)
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 520}
    assert not long, long
