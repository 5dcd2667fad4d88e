"""Issue 11, templates: a repository's prompts and snippet templates run no code, read no
environment and stay bounded in time and memory (SPEC section 10)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY
from tests.fakes.emulator import Emulator
from tests.fakes.sites import run_cli, write_site

MANIFEST = """\
version: 1
output_dir: public
defaults:
  route: images
  model: gpt-image-2
  quality: low
  size: 1024x1024
vars:
  brand: Acme
assets:
  - id: fine
    path: img/fine.png
    prompt: "A rocket for {{ brand }}"
  - id: evil
    path: img/evil.png
    prompt: {prompt}
"""
EVIL_LINE = 16  # the line of the evil asset's `prompt:`


def _site(tmp_path: Path, prompt: str) -> Path:
    import json

    return write_site(tmp_path / "site", MANIFEST.replace("{prompt}", json.dumps(prompt)))


def _refused(result_code: int, output: str) -> None:
    assert result_code == 2, output
    assert f"assetgen.yaml:{EVIL_LINE}:" in output, output
    assert "Traceback" not in output


CODE_EXECUTION = [
    "{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}",
    "{{ joiner.__init__.__globals__.os.system('touch %s') }}",
    "{{ namespace.__init__.__globals__.os.popen('touch %s').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}{{ open('%s', 'w') }}",
    "{% set x = self._TemplateReference__context %}{{ x.environment }}{{ '%s' }}",
    "{{ range.__self__.open('%s', 'w') }}",
]


@pytest.mark.parametrize("template", CODE_EXECUTION)
@pytest.mark.parametrize("command", ["plan", "verify"])
def test_a_template_that_reaches_python_runs_nothing(tmp_path: Path, template: str,
                                                    command: str) -> None:
    marker = tmp_path / "pwned"
    site = _site(tmp_path, template.replace("%s", str(marker)))
    result = run_cli("-C", site, command)
    _refused(result.code, result.output)
    assert not marker.exists()


def test_build_refuses_it_before_any_request(tmp_path: Path, openai_env: Emulator) -> None:
    marker = tmp_path / "pwned"
    site = _site(tmp_path, CODE_EXECUTION[0].replace("%s", str(marker)))
    result = run_cli("-C", site, "build")
    _refused(result.code, result.output)
    assert "sandbox" in result.output
    assert not marker.exists()
    assert openai_env.requests == []


BOMBS = {
    "range": "{% for i in range(10**12) %}x{% endfor %}",
    "range-literal": "{% for i in range(1000000000000) %}x{% endfor %}",
    "repeat": "{{ 'x' * (4 * 10**9) }}",
    "power": "{{ 2 ** (10 ** 9) }}",
    "nested-loops": "{% for i in range(100000) %}{% for j in range(100000) %}"
                    "{% endfor %}{% endfor %}",
    "doubling": "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
                "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "captured": "{% set b %}{% for i in range(100000) %}{{ 'y' * 30000 }}{% endfor %}"
                "{% endset %}{{ b|length }}",
    "output": "{% for i in range(100000) %}{{ 'y' * 1000 }}{% endfor %}",
    "center": "{{ 'x'|center(4000000000) }}",
    "ljust": "{{ 'x'.ljust(4000000000) }}",
    "replace": "{{ ('a' * 30000).replace('', 'b' * 30000) }}",
    "percent": "{{ '%0999999999d' % 1 }}",
    "format": "{{ '{:>999999999}'.format(1) }}",
    "join": "{{ range(100000)|join('x' * 30000) }}",
    "shared-lists": "{% set a = [1,1,1,1,1,1,1,1,1,1] %}{% set b = [a,a,a,a,a,a,a,a,a,a] %}"
                    "{% set c = [b,b,b,b,b,b,b,b,b,b] %}{% set d = [c,c,c,c,c,c,c,c,c,c] %}"
                    "{% set e = [d,d,d,d,d,d,d,d,d,d] %}{% set f = [e,e,e,e,e,e,e,e,e,e] %}"
                    "{% set g = [f,f,f,f,f,f,f,f,f,f] %}{{ g }}",
    "recursion": "{% macro m(n) %}{% if n %}{{ m(n-1) }}{{ m(n-1) }}{% endif %}{% endmacro %}"
                 "{{ m(60) }}",
    "batch": "{{ [1]|batch(4000000000, 'x')|list }}",
    "lipsum": "{{ lipsum(4000000000) }}",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_bomb_is_refused_fast_with_a_clear_line(tmp_path: Path, name: str) -> None:
    site = _site(tmp_path, BOMBS[name])
    started = time.monotonic()
    result = run_cli("-C", site, "plan")
    elapsed = time.monotonic() - started
    _refused(result.code, result.output)
    assert elapsed < 5, f"{name} took {elapsed:.1f} s"
    line = next(x for x in result.err.splitlines() if f":{EVIL_LINE}:" in x)
    assert "`evil`" in line and len(line) < 500


def test_too_long_a_prompt_stops_rendering_at_the_limit() -> None:
    from assetgen.manifest import templating
    with pytest.raises(templating.TemplateTooLong):
        templating.render("{% for i in range(100000) %}{{ 'y' * 999 }}{% endfor %}", {},
                          max_chars=32_000)


SECRET_READS = [
    "{{ cycler.__init__.__globals__.os.environ['OPENAI_API_KEY'] }}",
    "{{ lipsum.__globals__['os'].environ.OPENAI_API_KEY }}",
    "{{ self.__init__.__globals__.__builtins__.__import__('os').environ }}",
    "{{ namespace.__init__.__globals__['os'].getenv('OPENAI_API_KEY')|reverse|join }}",
    "{{ ''.__class__.__mro__[-1].__subclasses__() }}",
    "{{ environ.OPENAI_API_KEY }}{{ env.OPENAI_API_KEY }}{{ OPENAI_API_KEY }}",
    "{{ config }}{{ request }}{{ os }}",
]


@pytest.mark.parametrize("template", SECRET_READS)
def test_a_template_cannot_read_the_key(tmp_path: Path, template: str,
                                        openai_env: Emulator) -> None:
    site = _site(tmp_path, template)
    for command in ("plan", "verify", "build"):
        result = run_cli("-C", site, command)
        _refused(result.code, result.output)
        assert TEST_KEY not in result.output and TEST_KEY[::-1] not in result.output
    assert openai_env.requests == []
    for file in site.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert TEST_KEY.encode() not in data and TEST_KEY[::-1].encode() not in data


def test_ordinary_templates_still_render(tmp_path: Path) -> None:
    from assetgen.manifest import templating
    rendered = templating.render(
        "{{ brand|upper }}: {% for k, v in d|dictsort %}{{ loop.index }}{{ k }}={{ v }};"
        "{% endfor %}{{ items|map('title')|join(', ') }} {{ '%s-%d'|format('a', 3) }}"
        "{% set ns = namespace(n=0) %}{% for i in range(5) %}{% set ns.n = ns.n + i %}"
        "{% endfor %} {{ ns.n }} {{ 'ab' * 2 }} {{ 2 ** 10 }}",
        {"brand": "Acme", "d": {"b": 2, "a": 1}, "items": ["x", "y"]}, max_chars=1000)
    assert rendered == "ACME: 1a=1;2b=2;X, Y a-3 10 abab 1024"


SNIPPET_MANIFEST = """\
version: 1
output_dir: public
snippet_template: pic.html.j2
assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket"
"""


@pytest.mark.parametrize("template", [
    "{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}",
    "{% for i in range(10**12) %}x{% endfor %}",
    "{{ 'x' * (4 * 10**9) }}",
    "{% include '%s' %}",
])
def test_a_snippet_template_is_sandboxed_too(tmp_path: Path, template: str) -> None:
    from assetgen.commands import snippet
    from assetgen.errors import ConfigError
    from assetgen.manifest.load import load_manifest

    marker = tmp_path / "pwned"
    (tmp_path / "secret.txt").write_text("top secret")
    text = template.replace("%s", str(marker) if "touch" in template else "../secret.txt")
    site = write_site(tmp_path / "site", SNIPPET_MANIFEST, {"pic.html.j2": text})
    manifest = load_manifest(site / "assetgen.yaml")
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        snippet.render(manifest, _published(manifest))
    assert time.monotonic() - started < 5
    assert str(caught.value).startswith("pic.html.j2:")
    assert "top secret" not in str(caught.value)
    assert not marker.exists()


def _published(manifest: object) -> object:
    from assetgen.provenance.published import Published

    class Fake:
        asset = manifest.assets[0]  # type: ignore[attr-defined]
        main = type("Main", (), {"url": "/img/hero.png", "width": 1, "height": 1,
                                 "format": "png", "as_json": lambda self: {}})()
        variants = ()
        sizes = "100vw"

        def candidates(self, fmt: str) -> list[object]:
            return [self.main]

        def srcset(self, fmt: str) -> str:
            return ""

        def sources(self) -> list[object]:
            return []

    assert Published is not None
    return Fake()


# --- adopt --prompt stores text that renders to exactly itself -------------------------------

BREAKOUTS = [
    "{%- endraw %}{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}{%- raw %}",
    "{%endraw-%}{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}{%raw%}",
    "{%   endraw   %}{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}",
    "{% endraw %}{{ 'x' * 10 }}{% raw %}",
    "{{{ a }}} {%% b %%} {## c ##} {{- d -}} {%+ e +%} {# f",
    "} {{ '{' }} {{ \"{{\" }} {% raw %}x{% endraw %} {{",
]


@pytest.mark.parametrize("payload", BREAKOUTS)
def test_adopt_stores_any_prompt_as_literal_text(tmp_path: Path, payload: str) -> None:
    import json

    from tests.fakes.sites import png_bytes

    marker = tmp_path / "pwned"
    prompt = payload.replace("%s", str(marker))
    site = write_site(tmp_path / "site", MANIFEST.replace("{prompt}", '"x"'),
                      {"made.png": png_bytes(1024, 1024)})
    result = run_cli("-C", site, "adopt", "made.png", "--id", "made", "--prompt", prompt,
                     "--path", "img/made.png")
    assert result.code == 0, result.output
    assert run_cli("-C", site, "verify", "public/img/made.png").code == 0
    plan = json.loads(run_cli("-C", site, "plan", "--json").out)
    made = next(a for a in plan["assets"] if a["id"] == "made")
    assert made["state"] == "fresh"
    sidecar = json.loads((site / "public/img/made.png.provenance.json").read_text())
    assert sidecar["prompt"] == prompt
    assert not marker.exists()


def test_stored_prompts_render_to_themselves_for_any_text() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from assetgen.manifest import templating
    from assetgen.manifest.edit import jinja_literal

    alphabet = st.sampled_from([*"{}%#-+ raw endraw xy'\"\\\n\t", "{%", "{{", "{#", "endraw",
                                "%}", "}}"])
    texts = st.one_of(st.text(min_size=1), st.lists(alphabet, min_size=1).map("".join))

    @settings(max_examples=400, deadline=None)
    @given(texts)
    def check(raw: str) -> None:
        text = raw.replace("\r", "").strip()
        if not text:
            return
        stored = jinja_literal(text)
        assert templating.render(stored, {}, max_chars=10**6).strip() == text

    check()


def test_adopt_refuses_text_that_would_not_render_back(tmp_path: Path) -> None:
    from assetgen.manifest.edit import ManifestEditError, jinja_literal

    with pytest.raises(ManifestEditError):
        jinja_literal("a {{ b }}\rc")  # Jinja turns a lone carriage return into a newline
