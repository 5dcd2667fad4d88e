from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from assetgen.errors import ManifestError, UsageError
from assetgen.manifest.load import load_manifest
from assetgen.manifest.locate import find_manifest
from tests.fakes.sites import png_bytes, run_cli, write_site

HEAD = """\
version: 1
output_dir: public
"""


def load(tmp_path: Path, text: str, files: dict[str, bytes | str] | None = None):
    write_site(tmp_path, text, files)
    return load_manifest(tmp_path / "assetgen.yaml")


def problems(tmp_path: Path, text: str, files: dict[str, bytes | str] | None = None):
    with pytest.raises(ManifestError) as info:
        load(tmp_path, text, files)
    return info.value.problems


# Each case: manifest text, the line the first problem must name, a phrase it must contain.
MALFORMED = {
    "yaml-syntax": (HEAD + "assets: [\n  - id: x\n", 4, "invalid YAML"),
    "not-a-mapping": ("- just\n- a list\n", 1, "must be a YAML mapping"),
    "unknown-top-key": (HEAD + "asets: []\n", 3, "did you mean `assets`"),
    "bad-version": ("version: 2\nassets: []\n", 1, "unsupported manifest version"),
    "missing-version": ("assets: []\n", 1, "missing required key `version`"),
    "version-type": ("version: one\nassets: []\n", 1, "must be an integer"),
    "assets-not-list": (HEAD + "assets:\n  hero: {}\n", 3, "`assets` must be a list"),
    "asset-not-mapping": (HEAD + "assets:\n  - hero\n", 4, "must be a mapping"),
    "unknown-asset-key": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                          "    promt: y\n", 7, "did you mean `prompt`"),
    "missing-prompt": (HEAD + "assets:\n  - id: a\n    path: a.png\n", 4,
                       "missing required key `prompt`"),
    "bad-id": (HEAD + "assets:\n  - id: Hero!\n    path: a.png\n    prompt: x\n", 4,
               "asset id `Hero!` is not accepted"),
    "duplicate-id": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                     "  - id: a\n    path: b.png\n    prompt: y\n", 7, "declared twice"),
    # Path problems name the `path:` lines, not the entries' lines.
    "duplicate-path": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                       "  - id: b\n    path: a.png\n    prompt: y\n", 8,
                       "path `a.png` is declared twice (first on line 5)"),
    "static-path-clash": (HEAD + "static:\n  - license: CC0\n    path: a.png\nassets:\n"
                          "  - id: a\n    prompt: x\n    path: a.png\n", 9,
                          "path `a.png` is declared twice (first on line 5)"),
    "dotdot-path": (HEAD + "assets:\n  - id: a\n    path: ../outside.png\n    prompt: x\n", 5,
                    "'..' is not allowed"),
    "absolute-path": (HEAD + "assets:\n  - id: a\n    path: /etc/a.png\n    prompt: x\n", 5,
                      "absolute paths are not allowed"),
    "bad-suffix": (HEAD + "assets:\n  - id: a\n    path: a.svg\n    prompt: x\n", 5, "a.svg"),
    "bad-quality": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                    "    quality: ultra\n", 7, "accepted: low, medium, high, auto"),
    "bad-route": (HEAD + "defaults:\n  route: imagez\nassets: []\n", 4, "did you mean `images`"),
    "size-not-multiple": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                          "    size: 1000x1000\n", 7, "nearest valid sizes"),
    "size-ratio": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                   "    size: 3840x1024\n", 7, "not a valid gpt-image-2 size"),
    "size-malformed": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                       "    size: big\n", 7, "size `big`"),
    "size-too-small": (HEAD + "defaults:\n  size: 512x512\nassets: []\n", 4, "pixels"),
    "width-only": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                   "    width: 100\n", 7, "only one of width/height"),
    "width-type": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                   "    width: wide\n    height: 10\n", 7, "must be an integer"),
    "undefined-var": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: \"{{ brnd }}\"\n",
                      6, "undefined variable"),
    "template-syntax": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: \"{{ x \"\n",
                        6, "not a valid Jinja2 template"),
    "empty-prompt": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: \"  \"\n", 6,
                     "empty prompt"),
    "prompt-too-long": (HEAD + "vars:\n  long: " + "x" * 32_001 + "\nassets:\n  - id: a\n"
                        "    path: a.png\n    prompt: \"{{ long }}\"\n", 8, "32,000"),
    "missing-edit-input": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                           "    edit:\n      images: [nothere.png]\n", 8, "does not exist"),
    "edit-self": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                  "    edit:\n      images: [a]\n", 8, "edits itself"),
    "cycle": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
              "    edit:\n      images: [b]\n  - id: b\n    path: b.png\n    prompt: y\n"
              "    edit:\n      images: [a]\n", 4, "cycle"),
    "mask-not-png": (HEAD + "assets:\n  - id: a\n    path: a.png\n    prompt: x\n"
                     "    edit:\n      images: [b]\n      mask: m.jpg\n  - id: b\n"
                     "    path: b.png\n    prompt: y\n", 9, "not a PNG"),
    "transparent-jpeg": (HEAD + "assets:\n  - id: a\n    path: a.jpg\n    prompt: x\n"
                         "    background: transparent\n", 7, "no alpha channel"),
    "unknown-route-settings": (HEAD + "routes:\n  image:\n    timeout_s: 3\nassets: []\n", 4,
                               "unknown route `image`"),
    "route-setting-typo": (HEAD + "routes:\n  images:\n    timeout: 3\nassets: []\n", 5,
                           "did you mean `timeout_s`"),
    "responses-image-model": (HEAD + "routes:\n  responses:\n    model: gpt-image-2\n"
                              "assets: []\n", 5, "text-capable top-level model"),
    "output-dir-escape": ("version: 1\noutput_dir: ../elsewhere\nassets: []\n", 2,
                          "output_dir `../elsewhere` is refused"),
    "source-escape": (HEAD + "sources:\n  - ../**/*.html\nassets: []\n", 4,
                      "leaves the manifest's folder"),
    "duplicate-key": (HEAD + "assets: []\nassets: []\n", 4, "invalid YAML"),
    "static-not-mapping": (HEAD + "static:\n  - img/logo.svg\n", 4, "static entry 1"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_manifest_exits_2_with_file_and_line(tmp_path: Path, name: str) -> None:
    text, line, phrase = MALFORMED[name]
    write_site(tmp_path, text)
    result = run_cli("-C", tmp_path, "plan")
    assert result.code == 2, result.output
    assert "Traceback" not in result.output
    assert f"assetgen.yaml:{line}:" in result.err, result.err
    assert phrase in result.err, result.err
    assert result.out == ""


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    found = problems(tmp_path, HEAD + "assets:\n  - id: A\n    path: ../a.png\n    prompt: x\n"
                     "    quality: best\n")
    messages = " | ".join(p.message for p in found)
    assert "not accepted" in messages and "escapes output_dir" in messages
    assert len(found) >= 3


def test_symlink_escape_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    site = tmp_path / "site"
    (site / "public").mkdir(parents=True)
    os.symlink(outside, site / "public" / "img")
    found = problems(site, HEAD + "assets:\n  - id: a\n    path: img/a.png\n    prompt: x\n")
    assert "symlink" in found[0].message


def test_defaults_vars_and_generation_size_are_resolved(tmp_path: Path) -> None:
    manifest = load(tmp_path, HEAD + textwrap.dedent("""\
        defaults:
          quality: high
          size: 1536x1024
        vars:
          brand: Acme
        assets:
          - id: hero
            path: img/hero.webp
            prompt: "A rocket for {{ brand }}"
          - id: card
            path: img/card.png
            prompt: card
            width: 1200
            height: 630
          - id: night
            path: img/night.png
            prompt: night
            quality: low
            model: gpt-image-1.5       # takes input_fidelity; gpt-image-2 does not
            edit:
              images: [hero, masks/in.png]
              mask: masks/m.png
              fidelity: high
        """), {"masks/in.png": png_bytes(8, 8), "masks/m.png": png_bytes(8, 8)})
    hero, card, night = manifest.assets
    assert hero.prompt == "A rocket for Acme" and hero.quality == "high"
    assert hero.format == "webp" and hero.size == "1536x1024"
    assert hero.file == tmp_path / "public" / "img" / "hero.webp"
    # An exact final size picks its own generation size of the closest aspect ratio.
    assert card.size != "1536x1024" and (card.width, card.height) == (1200, 630)
    gen_w, gen_h = (int(v) for v in card.size.split("x"))
    assert gen_w >= 1200 and gen_h >= 630 and abs(gen_w / gen_h - 1200 / 630) < 0.05
    assert night.dependencies == ("hero",)
    assert night.inputs[0].path == hero.file
    assert night.inputs[1].path == tmp_path / "masks" / "in.png"
    assert night.mask == tmp_path / "masks" / "m.png" and night.fidelity == "high"
    assert manifest.dependents_of("hero") == ["night"]


def test_find_manifest_walks_up(tmp_path: Path) -> None:
    write_site(tmp_path, HEAD + "assets: []\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_manifest(nested) == tmp_path / "assetgen.yaml"


def test_no_manifest_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="assetgen init"):
        find_manifest(tmp_path)
    result = run_cli("-C", tmp_path, "plan")
    assert result.code == 2 and "no assetgen.yaml" in result.err


def test_manifest_option_and_missing_file(tmp_path: Path) -> None:
    write_site(tmp_path, HEAD + "assets: []\n")
    (tmp_path / "assetgen.yaml").rename(tmp_path / "other.yaml")
    assert run_cli("--manifest", tmp_path / "other.yaml", "plan").code == 0
    missing = run_cli("--manifest", tmp_path / "nope.yaml", "plan")
    assert missing.code == 2 and "no such manifest" in missing.err


def test_example_site_manifest_is_valid(repo_root: Path) -> None:
    manifest = load_manifest(repo_root / "example-site" / "assetgen.yaml")
    assert len(manifest.assets) >= 6
    assert any(a.is_edit and a.mask for a in manifest.assets)
    assert any(a.width and a.height for a in manifest.assets)
    assert any(a.format == "webp" for a in manifest.assets)
    assert manifest.static


@pytest.mark.parametrize("template", [
    "plain text, no variables", "{{ brand }} rocket", "{{brand}} and {{ style }}!",
    "{{ n }} items", "braces } and { alone", "{{ brand | upper }}", "{% if 1 %}x{% endif %}",
    "{# note #}{{ brand }}", "{{ brand ~ style }}", "  padded {{ brand }}  \n",
])
def test_fast_prompt_rendering_matches_jinja(template: str) -> None:
    import jinja2

    from assetgen.manifest.assets import render_simple

    variables = {"brand": "Acme", "style": "flat", "n": 3}
    expected = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(
        template).render(**variables).strip()
    fast = render_simple(template, variables)
    assert fast is None or fast == expected
    if "|" not in template and "%" not in template and "#" not in template \
            and "~" not in template:
        assert fast == expected  # the simple forms really take the fast path


def test_fast_path_leaves_undefined_names_to_jinja(tmp_path: Path) -> None:
    from assetgen.manifest.assets import render_simple

    assert render_simple("{{ missing }}", {}) is None
    found = problems(tmp_path, HEAD + "assets:\n  - id: a\n    path: a.png\n"
                     "    prompt: \"{{ missing }}\"\n")
    assert "undefined variable" in found[0].message
