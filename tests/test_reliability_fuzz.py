"""Reliability: hostile input — fuzzed manifests, path escapes, hostile responses, XSS.

Contract (SPEC 2.1, 3; README "The manifest", "Bad images", gateway, report):
- bad input never shows a traceback and never exits 4; a manifest error exits 2 and every
  problem line reads `error: <file>assetgen.yaml:<line>: what — accepted`;
- asset/static/edit paths escaping output_dir (or the manifest's folder) by `..`, an
  absolute path or a symlink are refused;
- a result larger than `max_download_bytes` or that is not an image fails that asset and
  writes nothing;
- the report autoescapes prompts (untrusted text).
Hypothesis runs derandomized (same examples every run) and without its example database.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetgen.provenance.naming import sidecar_path
from tests.fakes.emulator import Emulator
from tests.fakes.reliability import (
    GATEWAY_KEY,
    leftovers,
    make_site,
    master_index,
    sidecar_matches,
    two_asset_manifest,
)
from tests.fakes.sites import CliResult, mask_bytes, png_bytes, run_cli, write_site

_FUZZ = {"deadline": None, "derandomize": True, "database": None,
         "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
PROBLEM_LINE = re.compile(r"^error: \S*assetgen\.yaml:(\d+): \S")


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from a scratch folder, with a private temp dir: nothing the CLI might drop (a
    crash log from an xfail below, say) lands in the repository or the shared /tmp."""
    monkeypatch.chdir(tmp_path)
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))


def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="assetgen-fuzz-") as folder:
        yield Path(folder)


def _assert_clean_exit(result: CliResult, *codes: int) -> None:
    assert result.code in codes, (result.code, result.output)
    assert "Traceback" not in result.output
    assert "internal error" not in result.err


def _assert_manifest_error(result: CliResult, text: str) -> None:
    """Exit 2; every line an `error:` line; the first names assetgen.yaml and a line."""
    lines = result.err.splitlines()
    assert lines, "a manifest error must say what is wrong"
    assert all(line.startswith("error: ") for line in lines), result.err
    match = PROBLEM_LINE.match(lines[0])
    assert match, result.err
    lines_in_text = len(re.split(r"\r\n|\r|\n", text))  # YAML's line breaks
    assert 1 <= int(match.group(1)) <= lines_in_text, result.err


# ------------------------------------------------------------------ (a) random YAML

_text = st.text(max_size=24)
_scalars = (st.none() | st.booleans() | st.integers() | st.floats()
            | _text | st.sampled_from(["1024x1024", "auto", "../x.png",
                                                      "{{ nope }}", "images", "1"]))
_keys = st.text(max_size=12) | st.sampled_from(
    ["version", "output_dir", "sources", "defaults", "vars", "routes", "static", "assets",
     "id", "path", "prompt", "size", "width", "height", "edit", "images", "mask", "route",
     "quality", "model", "masters_dir", "gateway", "images"])
_documents = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(_keys, children, max_size=5),
    max_leaves=20)


def _dump(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@settings(max_examples=600, **_FUZZ)
@given(st.one_of(
    _documents.map(_dump),
    st.fixed_dictionaries({"version": st.just(1)}, optional={
        "output_dir": _scalars, "assets": _documents, "defaults": _documents,
        "routes": _documents, "static": _documents, "vars": _documents}).map(_dump),
    st.text(max_size=300),
))
def test_random_yaml_never_crashes(text: str) -> None:
    for folder in _scratch():
        (folder / "assetgen.yaml").write_text(text, encoding="utf-8")
        result = run_cli("-C", folder, "plan")
        _assert_clean_exit(result, 0, 2)
        if result.code == 2:
            _assert_manifest_error(result, text)


# ------------------------------------------------------------------ (b) mutated manifests

VALID: dict[str, Any] = {
    "version": 1,
    "output_dir": "public",
    "sources": ["pages/**/*.html"],
    "defaults": {"route": "images", "model": "gpt-image-2", "quality": "low",
                 "size": "1024x1024"},
    "vars": {"brand": "Acme"},
    "routes": {"images": {"timeout_s": 30},
               "gateway": {"base_url": "https://gw.example.com/v1",
                           "api_key_env": "GATEWAY_API_KEY",
                           "public_base_url": "https://www.example.com"}},
    "static": [{"path": "img/logo.svg", "author": "Design", "license": "proprietary"}],
    "assets": [
        {"id": "hero", "path": "img/hero.png", "prompt": "A rocket for {{ brand }}",
         "size": "1536x1024", "quality": "high"},
        {"id": "card", "path": "img/card.webp", "prompt": "A card", "width": 1200,
         "height": 630},
        {"id": "night", "path": "img/night.png", "prompt": "At night",
         "model": "gpt-image-1.5", "edit": {"images": ["hero"], "fidelity": "high",
                                             "mask": "masks/sky.png"}},
    ],
}
HOSTILE_PATHS = ["../x.png", "/etc/x.png", "a/../../x.png", "..", "", " ", "C:\\x.png",
                 "\\\\server\\x.png", "~/x.png", "img/./x.png", "img//x.png", "%2e%2e/x.png",
                 "img/\u00fc\u200b.png", "x" * 300 + ".png", "img/x.png/", ".", "img/x",
                 "img/x.PNG", "img/\x7f.png", "public/../../x.png", "img/x.png\n../y.png"]
HOSTILE_VALUES: list[Any] = [
    None, True, False, -1, 0, 10**30, -(10**30), 1.5, float("nan"), float("inf"), "",
    "auto", "99999x99999", "16x16", "0x0", "-16x16", "1024x1024x1", "１０２４x１０２４",
    [], {}, [1, "a"], {"a": 1}, "{{ undefined }}", "{% for %}", "{{ 7*7 }}", "\u202e",
    "x" * 40_000, -1200, 0.5, "gateway", "codex", "draft", "high", "gpt-5.5"]
_mutation_values = (st.sampled_from(HOSTILE_VALUES) | st.sampled_from(HOSTILE_PATHS)
                    | _text | st.integers())


def _locations(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _locations(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _locations(value, (*prefix, index))


def _at(document: Any, location: tuple[Any, ...]) -> Any:
    for step in location:
        document = document[step]
    return document


@st.composite
def _mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 4))):
        locations = list(_locations(document))
        if not locations:
            break
        location = draw(st.sampled_from(locations))
        parent, key = _at(document, location[:-1]), location[-1]
        operation = draw(st.sampled_from(["drop", "retype", "unknown", "path", "id", "size"]))
        listed = document.get("assets")
        assets = [a for a in listed if isinstance(a, dict)] if isinstance(listed, list) else []
        if operation == "drop":
            del parent[key]
        elif operation == "retype":
            parent[key] = draw(_mutation_values)
        elif operation == "unknown":
            target = parent[key] if isinstance(parent[key], dict) else parent
            if isinstance(target, dict):
                target[draw(_text.filter(bool))] = draw(_mutation_values)
        elif operation == "path" and assets:
            entry = draw(st.sampled_from(assets))
            entry["path"] = draw(st.sampled_from(HOSTILE_PATHS))
        elif operation == "path":
            document["output_dir"] = draw(st.sampled_from(HOSTILE_PATHS))
        elif operation == "id" and assets:
            draw(st.sampled_from(assets))["id"] = draw(_text)
        elif operation == "size" and assets:
            entry = draw(st.sampled_from(assets))
            entry[draw(st.sampled_from(["size", "width", "height"]))] = draw(st.sampled_from(
                [10**9, -1024, 0, "99999x99999", "16x16", "1024x9999", 1.5, "auto"]))
    return document


def _valid_site(folder: Path, document: Any) -> str:
    text = _dump(document)
    write_site(folder, text, {"masks/sky.png": mask_bytes(1536, 1024),
                              "public/img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})
    return text


def test_the_unmutated_manifest_is_valid(tmp_path: Path) -> None:
    _valid_site(tmp_path / "site", VALID)
    _assert_clean_exit(run_cli("-C", tmp_path / "site", "plan"), 0)


@settings(max_examples=250, **_FUZZ)
@given(_mutated())
def test_mutated_manifests_exit_0_or_2(document: dict[str, Any]) -> None:
    for folder in _scratch():
        text = _valid_site(folder, document)
        result = run_cli("-C", folder, "plan")
        _assert_clean_exit(result, 0, 2)
        if result.code == 2:
            _assert_manifest_error(result, text)
            continue
        # Accepted: the other commands that read it must cope too (none sends anything).
        _assert_clean_exit(run_cli("-C", folder, "build", "--dry-run"), 0)
        _assert_clean_exit(run_cli("-C", folder, "verify"), 0, 1)
        _assert_clean_exit(run_cli("-C", folder, "report", "-o", folder / "r.html"), 0)


def test_non_printable_characters_name_the_line_too(tmp_path: Path) -> None:
    """Companion of the fuzzers: the reader's refusal names the file and the character."""
    write_site(tmp_path, "version: 1\nassets:\n  - id: a\n    prompt: \"bell \x07\"\n")
    result = run_cli("-C", tmp_path, "plan")
    _assert_clean_exit(result, 2)
    assert "assetgen.yaml" in result.err and "unacceptable character #x0007" in result.err


def test_unacceptable_character_error_names_its_line(tmp_path: Path) -> None:
    write_site(tmp_path, "version: 1\nassets:\n  - id: a\n    prompt: \"bell \x07\"\n")
    result = run_cli("-C", tmp_path, "plan")
    assert result.code == 2
    lines = result.err.splitlines()
    assert len(lines) == 1, lines
    assert PROBLEM_LINE.match(lines[0]) and "assetgen.yaml:4:" in lines[0], lines


def test_alias_bomb_in_vars_does_not_hang(tmp_path: Path) -> None:
    lines = ["version: 1", "vars:", '  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", '
             '"lol", "lol", "lol"]']
    lines += [f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    lines += ["assets:", "  - id: a", "    path: img/a.png", "    prompt: hi"]
    site = write_site(tmp_path / "site", "\n".join(lines) + "\n")
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen([sys.executable, "-m", "assetgen", "-C", str(site), "plan"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _, err = process.communicate(timeout=6)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("`assetgen plan` was still running after 6 s")
    assert process.returncode in (0, 2) and b"Traceback" not in err


# ------------------------------------------------------------------ path escapes

ESCAPES = ["../x.png", "/etc/x.png", "a/../../x.png"]
HOSTILE_SITE = """\
version: 1
output_dir: {output_dir}
static:
  - path: {static}
assets:
  - id: hero
    path: {asset}
    prompt: "A rocket"
  - id: night
    path: img/night.png
    prompt: "At night"
    edit:
      images: [{edit_input}]
      mask: {mask}
"""
SAFE = {"output_dir": "public", "static": "img/logo.svg", "asset": "img/hero.png",
        "edit_input": "hero", "mask": "masks/sky.png"}
FIELD_LINE = {"output_dir": 2, "static": 4, "asset": 7, "edit_input": 13, "mask": 14}


@pytest.mark.parametrize("bad", ESCAPES)
@pytest.mark.parametrize("field", list(FIELD_LINE))
def test_path_escapes_are_refused_with_their_line(tmp_path: Path, field: str, bad: str) -> None:
    value = bad if field != "mask" else bad.replace("x.png", "m.png")
    text = HOSTILE_SITE.format(**{**SAFE, field: json.dumps(value)})
    site = write_site(tmp_path / "site", text, {"masks/sky.png": mask_bytes(1024, 1024)})
    result = run_cli("-C", site, "plan")
    _assert_clean_exit(result, 2)
    problem = next((line for line in result.err.splitlines()
                    if f"assetgen.yaml:{FIELD_LINE[field]}:" in line), None)
    assert problem is not None, result.err
    assert any(word in problem for word in ("absolute", "'..'", "refused", "escapes")), problem
    build = run_cli("-C", site, "build", "--draft")
    _assert_clean_exit(build, 2)
    assert not (tmp_path / "x.png").exists() and not (site / "public").exists()


@pytest.mark.parametrize("field", list(FIELD_LINE))
def test_nul_byte_in_a_path_is_a_manifest_error(tmp_path: Path, field: str) -> None:
    value = "img/\x00.png" if field != "edit_input" else "photos/\x00.png"
    text = HOSTILE_SITE.format(**{**SAFE, field: json.dumps(value)})
    site = write_site(tmp_path / "site", text, {"masks/sky.png": mask_bytes(1024, 1024)})
    result = run_cli("-C", site, "plan")
    _assert_clean_exit(result, 2)
    assert f"assetgen.yaml:{FIELD_LINE[field]}:" in result.err, result.err


def _outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "hero.png").write_bytes(b"precious bytes that are not yours")
    return folder


def test_symlinked_directory_in_output_dir_is_refused(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    site = write_site(tmp_path / "site", HOSTILE_SITE.format(**SAFE),
                      {"masks/sky.png": mask_bytes(1024, 1024)})
    (site / "public").mkdir()
    (site / "public" / "img").symlink_to(outside, target_is_directory=True)
    for args in (("plan",), ("build", "--draft")):
        result = run_cli("-C", site, *args)
        _assert_clean_exit(result, 2)
        assert "assetgen.yaml:7:" in result.err and "symlink" in result.err, result.err
    assert sorted(p.name for p in outside.iterdir()) == ["hero.png"]
    assert (outside / "hero.png").read_bytes() == b"precious bytes that are not yours"


def test_symlinked_file_at_an_asset_path_is_refused(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    site = write_site(tmp_path / "site", HOSTILE_SITE.format(**SAFE),
                      {"masks/sky.png": mask_bytes(1024, 1024)})
    (site / "public" / "img").mkdir(parents=True)
    (site / "public" / "img" / "hero.png").symlink_to(outside / "hero.png")
    for args in (("plan",), ("build", "--draft")):
        result = run_cli("-C", site, *args)
        _assert_clean_exit(result, 2)
        assert "assetgen.yaml:7:" in result.err and "symlink" in result.err, result.err
    assert (outside / "hero.png").read_bytes() == b"precious bytes that are not yours"
    assert sorted(p.name for p in outside.iterdir()) == ["hero.png"]


def test_symlinked_output_dir_is_refused(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    site = write_site(tmp_path / "site", HOSTILE_SITE.format(**SAFE),
                      {"masks/sky.png": mask_bytes(1024, 1024)})
    (site / "public").symlink_to(outside, target_is_directory=True)
    result = run_cli("-C", site, "build", "--draft")
    _assert_clean_exit(result, 2)
    assert "assetgen.yaml:2:" in result.err and "symlink" in result.err, result.err
    assert sorted(p.name for p in outside.iterdir()) == ["hero.png"]


# ------------------------------------------------------------------ hostile responses


@pytest.fixture
def gateway(openai_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    openai_env.gateway_key = GATEWAY_KEY
    openai_env.gateway_task_s = 0.05
    monkeypatch.setenv("GATEWAY_API_KEY", GATEWAY_KEY)
    return openai_env


def _assert_hero_refused(site: Path, result: CliResult, phrase: str) -> None:
    _assert_clean_exit(result, 1)
    line = next(line for line in result.out.splitlines() if line.startswith("hero: failed"))
    assert phrase in line, line
    hero = site / "public/img/hero.png"
    assert not hero.exists() and not sidecar_path(hero).exists()
    assert leftovers(site) == []
    assert sidecar_matches(site / "public/img/card.png")
    assert len(master_index(site)) == 1  # the refused result is not kept either


def _card_via_images(manifest: str) -> str:
    return manifest.replace("  - id: card\n", "  - id: card\n    route: images\n", 1)


def test_gateway_result_over_max_download_bytes_is_refused(tmp_path: Path,
                                                           gateway: Emulator) -> None:
    # hero's 1024x1024 result is ~15 KB, over the 4000-byte cap; card takes another route.
    site = make_site(tmp_path, _card_via_images(two_asset_manifest(
        "gateway", gateway, extra="    max_download_bytes: 4000\n")))
    result = run_cli("-C", site, "build")
    assert "card: failed" not in result.out, result.out
    _assert_hero_refused(site, result, "too_large")
    assert "larger than the cap of 4,000 bytes" in result.out


def test_gateway_base64_result_over_max_download_bytes_is_refused(tmp_path: Path,
                                                                  gateway: Emulator) -> None:
    gateway.gateway_result_shape = "b64"
    site = make_site(tmp_path, _card_via_images(two_asset_manifest(
        "gateway", gateway, extra="    max_download_bytes: 4000\n")))
    result = run_cli("-C", site, "build")
    _assert_hero_refused(site, result, "too_large")


@pytest.mark.parametrize("route", ["images", "responses", "gateway"])
def test_non_image_responses_are_refused(tmp_path: Path, gateway: Emulator, route: str) -> None:
    site = make_site(tmp_path, two_asset_manifest(route, gateway))
    gateway.inject("not_image", prompt_contains="rocket")
    result = run_cli("-C", site, "build")
    phrase = "not an image" if route == "gateway" else "does not decode"
    _assert_hero_refused(site, result, phrase)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG claiming ``width`` x ``height`` (1-bit grey) with a token IDAT: a pixel bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_decompression_bomb_from_the_api_is_refused(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The images route through the real engine, answered by a hostile in-memory API."""
    from assetgen.cli.console import Console
    from assetgen.cli.render import build as render_build
    from assetgen.commands import build as build_command

    bomb = base64.b64encode(_png_header_only(40_000, 40_000)).decode()
    good = base64.b64encode(png_bytes(1024, 1024)).decode()

    def handler(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["prompt"]
        data = bomb if "rocket" in prompt else good
        return httpx.Response(200, json={"data": [{"b64_json": data}]},
                              headers={"x-request-id": "req_bomb"})

    monkeypatch.setenv("OPENAI_API_KEY", "sk-hostile-api-test-000000")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://hostile.invalid/v1")
    site = make_site(tmp_path / "site", two_asset_manifest("images", None))
    result = build_command.run(None, site, [], transport=httpx.MockTransport(handler))
    render_build.show(Console(), result)
    out = capsys.readouterr().out
    assert result.exit_code == 1, out
    line = next(line for line in out.splitlines() if line.startswith("hero: failed"))
    assert "decompression bomb" in line and "(request req_bomb)" in line, line
    assert not (site / "public/img/hero.png").exists()
    assert sidecar_matches(site / "public/img/card.png")
    assert leftovers(site) == []


# ------------------------------------------------------------------ report escaping

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")
        self.handlers += [(tag, name) for name, _ in attrs if name.startswith("on")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def test_prompts_with_html_and_js_are_escaped_in_the_report(tmp_path: Path,
                                                            openai_env: Emulator) -> None:
    manifest = ("version: 1\noutput_dir: public\ndefaults:\n  route: responses\n"
                "  quality: low\nassets:\n  - id: hero\n    path: img/hero.png\n"
                f"    prompt: {json.dumps(XSS)}\n    alt: {json.dumps(XSS)}\n")
    site = write_site(tmp_path / "site", manifest)
    assert run_cli("-C", site, "build").code == 0  # the emulator echoes it as revised_prompt
    report = tmp_path / "report.html"
    result = run_cli("-C", site, "report", "-o", report)
    _assert_clean_exit(result, 0)
    html = report.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "<img src=x onerror" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    page = _Scripts()
    page.feed(html)
    assert page.handlers == []  # no on* event handler attribute anywhere
    assert not any("alert(" in script for script in page.scripts)
