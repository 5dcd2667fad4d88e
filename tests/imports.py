"""What each assetgen module imports, read from its source (no import is executed)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


@dataclass(frozen=True)
class Import:
    importer: str  # the importing module, e.g. assetgen.cli.app
    module: str  # what it imports from, e.g. assetgen.cli.console
    names: tuple[str, ...]  # the names taken from it (empty for `import x`)
    line: int
    in_function: bool  # inside a def: done when called, not at import time

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.module} {list(self.names)}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: str) -> list[Path]:
    return sorted((SRC / package.replace(".", "/")).rglob("*.py"))


def imports_of(path: Path) -> list[Import]:
    """Every import statement of ``path``, absolute or relative, at any depth."""
    importer = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(importer, alias.name, (), node.lineno,
                                    id(node) not in top_level))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = importer.split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                package = package[:len(package) - node.level + 1]
                base = ".".join([*package, base]) if base else ".".join(package)
            found.append(Import(importer, base, tuple(a.name for a in node.names),
                                node.lineno, id(node) not in top_level))
    return found


def targets(item: Import, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``item`` makes its importer depend on (`from pkg
    import mod` depends on pkg and on pkg.mod)."""
    result = {item.module} & known
    result |= {f"{item.module}.{name}" for name in item.names} & known
    return result
