"""`assetgen adopt` and manifest_edit: the manifest stays byte-identical outside the new
entry, the image lands (converted if asked) with a sidecar plan and verify call fresh."""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path

import pytest

from assetgen.manifest.edit import ManifestEditError, upsert_asset
from assetgen.manifest.load import load_manifest
from tests.fakes.sites import png_bytes, run_cli, write_site

SITE = """\
# A site with comments, odd quoting and blank lines that must survive adoption.
version: 1
output_dir: public   # trailing comment
sources: ['pages/*.html']
defaults:
  quality: low

assets:
  # the hero
  - id: hero
    path: "img/hero.png"
    prompt: >-
      A rocket,
      folded over two lines
    alt: 'The rocket'

  - id: card   # a card
    path: img/card.png
    prompt: "A card with \\"quotes\\""
    # a comment at key level at the end of the card

# static images follow
static:
  - path: logo.svg
"""


def only_inserted(old: str, new: str) -> list[str]:
    """The lines ``new`` adds to ``old``; fails if anything of ``old`` changed."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    changed = [op for op in ops if op[0] != "equal"]
    assert len(changed) == 1 and changed[0][0] == "insert", changed
    _, i1, _, j1, j2 = changed[0]
    assert "".join(a[:i1]) + "".join(b[j1:j2]) + "".join(a[i1:]) == new
    return b[j1:j2]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = write_site(tmp_path / "site", SITE, {
        "pages/index.html": '<img src="/img/team.webp" alt="">\n',
        "public/logo.svg": "<svg/>\n"})
    (tmp_path / "codex/generated_images/sess-42").mkdir(parents=True)
    (tmp_path / "codex/generated_images/sess-42/ig_1.png").write_bytes(png_bytes(1536, 1024))
    return root


def adopt(root: Path, *args: str | Path) -> tuple[int, str]:
    result = run_cli("-C", root, "adopt", *args)
    assert "Traceback" not in result.output
    return result.code, result.output


def test_adopt_keeps_the_manifest_byte_identical(site: Path) -> None:
    before = (site / "assetgen.yaml").read_text()
    code, out = adopt(site, "../codex/generated_images/sess-42/ig_1.png", "--id", "team",
                      "--prompt", "The team on a ridge", "--path", "img/team.webp")
    assert code == 0, out
    added = only_inserted(before, (site / "assetgen.yaml").read_text())
    # a blank line separates it, as the entries before it are separated
    assert sorted(added) == sorted(["\n", "  - id: team\n", "    path: img/team.webp\n",
                                    "    quality: auto\n", "    size: 1536x1024\n",
                                    "    prompt: The team on a ridge\n"])


def test_png_is_converted_to_webp_by_suffix(site: Path) -> None:
    code, out = adopt(site, "../codex/generated_images/sess-42/ig_1.png", "--id", "team",
                      "--prompt", "The team", "--path", "img/team.webp", "--json")
    assert code == 0
    doc = json.loads(out)
    converted = doc["converted"]
    assert (converted["op"], converted["from"], converted["to"]) == ("encode", "png", "webp")
    image = site / "public/img/team.webp"
    assert image.read_bytes()[:4] == b"RIFF" and image.read_bytes()[8:12] == b"WEBP"
    sidecar = json.loads((site / "public/img/team.webp.provenance.json").read_text())
    assert sidecar["format"] == "webp" and sidecar["file"] == "img/team.webp"
    assert sidecar["source"]["format"] == "png" and sidecar["source"]["name"] == "ig_1.png"
    assert (sidecar["width"], sidecar["height"]) == (1536, 1024)


def test_conversion_uses_the_manifests_encoder_settings(site: Path) -> None:
    text = (site / "assetgen.yaml").read_text()
    (site / "assetgen.yaml").write_text(text.replace(
        "  quality: low\n", "  quality: low\n  encoding:\n    webp: {quality: 40}\n"))
    code, out = adopt(site, "../codex/generated_images/sess-42/ig_1.png", "--id", "team",
                      "--prompt", "The team", "--path", "img/team.webp", "--json")
    assert code == 0, out
    assert json.loads(out)["converted"]["quality"] == 40
    sidecar = json.loads((site / "public/img/team.webp.provenance.json").read_text())
    assert sidecar["postprocess"][0]["quality"] == 40
    assert json.loads(run_cli("-C", site, "plan", "--json").out)["assets"][-1]["state"] \
        == "fresh"


def test_codex_route_billing_and_session(site: Path) -> None:
    code, _ = adopt(site, "../codex/generated_images/sess-42/ig_1.png", "--id", "team",
                    "--prompt", "The team", "--route", "codex", "--model", "gpt-image-2",
                    "--quality", "high")
    assert code == 0
    sidecar = json.loads((site / "public/img/team.png.provenance.json").read_text())
    assert sidecar["route"] == "codex"
    assert sidecar["billing"] == "codex-credits"
    assert sidecar["session"] == "sess-42"  # taken from generated_images/<session>/
    assert sidecar["quality"] == "high" and sidecar["model"] == "gpt-image-2"
    assert sidecar["prompt"] == "The team" and sidecar["size"] == "1536x1024"
    entry = load_manifest(site / "assetgen.yaml").by_id["team"]
    assert (entry.route, entry.quality, entry.path) == ("codex", "high", "img/team.png")
    # an explicit --session wins; `adopted` records no billing
    code, _ = adopt(site, "../codex/generated_images/sess-42/ig_1.png", "--id", "other",
                    "--prompt", "x", "--session", "s-9", "--path", "img/other.png")
    other = json.loads((site / "public/img/other.png.provenance.json").read_text())
    assert (other["route"], other["session"], "billing" in other) == ("adopted", "s-9", False)


def test_adopted_asset_is_fresh_in_plan_and_passes_verify(site: Path) -> None:
    code, _ = adopt(site, "../codex/generated_images/sess-42/ig_1.png", "--id", "team",
                    "--prompt", "Team {{ not a variable }} photo", "--path", "img/team.webp")
    assert code == 0
    plan = run_cli("-C", site, "plan", "--json")
    states = {a["id"]: a["state"] for a in json.loads(plan.out)["assets"]}
    assert states["team"] == "fresh"
    sidecar = json.loads((site / "public/img/team.webp.provenance.json").read_text())
    assert sidecar["prompt"] == "Team {{ not a variable }} photo"  # stored escaped
    verify = run_cli("-C", site, "verify", "--json", "public/img/team.webp")
    doc = json.loads(verify.out)
    assert verify.code == 0 and doc["findings"] == []
    assert doc["summary"]["by_state"]["fresh"] == 1


def test_existing_id_needs_force(site: Path) -> None:
    before = (site / "assetgen.yaml").read_bytes()
    code, out = adopt(site, "../codex/generated_images/sess-42/ig_1.png", "--id", "hero",
                      "--prompt", "A new hero")
    assert code == 2
    assert "asset `hero` already exists" in out and "--force" in out
    assert (site / "assetgen.yaml").read_bytes() == before
    assert not (site / "public/img/hero.png").exists()

    code, out = adopt(site, "../codex/generated_images/sess-42/ig_1.png", "--id", "hero",
                      "--prompt", "A new hero", "--force")
    assert code == 0, out
    after = (site / "assetgen.yaml").read_text()
    old_entry = ('  - id: hero\n    path: "img/hero.png"\n    prompt: >-\n      A rocket,\n'
                 "      folded over two lines\n    alt: 'The rocket'\n")
    new_entry = ("  - id: hero\n    path: img/hero.png\n    quality: auto\n"
                 "    size: 1536x1024\n    alt: The rocket\n    prompt: A new hero\n")
    assert old_entry in before.decode()
    assert after == before.decode().replace(old_entry, new_entry)  # alt kept, rest untouched
    assert "updated entry `hero`" in out


def test_adopt_in_place_records_an_unrecorded_image(site: Path) -> None:
    image = site / "public/img/hero.png"
    image.parent.mkdir(parents=True)
    image.write_bytes(png_bytes(1024, 1024))
    assert "unrecorded" in run_cli("-C", site, "verify", "public/img/hero.png").out
    code, out = adopt(site, "public/img/hero.png", "--id", "hero", "--prompt", "A rocket",
                      "--force")
    assert code == 0, out
    result = run_cli("-C", site, "verify", "--json", "public/img/hero.png")
    assert result.code == 0, result.output
    assert [f["state"] for f in json.loads(result.out)["findings"]] == ["unreferenced"]


@pytest.mark.parametrize(("args", "message"), [
    (["../not-an-image.png", "--id", "x", "--prompt", "p"], "is not an image"),
    (["../nowhere.png", "--id", "x", "--prompt", "p"], "no such file"),
    (["../codex/generated_images/sess-42/ig_1.png", "--id", "Bad Id", "--prompt", "p"],
     "is not accepted"),
    (["../codex/generated_images/sess-42/ig_1.png", "--id", "x", "--prompt", "  "],
     "--prompt is empty"),
    (["../codex/generated_images/sess-42/ig_1.png", "--id", "x", "--prompt", "p",
      "--path", "../outside.png"], "is refused"),
    (["../codex/generated_images/sess-42/ig_1.png", "--id", "x", "--prompt", "p",
      "--path", "img/card.png"], "already the image of asset `card`"),
    (["../codex/generated_images/sess-42/ig_1.png", "--id", "x", "--prompt", "p",
      "--path", "logo.svg"], "cannot write"),
    (["../codex/generated_images/sess-42/ig_1.png", "--id", "x", "--prompt", "p",
      "--path", "img/x.txt"], "cannot write"),
])
def test_bad_input_is_a_usage_error_and_changes_nothing(site: Path, args: list[str],
                                                         message: str) -> None:
    (site.parent / "not-an-image.png").write_text("hello")
    before = (site / "assetgen.yaml").read_bytes()
    code, out = adopt(site, *args)
    assert code == 2
    assert message in out
    assert (site / "assetgen.yaml").read_bytes() == before
    assert not list((site / "public").rglob("*.provenance.json"))


def test_existing_file_at_the_target_needs_force(site: Path) -> None:
    (site / "public/img").mkdir(parents=True)
    (site / "public/img/team.png").write_bytes(png_bytes(8, 8))
    code, out = adopt(site, "../codex/generated_images/sess-42/ig_1.png", "--id", "team",
                      "--prompt", "p")
    assert code == 2 and "already exists" in out


def test_example_site_manifest_survives_byte_for_byte(repo_root: Path, tmp_path: Path) -> None:
    site = tmp_path / "example-site"
    shutil.copytree(repo_root / "example-site", site,
                    ignore=shutil.ignore_patterns(".assetgen", "public"))
    (site / "public").mkdir()
    (tmp_path / "team.png").write_bytes(png_bytes(1024, 1536))
    before = (site / "assetgen.yaml").read_text()
    code, out = adopt(site, "../team.png", "--id", "team-photo", "--prompt", "The team",
                      "--route", "codex", "--session", "abc")
    assert code == 0, out
    added = only_inserted(before, (site / "assetgen.yaml").read_text())
    assert added[0] == "\n" and added[1] == "  - id: team-photo\n"


# --- manifest_edit on its own -----------------------------------------------------------------

ENTRY = {"id": "new", "path": "img/new.png", "prompt": "a new one"}


@pytest.mark.parametrize(("text", "inserted"), [
    ("version: 1\nassets:\n- id: a\n  path: a.png\n  prompt: x\n",
     "- id: new\n  path: img/new.png\n  prompt: a new one\n"),
    ("version: 1\nassets:\n    - id: a\n      path: a.png\n      prompt: x\n\nstatic: []\n",
     "    - id: new\n      path: img/new.png\n      prompt: a new one\n"),
    ("version: 1\nsources:\n  - '*.md'\n",
     "\nassets:\n  - id: new\n    path: img/new.png\n    prompt: a new one\n"),
    ("version: 1\nassets:   # nothing yet\nstatic: []\n",
     "  - id: new\n    path: img/new.png\n    prompt: a new one\n"),
    ("version: 1\r\nassets:\r\n  - id: a\r\n    path: a.png\r\n    prompt: x\r\n",
     "  - id: new\r\n    path: img/new.png\r\n    prompt: a new one\r\n"),
    ("version: 1\nassets:\n  - id: a\n    path: a.png\n    prompt: |+\n      keep\n\n",
     "  - id: new\n    path: img/new.png\n    prompt: a new one\n"),
])
def test_upsert_only_inserts(text: str, inserted: str) -> None:
    new, action = upsert_asset(text, ENTRY)
    assert action == "added"
    assert "".join(only_inserted(text, new)) == inserted


def test_upsert_fills_an_empty_flow_list_keeping_its_comment() -> None:
    new, _ = upsert_asset("version: 1\nassets: []  # none yet\nstatic: []\n", ENTRY)
    assert new == ("version: 1\nassets:  # none yet\n  - id: new\n    path: img/new.png\n"
                   "    prompt: a new one\nstatic: []\n")


def test_upsert_without_final_newline() -> None:
    text = "version: 1\nassets:\n  - id: a\n    path: a.png\n    prompt: x"
    new, _ = upsert_asset(text, ENTRY)
    assert new == text + "\n  - id: new\n    path: img/new.png\n    prompt: a new one\n"


def test_upsert_replaces_only_its_entry() -> None:
    text = ("version: 1\nassets:\n  - id: a\n    path: a.png\n    prompt: x\n"
            "  # about new\n  - id: new\n    path: old.png\n    prompt: |\n      old\n"
            "      # not a comment\n# after\n  - id: z\n    path: z.png\n    prompt: z\n")
    new, action = upsert_asset(text, ENTRY)
    assert action == "updated"
    assert new == text.replace("    path: old.png\n    prompt: |\n      old\n"
                               "      # not a comment\n",
                               "    path: img/new.png\n    prompt: a new one\n")


def test_upsert_refuses_a_flow_list() -> None:
    with pytest.raises(ManifestEditError, match="flow-style"):
        upsert_asset("version: 1\nassets: [{id: a, path: a.png, prompt: x}]\n", ENTRY)


def test_upsert_quotes_what_yaml_needs() -> None:
    entry = {**ENTRY, "prompt": "key: value # not a comment, 'quotes' and \"more\""}
    new, _ = upsert_asset("version: 1\n", entry)
    assert load_prompt(new) == entry["prompt"]


def load_prompt(text: str) -> str:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(text)["assets"][0]["prompt"]
