"""cli/ is the top layer: no cycles inside it, no private names across its modules, and
nothing below it imports it."""

from __future__ import annotations

from tests.imports import SRC, imports_of, module_name, modules, targets


def _graph(*packages: str) -> dict[str, set[str]]:
    paths = [path for package in packages for path in modules(package)]
    known = {module_name(path) for path in paths}
    return {module_name(path): set().union(*[targets(i, known) for i in imports_of(path)])
            - {module_name(path)} for path in paths}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (function-level imports count), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt] if nxt in path else [node, nxt]
            if nxt not in state:
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_cli_and_commands() -> None:
    graph = _graph("assetgen.cli", "assetgen.commands")
    assert "assetgen.cli.render.build" in graph["assetgen.cli.commands"]  # lazy ones count
    assert _cycle(graph) is None


def test_no_private_names_imported_across_cli_and_commands() -> None:
    private = [str(i) for package in ("assetgen.cli", "assetgen.commands")
               for path in modules(package) for i in imports_of(path)
               if i.module.startswith("assetgen")
               and any(n.startswith("_") and not n.startswith("__") for n in i.names)]
    assert private == []


def test_nothing_below_the_cli_imports_it() -> None:
    upward = [str(i) for path in sorted((SRC / "assetgen").rglob("*.py"))
              if not module_name(path).startswith(("assetgen.cli", "assetgen.__main__"))
              for i in imports_of(path)
              if i.module.startswith("assetgen.cli") or (i.module.startswith("assetgen.commands")
              and not module_name(path).startswith("assetgen.commands"))]
    assert upward == []


def test_the_entry_point_is_cli_app_main() -> None:
    pyproject = (SRC.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert 'assetgen = "assetgen.cli.app:main"' in pyproject
    from assetgen.cli.app import main

    assert callable(main)
