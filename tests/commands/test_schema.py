"""`assetgen schema`: the JSON Schema and the manifest loader agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from assetgen.errors import ManifestError
from assetgen.manifest import schema as manifest_schema
from assetgen.manifest.json_schema import build_schema
from assetgen.manifest.load import load_manifest
from tests.fakes.sites import BASIC_MANIFEST, mask_bytes, run_cli, write_site

VALID: dict[str, str] = {
    "basic": BASIC_MANIFEST,
    "minimal": "version: 1\n",
    "empty-lists": "version: 1\nsources: []\nstatic: []\nassets: []\nvars: {}\n",
    "everything": """\
        version: 1
        output_dir: site
        sources: ["site/**/*.html", "content/**/*.md"]
        defaults: {route: responses, model: gpt-image-2, quality: auto, size: auto,
                   background: opaque}
        vars:
          brand: Acme
          nested: {colours: [red, blue], count: 3}
        routes:
          images: {timeout_s: 120}
          responses: {model: gpt-5.5, timeout_s: 60.5}
          gateway:
            base_url: https://gateway.example.com/v1
            api_key_env: GATEWAY_API_KEY
            provider: example
            model: image-pro
            public_base_url: https://www.example.com
            timeout_s: 900
            poll_intervals_s: [1, 2.5, 5]
            max_download_bytes: 50000000
          codex: {binary: codex, timeout_s: 600}
          draft:
        static:
          - path: img/logo.svg
            author: Design team
            license: proprietary
            source: https://example.com/brand
            note: redrawn in 2024
        assets:
          - id: hero
            path: img/hero.webp
            prompt: "{{ brand }} rocket, {{ nested.colours[0] }}"
            route: images
            quality: high
            size: 1536x1024
            background: transparent
            alt: A rocket
          - id: hero.night_2
            path: img/hero-night.png
            prompt: The same at night
            width: 1200
            height: 630
            edit:
              images: [hero]
              mask: masks/sky.png
          - id: 9-codex
            path: img/codex.jpg
            route: codex
            prompt: made by codex
    """,
}

INVALID: dict[str, str] = {
    "unknown-top-key": "version: 1\ncolour: red\n",
    "unknown-asset-key": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x, colour: 1}\n",
    "unknown-defaults-key": "version: 1\ndefaults: {size: auto, shape: round}\n",
    "unknown-static-key": "version: 1\nstatic:\n  - {path: logo.svg, owner: me}\n",
    "unknown-edit-key": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x}\n"
                        "  - {id: b, path: b.png, prompt: y, edit: {images: [a], blend: 1}}\n",
    "unknown-route-setting": "version: 1\nroutes:\n  images: {base_url: https://x.test}\n",
    "unknown-route": "version: 1\nroutes:\n  midjourney: {timeout_s: 5}\n",
    "bad-quality": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x, quality: ultra}\n",
    "bad-default-quality": "version: 1\ndefaults: {quality: best}\n",
    "bad-route": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x, route: dalle}\n",
    "bad-background": "version: 1\ndefaults: {background: green}\n",
    "bad-fidelity": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x}\n"
                    "  - {id: b, path: b.png, prompt: y, edit: {images: [a], fidelity: max}}\n",
    "bad-id-upper": "version: 1\nassets:\n  - {id: Hero, path: a.png, prompt: x}\n",
    "bad-id-leading-dash": "version: 1\nassets:\n  - {id: -hero, path: a.png, prompt: x}\n",
    "bad-id-space": "version: 1\nassets:\n  - {id: my hero, path: a.png, prompt: x}\n",
    "bad-size-word": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x, size: large}\n",
    "bad-default-size": "version: 1\ndefaults: {size: 1024}\n",
    "version-string": "version: '1'\n",
    "version-2": "version: 2\n",
    "no-version": "assets: []\n",
    "width-string": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x, width: big, "
                    "height: 10}\n",
    "width-zero": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x, width: 0, "
                  "height: 10}\n",
    "width-alone": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x, width: 100}\n",
    "prompt-number": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: 42}\n",
    "prompt-blank": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: '  '}\n",
    "missing-prompt": "version: 1\nassets:\n  - {id: a, path: a.png}\n",
    "missing-path": "version: 1\nassets:\n  - {id: a, prompt: x}\n",
    "static-without-path": "version: 1\nstatic:\n  - {author: me}\n",
    "sources-string": "version: 1\nsources: '**/*.html'\n",
    "sources-number-item": "version: 1\nsources: [1]\n",
    "assets-mapping": "version: 1\nassets: {hero: {}}\n",
    "asset-not-mapping": "version: 1\nassets: [hero]\n",
    "vars-list": "version: 1\nvars: [a, b]\n",
    "routes-list": "version: 1\nroutes: [images]\n",
    "route-settings-list": "version: 1\nroutes:\n  codex: [a]\n",
    "timeout-zero": "version: 1\nroutes:\n  images: {timeout_s: 0}\n",
    "timeout-string": "version: 1\nroutes:\n  codex: {timeout_s: soon}\n",
    "timeout-bool": "version: 1\nroutes:\n  codex: {timeout_s: true}\n",
    "edit-without-images": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x}\n"
                           "  - {id: b, path: b.png, prompt: y, edit: {fidelity: high}}\n",
    "edit-images-empty": "version: 1\nassets:\n  - {id: b, path: b.png, prompt: y, "
                         "edit: {images: []}}\n",
    "mask-not-png": "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x}\n"
                    "  - {id: b, path: b.png, prompt: y, edit: {images: [a], mask: m.jpg}}\n",
    "output-dir-number": "version: 1\noutput_dir: 5\n",
    "not-a-mapping": "- version: 1\n",
}


if hasattr(manifest_schema, "VARIANTS"):  # output settings: variants, encoding, transparency
    VALID["outputs"] = """\
        version: 1
        masters_dir: masters
        defaults:
          variants: {widths: [480, 960], formats: [webp, PNG]}
          encoding: {webp: {quality: 80, lossless: false}, jpg: {progressive: true}}
        assets:
          - id: logo
            path: img/logo.png
            prompt: a logo
            transparent: chroma
            chroma_key: "#ff00ff"
          - id: icon
            path: img/icon.webp
            prompt: an icon
            transparent: true
            variants: {widths: [64, 128], sizes: 64px}
            encoding: {.png: {optimize: true}}
    """
    _ASSET = "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x, "
    # The loader checks `defaults` output settings while resolving assets: give it one.
    _WITH_ASSET = "version: 1\nassets: [{id: a, path: a.png, prompt: x}]\n"
    INVALID.update({
        "encoding-unknown-format": _WITH_ASSET + "defaults: {encoding: {gif: {quality: 1}}}\n",
        "encoding-key-not-for-format": _WITH_ASSET + "defaults: {encoding: {png: {quality: 8}}}\n",
        "encoding-quality-101": _WITH_ASSET + "defaults: {encoding: {webp: {quality: 101}}}\n",
        "encoding-not-mapping": _WITH_ASSET + "defaults: {encoding: {webp: 80}}\n",
        "variants-unknown-key": _ASSET + "variants: {widths: [10], density: 2}}\n",
        "variants-width-string": _ASSET + "variants: {widths: [big]}}\n",
        "variants-width-zero": _ASSET + "variants: {widths: [0]}}\n",
        "variants-unknown-format": _ASSET + "variants: {widths: [10], formats: [heic]}}\n",
        "transparent-maybe": _ASSET + "transparent: maybe}\n",
        "chroma-key-name": _ASSET + "transparent: chroma, chroma_key: green}\n",
        "masters-dir-number": "version: 1\nmasters_dir: 5\n",
    })


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = build_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _data(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _site(tmp_path: Path, manifest: str) -> Path:
    files = {"masks/sky.png": mask_bytes(64, 64)}
    return write_site(tmp_path, manifest, files) / "assetgen.yaml"


def test_the_command_prints_a_valid_draft_2020_12_schema() -> None:
    result = run_cli("schema")
    assert result.code == 0, result.err
    schema = json.loads(result.out)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema == json.loads(json.dumps(build_schema()))


def test_every_fixed_mapping_refuses_unknown_keys_and_vars_stays_open() -> None:
    schema = build_schema()
    assert schema["additionalProperties"] is False
    for name in ("defaults", "asset", "edit", "static"):
        assert schema["$defs"][name]["additionalProperties"] is False, name
    routes = schema["properties"]["routes"]
    assert routes["additionalProperties"] is False
    assert set(routes["properties"]) == {"images", "responses", "gateway", "codex", "draft"}
    for settings in routes["properties"].values():
        assert settings["additionalProperties"] is False
    assert schema["properties"]["vars"]["additionalProperties"] is True
    asset = schema["$defs"]["asset"]
    assert asset["properties"]["id"]["pattern"] == "^[a-z0-9][a-z0-9._-]*$"
    assert asset["properties"]["size"]["pattern"] == "^(auto|[0-9]+x[0-9]+)$"
    assert asset["properties"]["quality"]["enum"] == ["low", "medium", "high", "auto"]
    assert set(asset["required"]) == {"id", "path", "prompt"}
    assert all(prop.get("description") or "$ref" in prop
               for prop in asset["properties"].values())


def test_example_site_is_valid_for_both(repo_root: Path,
                                        validator: Draft202012Validator) -> None:
    path = repo_root / "example-site" / "assetgen.yaml"
    assert list(validator.iter_errors(_data(path))) == []
    load_manifest(path)


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_manifests_pass_both(name: str, tmp_path: Path,
                                   validator: Draft202012Validator) -> None:
    path = _site(tmp_path, VALID[name])
    errors = [e.message for e in validator.iter_errors(_data(path))]
    assert errors == []
    load_manifest(path)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_manifests_fail_both(name: str, tmp_path: Path,
                                     validator: Draft202012Validator) -> None:
    path = _site(tmp_path, INVALID[name])
    assert list(validator.iter_errors(_data(path))), f"the schema accepted {name}"
    with pytest.raises(ManifestError):
        load_manifest(path)


def test_init_writes_the_schema_and_a_manifest_valid_for_it(
        tmp_path: Path, validator: Draft202012Validator) -> None:
    assert run_cli("-C", tmp_path, "init").code == 0
    written = json.loads((tmp_path / "assetgen.schema.json").read_text(encoding="utf-8"))
    assert written == json.loads(run_cli("schema").out)
    manifest = tmp_path / "assetgen.yaml"
    assert list(validator.iter_errors(_data(manifest))) == []
    load_manifest(manifest)


def test_editors_on_draft_07_get_the_same_verdicts(tmp_path: Path) -> None:
    """yaml-language-server validates with draft-07 keywords: only `dependentRequired`
    (width needs height) is lost there; every other rule still applies."""
    from jsonschema import Draft7Validator

    draft7 = Draft7Validator(build_schema())
    for name, text in VALID.items():
        path = _site(tmp_path / f"ok-{name}", text)
        assert list(draft7.iter_errors(_data(path))) == [], name
    for name, text in INVALID.items():
        path = _site(tmp_path / f"bad-{name}", text)
        assert bool(list(draft7.iter_errors(_data(path)))) == (name != "width-alone"), name
