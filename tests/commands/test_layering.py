"""commands/ holds use cases: they return results and never touch the terminal."""

from __future__ import annotations

import pytest

from tests.imports import Import, imports_of, modules

COMMAND_MODULES = modules("assetgen.commands")


def _imports(path: object) -> list[Import]:
    return imports_of(path)  # type: ignore[arg-type]


def test_every_command_module_is_scanned() -> None:
    names = {path.stem for path in COMMAND_MODULES}
    assert {"build", "plan", "verify", "adopt", "doctor", "report", "init", "schema",
            "snippet"} <= names


@pytest.mark.parametrize("path", COMMAND_MODULES, ids=lambda p: p.stem)
def test_commands_import_neither_click_nor_the_cli(path: object) -> None:
    upward = [str(i) for i in _imports(path)
              if i.module.split(".")[0] == "click" or i.module.startswith("assetgen.cli")
              or (i.module == "assetgen" and "cli" in i.names)]
    assert upward == []


@pytest.mark.parametrize("path", COMMAND_MODULES, ids=lambda p: p.stem)
def test_commands_import_assetgen_at_the_top_and_no_private_names(path: object) -> None:
    own = [i for i in _imports(path) if i.module.split(".")[0] == "assetgen"]
    assert [str(i) for i in own if i.in_function] == []
    assert [str(i) for i in own if any(n.startswith("_") and not n.startswith("__")
                                       for n in i.names)] == []


def test_commands_print_nothing() -> None:
    """No print(), sys.stdout or sys.stderr: output is the CLI's job."""
    offenders = []
    for path in COMMAND_MODULES:
        text = path.read_text(encoding="utf-8")
        for word in ("print(", "sys.stdout", "sys.stderr", "click.echo"):
            if word in text:
                offenders.append(f"{path.name}: {word}")
    assert offenders == []
