"""Issue 11, terminal output: untrusted text cannot drive the terminal, and every command
line assetgen suggests is shell-quoted (SPEC section 10)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from assetgen.cli.console import Console, terminal_safe
from assetgen.core.remedies import shell_command
from tests.fakes.echo_server import EchoServer
from tests.fakes.sites import png_bytes, run_cli, write_site

HOSTILE = "\x1b]0;pwned title\x07\x1b[2J\x1b[8mhidden\x1b[0m\x9b31m\r\u202eevil\x00"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\r", "\u202e", "\x00")

MANIFEST = """\
version: 1
output_dir: public
defaults:
  route: images
  model: gpt-image-2
  quality: low
  size: 1024x1024
assets:
  - id: hero
    path: img/hero.png
    prompt: "a rocket"
"""


def raw_controls(text: str) -> list[str]:
    return [c for c in RAW_CONTROLS if c in text]


# -- one place: the console -----------------------------------------------------------------


def test_terminal_safe_removes_sequences_and_controls_but_keeps_lines() -> None:
    shown = terminal_safe(f"a {HOSTILE} b\n\tc")
    assert raw_controls(shown) == []
    assert "pwned title" not in shown  # the OSC's text goes with it
    assert shown.startswith("a ") and shown.endswith(" b\n\tc")


def test_terminal_safe_keeps_only_our_own_colours_when_colour_is_on() -> None:
    # 31;1 and 0 are what Console.style makes; 8 (conceal) and 2J (clear) are not.
    text = "\x1b[31;1merror:\x1b[0m x \x1b[8mconcealed\x1b[0m \x1b[2J"
    assert terminal_safe(text, keep_style=True) == \
        "\x1b[31;1merror:\x1b[0m x concealed\x1b[0m "
    assert terminal_safe(text) == "error: x concealed "


def test_every_console_line_is_made_safe(tmp_path: Path) -> None:
    import io

    out, err = io.StringIO(), io.StringIO()
    console = Console(out=out, err=err)
    console.print(f"file {HOSTILE}")
    console.log(f"log {HOSTILE}")
    console.error(f"error {HOSTILE}")
    assert raw_controls(out.getvalue() + err.getvalue()) == []


# -- the real CLI ------------------------------------------------------------------------------


def test_a_server_error_with_escape_sequences_shows_none_in_build_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-output-0123456789")
    root = write_site(tmp_path / "site", MANIFEST)
    with EchoServer(status=400, code="invalid_value", message_suffix=HOSTILE) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        human = run_cli("-C", root, "build")
        machine = run_cli("-C", root, "build", "--json")
    assert human.code == 1 and "hero" in human.output and "evil" in human.output
    assert raw_controls(human.output) == [], repr(human.output)
    # --json: stdout is JSON whose encoding escapes every control character; stderr is safe.
    assert machine.code == 1
    assert raw_controls(machine.output) == [], repr(machine.output)
    error = json.loads(machine.out)["assets"][0]["error"]
    assert "evil" in error


def _built_site(tmp_path: Path) -> Path:
    root = write_site(tmp_path / "site", MANIFEST)
    assert run_cli("-C", root, "build", "--draft").code == 0
    return root


def test_a_file_named_with_escape_sequences_shows_none_in_verify_output(
        tmp_path: Path) -> None:
    root = _built_site(tmp_path)
    name = "evil\x1b]0;pwned\x07\x1b[2J.png.provenance.json"
    (root / "public/img" / name).write_text("{}")
    result = run_cli("-C", root, "verify")
    assert result.code == 1 and "orphan-sidecar" in result.out
    assert raw_controls(result.output) == [], repr(result.output)
    assert json.loads(run_cli("-C", root, "verify", "--json").out)  # still valid JSON


def _remedy_commands(text: str) -> list[list[str]]:
    """Every `assetgen …` command quoted in backticks in ``text``, split as a shell would."""
    parts = text.split("`")
    return [shlex.split(p) for p in parts[1::2] if p.startswith("assetgen ")]


def test_a_hostile_sidecar_asset_name_is_shell_quoted_in_the_remedy(tmp_path: Path) -> None:
    root = _built_site(tmp_path)
    hostile = "team --force; touch x; echo"
    image = root / "public/img/team photo;rm.png"
    image.write_bytes(png_bytes(8, 8))
    (image.parent / (image.name + ".provenance.json")).write_text(json.dumps(
        {"schema": "assetgen.provenance/1", "asset": hostile}))
    result = run_cli("-C", root, "verify")
    assert result.code == 1 and "untracked" in result.out
    assert "--id 'team --force; touch x; echo'" in result.out
    adopt = [argv for argv in _remedy_commands(result.out) if argv[1] == "adopt"]
    assert adopt and adopt[0][:5] == ["assetgen", "adopt", "public/img/team photo;rm.png",
                                      "--id", hostile]
    assert adopt[0][5:] == ["--prompt", "…"]
    remedy = json.loads(run_cli("-C", root, "verify", "--json").out)
    assert any("'team --force; touch x; echo'" in f["remedy"]
               for f in remedy["findings"]), remedy


def test_shell_command_quotes_each_word() -> None:
    line = shell_command("adopt", "a b.png", "--id", "x; rm -rf ~", "--force")
    assert line == "assetgen adopt 'a b.png' --id 'x; rm -rf ~' --force"
    assert shlex.split(line)[4] == "x; rm -rf ~"
