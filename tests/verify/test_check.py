"""assetgen.lineage: every state of SPEC 2.3 (and the coverage checks) produced in a fixture
site and reported with the right path, state, severity, page and line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from assetgen.build import store
from assetgen.build.planner import Planner
from assetgen.core.canonical import sha256_bytes
from assetgen.manifest import Manifest
from assetgen.manifest.load import load_manifest
from assetgen.provenance.naming import sidecar_path
from assetgen.provenance.record import Record
from assetgen.verify.check import check
from assetgen.verify.report import ERROR_STATES, WARNING_STATES, Finding, LineageReport
from tests.fakes.sites import png_bytes, write_site

MANIFEST = """\
version: 1
output_dir: public
sources:
  - "pages/**/*.html"
  - "content/**/*.md"
defaults:
  quality: low
  size: 1024x1024
static:
  - path: img/logo.svg
    license: CC0
  - path: img/lost.svg
assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket"
  - id: ghost
    path: img/ghost.png
    prompt: "Never made"
  - id: card
    path: img/card.png
    prompt: "A card, version two"
  - id: dented
    path: img/dented.png
    prompt: "Will be edited by hand"
  - id: bare
    path: img/bare.png
    prompt: "Copied in without a sidecar"
  - id: sketch
    path: img/sketch.png
    prompt: "A placeholder"
  - id: lonely
    path: img/lonely.png
    prompt: "Nobody uses me"
"""

INDEX = """\
<!doctype html>
<html><body>
<img src="/img/logo.svg" alt="" width="64" height="64">
<img src="/img/hero.png" alt="" width="64" height="64">
<img src="/img/ghost.png" alt="">
<img src="/img/card.png" alt="">
<img src="/img/dented.png" alt="">
<img src="/img/bare.png" alt="">
<img src="/img/sketch.png" alt="">
<img src="/img/codex.png" alt="">
<img src="/img/nope.png" alt="">
<img src="https://cdn.example.com/x.png" alt="">
<img src="data:image/png;base64,AAAA" alt="">
<img src="{{ page.image }}" alt="">
</body></html>
"""

ABOUT = """\
<!doctype html>
<html><body>
<img src="../img/hero.png" alt="" width="300" height="100">
<img src="/img/codex.png" alt="">
</body></html>
"""

POST = """\
# A post

![hero](/img/hero.png)

![missing](missing.png)
"""


def record(manifest: Manifest, asset_id: str, data: bytes, *, route: str = "images.generate",
           spec_hash: str | None = None, marked: bool = True) -> Path:
    """Write an asset's image and sidecar exactly as a build does (spec hash from `Planner`,
    the AI marking in the file when ``route`` generates images and ``marked``)."""
    asset = manifest.by_id[asset_id]
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    from assetgen.build import credentials
    from assetgen.images import codec as imaging
    from assetgen.images.codec import probe
    from assetgen.provenance import embed

    info = probe(data)
    source_type = credentials.source_type_for(route, []) if marked else None
    if source_type and info.format in credentials.MARKED_FORMATS:
        data = imaging.encode(imaging.decode(data), info.format,
                              **embed.encode_options(info.format, None, source_type))
    entry = Record(
        asset=asset.id, file=asset.path, sha256=sha256_bytes(data), bytes=len(data),
        width=info.width, height=info.height, format=info.format, route=route,
        model=asset.model, prompt=asset.prompt, quality=asset.quality, size=asset.size,
        spec_hash=spec_hash or Planner(manifest).status(asset).spec_hash, created_at=now)
    store.commit(asset.file, data, entry)
    return asset.file


def make_site(root: Path) -> Manifest:
    """A site in which every lineage state occurs once."""
    write_site(root, MANIFEST, {
        "pages/index.html": INDEX,
        "pages/about/index.html": ABOUT.replace("../img", "/img"),
        "pages/about.html": ABOUT.replace("../img/hero.png", "../public/img/hero.png"),
        "content/post.md": POST,
        "public/img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
        "public/img/codex.png": png_bytes(32, 32, (1, 2, 3)),
    })
    manifest = load_manifest(root / "assetgen.yaml")
    record(manifest, "hero", png_bytes(64, 64))
    record(manifest, "card", png_bytes(40, 40), spec_hash="sha256:" + "0" * 64)
    dented = record(manifest, "dented", png_bytes(50, 50))
    dented.write_bytes(png_bytes(50, 50, (9, 9, 9)))
    (root / "public/img/bare.png").write_bytes(png_bytes(20, 20))
    record(manifest, "sketch", png_bytes(30, 30), route="draft")
    record(manifest, "lonely", png_bytes(30, 30, (5, 5, 5)))
    stray = root / "public/img/stray.png"
    stray.write_bytes(png_bytes(16, 16))
    sidecar_path(stray).write_text('{"schema": "assetgen.provenance/1", "asset": "old"}\n')
    (root / "public/img/gone.png.provenance.json").write_text(
        '{"schema": "assetgen.provenance/1", "asset": "gone"}\n')
    return manifest


def by_state(report: LineageReport) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for finding in report.findings:
        found.setdefault(finding.state, []).append(finding)
    return found


def rel(manifest: Manifest, path: Path | None) -> str | None:
    return manifest.rel(path) if path is not None else None


@pytest.fixture
def site(tmp_path: Path) -> Manifest:
    return make_site(tmp_path / "site")


def test_every_state_is_reported_with_path_and_severity(site: Manifest) -> None:
    report = check(site)
    found = by_state(report)
    expected = {
        "missing": ["public/img/ghost.png", "public/img/lost.svg"],
        "stale": ["public/img/card.png"],
        "tampered": ["public/img/dented.png"],
        "unrecorded": ["public/img/bare.png"],
        "draft": ["public/img/sketch.png"],
        "untracked": ["public/img/stray.png"],
        "orphan-sidecar": ["public/img/gone.png.provenance.json"],
        "unknown": ["public/img/codex.png"],
        "broken-ref": ["content/missing.png", "public/img/nope.png"],
        "unreferenced": ["public/img/lonely.png"],
        "aspect-mismatch": ["public/img/hero.png", "public/img/hero.png"],
    }
    assert {state: sorted(rel(site, f.path) for f in items)
            for state, items in found.items()} == expected
    for finding in report.findings:
        want = "error" if finding.state in ERROR_STATES else "warning"
        assert finding.severity == want, finding
    assert report.by_state["fresh"] == 2  # hero, and lonely (fresh but unused)
    assert report.assets == 7 and report.static == 2
    assert report.errors == 9 and report.warnings == 5


def test_states_agree_with_plan(site: Manifest) -> None:
    planned = {s.asset.id: str(s.state) for s in Planner(site).plan()}
    reported = {f.asset_id: f.state for f in check(site).findings
                if f.asset_id and f.state not in ("unreferenced", "aspect-mismatch")}
    assert reported == {k: v for k, v in planned.items() if v != "fresh"}


def test_strict_makes_every_finding_an_error(site: Manifest) -> None:
    report = check(site, strict=True)
    assert report.warnings == 0
    # `submitted` needs a batch record: tests/build/test_batch.py covers it under --strict.
    assert {f.state for f in report.findings} >= set(WARNING_STATES) - {"submitted", "unresolved",
                                                                        "no-folder"}
    assert all(f.severity == "error" for f in report.findings)


def test_reference_problems_carry_page_and_line(site: Manifest) -> None:
    found = by_state(check(site))
    broken = {rel(site, f.path): (rel(site, f.page), f.line) for f in found["broken-ref"]}
    assert broken == {"public/img/nope.png": ("pages/index.html", 11),
                      "content/missing.png": ("content/post.md", 5)}
    nope = next(f for f in found["broken-ref"] if f.path.name == "nope.png")
    assert "pages/index.html:11 references `/img/nope.png`" in nope.message
    unknown = found["unknown"][0]  # one finding for an image three pages use
    assert (rel(site, unknown.page), unknown.line) == ("pages/about/index.html", 4)
    assert "and 2 more references" in unknown.message
    assert "assetgen adopt public/img/codex.png" in unknown.remedy


def test_missing_asset_named_once_with_its_page(site: Manifest) -> None:
    found = by_state(check(site))
    ghost = [f for f in found["missing"] if f.asset_id == "ghost"]
    assert len(ghost) == 1
    assert not [f for f in found["broken-ref"] if f.path.name == "ghost.png"]
    assert (rel(site, ghost[0].page), ghost[0].line) == ("pages/index.html", 5)
    assert ghost[0].remedy == "run `assetgen build ghost`"
    lost = [f for f in found["missing"] if f.path.name == "lost.svg"]
    assert "static:" in lost[0].message


def test_skipped_references_are_counted(site: Manifest) -> None:
    report = check(site)
    assert report.skipped["external"] == 1
    assert report.skipped["data"] == 1
    assert report.skipped["template"] == 1
    assert report.references == 15 and report.pages == 4


def test_aspect_mismatch_uses_real_dimensions(site: Manifest) -> None:
    found = by_state(check(site))
    pages = sorted(rel(site, f.page) or "" for f in found["aspect-mismatch"])
    assert pages == ["pages/about.html", "pages/about/index.html"]
    message = found["aspect-mismatch"][0].message
    assert "width=300 height=100" in message and "64x64" in message
    assert 'height="300"' in found["aspect-mismatch"][0].remedy


def test_aspect_check_reads_headers_of_static_and_undeclared(tmp_path: Path) -> None:
    root = write_site(tmp_path, """\
        version: 1
        sources: ["*.html"]
        static:
          - path: photo.png
        """, {"index.html": '<img src="/photo.png" width="200" height="100">\n'
                            '<img src="/photo.png" width="100%" height="auto">\n',
              "public/photo.png": png_bytes(100, 100)})
    found = by_state(check(load_manifest(root / "assetgen.yaml")))
    assert [f.line for f in found["aspect-mismatch"]] == [1]
    assert "100x100" in found["aspect-mismatch"][0].message


def test_clean_site_has_no_findings(tmp_path: Path) -> None:
    root = write_site(tmp_path, """\
        version: 1
        sources: ["pages/*.md"]
        assets:
          - id: hero
            path: img/hero.png
            prompt: a hero
          - id: night
            path: img/night.png
            prompt: the hero at night
            edit:
              images: [hero]
        """, {"pages/a.md": "![](/img/night.png)\n"})
    manifest = load_manifest(root / "assetgen.yaml")
    record(manifest, "hero", png_bytes(24, 24))
    record(manifest, "night", png_bytes(24, 24, (0, 0, 80)))
    report = check(manifest)
    assert report.findings == []  # hero is an edit input: used, though no page shows it
    assert report.by_state["fresh"] == 2


def test_no_sources_means_no_unreferenced(tmp_path: Path) -> None:
    root = write_site(tmp_path, "version: 1\nassets:\n  - {id: a, path: a.png, prompt: x}\n")
    manifest = load_manifest(root / "assetgen.yaml")
    record(manifest, "a", png_bytes(8, 8))
    assert check(manifest).findings == []


# --- scoping by files ------------------------------------------------------------------------


def _scoped(site: Manifest, *names: str) -> dict[str, list[str]]:
    report = check(site, files=[site.root / n for n in names])
    assert report.scoped or "assetgen.yaml" in names
    return {state: sorted(rel(site, f.path) or "" for f in items)
            for state, items in by_state(report).items()}


def test_an_image_selects_its_asset(site: Manifest) -> None:
    assert _scoped(site, "public/img/dented.png") == {"tampered": ["public/img/dented.png"]}


def test_a_sidecar_selects_its_image(site: Manifest) -> None:
    assert _scoped(site, "public/img/stray.png.provenance.json") == {
        "untracked": ["public/img/stray.png"]}
    assert _scoped(site, "public/img/gone.png.provenance.json") == {
        "orphan-sidecar": ["public/img/gone.png.provenance.json"]}


def test_an_undeclared_image_is_unknown_when_a_page_uses_it(site: Manifest) -> None:
    assert _scoped(site, "public/img/codex.png") == {"unknown": ["public/img/codex.png"]}


def test_a_page_selects_its_references(site: Manifest) -> None:
    assert _scoped(site, "content/post.md") == {"broken-ref": ["content/missing.png"]}
    about = _scoped(site, "pages/about.html")
    assert about == {"aspect-mismatch": ["public/img/hero.png"],
                     "unknown": ["public/img/codex.png"]}


def test_the_manifest_selects_everything(site: Manifest) -> None:
    full = check(site)
    scoped = check(site, files=[site.file])
    assert not scoped.scoped
    assert [f.format(str) for f in scoped.findings] == [f.format(str) for f in full.findings]


def test_files_outside_the_site_select_nothing(site: Manifest, tmp_path: Path) -> None:
    report = check(site, files=[tmp_path / "elsewhere.txt", site.root / "README.md"])
    assert report.findings == [] and report.assets == 0 and report.references == 0


def test_an_edit_input_selects_its_edits(tmp_path: Path) -> None:
    root = write_site(tmp_path, """\
        version: 1
        assets:
          - id: base
            path: base.png
            prompt: a base
          - id: night
            path: night.png
            prompt: at night
            edit:
              images: [base]
        """)
    manifest = load_manifest(root / "assetgen.yaml")
    record(manifest, "base", png_bytes(16, 16))
    record(manifest, "night", png_bytes(16, 16, (0, 0, 0)))
    manifest.by_id["base"].file.write_bytes(png_bytes(16, 16, (1, 1, 1)))
    found = _scoped(manifest, "public/base.png")
    assert found == {"tampered": ["public/base.png"], "stale": ["public/night.png"]}


def test_variant_files_belong_to_their_asset(tmp_path: Path) -> None:
    root = write_site(tmp_path, """\
        version: 1
        sources: ["*.html"]
        assets:
          - id: hero
            path: img/hero.png
            prompt: a hero
            width: 64
            height: 32
            variants:
              widths: [32]
        """, {"index.html": '<img srcset="/img/hero-32w.png 32w" alt="">\n'
                            '<img src="/img/hero-16w.png" alt="">\n'})
    manifest = load_manifest(root / "assetgen.yaml")
    record(manifest, "hero", png_bytes(64, 32))
    (root / "public/img/hero-32w.png").write_bytes(png_bytes(32, 16))
    report = check(manifest)
    # the variant is neither untracked nor unknown, and it counts as using `hero`
    assert [(f.state, f.path.name) for f in report.findings] == [
        ("broken-ref", "hero-16w.png")]
    scoped = check(manifest, files=[root / "public/img/hero-32w.png"])
    assert scoped.assets == 1 and scoped.findings == []
    (root / "public/img/hero-32w.png").unlink()
    missing = [f for f in check(manifest).findings if f.path.name == "hero-32w.png"]
    assert [(f.state, f.asset_id) for f in missing] == [("broken-ref", "hero")]
    assert missing[0].remedy.startswith("run `assetgen build hero`")


def test_an_embedded_provenance_record_marks_an_image_generated(tmp_path: Path) -> None:
    from PIL import Image

    from assetgen.images import codec as imaging
    from assetgen.provenance import embed
    root = write_site(tmp_path, 'version: 1\nsources: ["*.html"]\n',
                      {"index.html": '<img src="/copied.png" alt="">\n'})
    record_ = embed.make_record(asset="elsewhere", route="images.generate",
                                model="gpt-image-2", prompt="p", spec_hash="sha256:0")
    data = imaging.encode(Image.new("RGB", (8, 8)), "png", **embed.encode_options("png",
                                                                                  record_))
    (root / "public").mkdir()
    (root / "public/copied.png").write_bytes(data)  # copied without its sidecar
    (root / "public/plain.png").write_bytes(png_bytes(8, 8))  # unreferenced, unmarked
    findings = check(load_manifest(root / "assetgen.yaml")).findings
    assert [(f.state, f.path.name) for f in findings] == [("untracked", "copied.png")]
    assert "embedded assetgen provenance record (asset `elsewhere`)" in findings[0].message
    assert "--id elsewhere" in findings[0].remedy


VARIANT_SITE = """\
version: 1
assets:
  - id: hero
    path: img/hero.png
    prompt: hero
    variants:
      widths: [480]
      formats: [webp]
"""


def _built_variant_site(tmp_path: Path) -> Manifest:
    from tests.fakes.sites import run_cli

    write_site(tmp_path, VARIANT_SITE)
    assert run_cli("-C", tmp_path, "build", "--draft").code == 0
    return load_manifest(tmp_path / "assetgen.yaml")


def test_a_changed_variant_is_reported_at_its_own_path(tmp_path: Path) -> None:
    manifest = _built_variant_site(tmp_path)
    variant = tmp_path / "public/img/hero-480w.webp"
    variant.write_bytes(variant.read_bytes() + b"x")
    findings = check(manifest).findings
    tampered = [f for f in findings if f.state == "tampered"]
    assert [f.path for f in tampered] == [variant]
    assert "hero-480w.webp" in tampered[0].message and "assetgen build hero" in tampered[0].remedy


def test_an_embedded_record_that_disagrees_with_the_sidecar_is_tampered(tmp_path: Path) -> None:
    import json

    manifest = _built_variant_site(tmp_path)
    sidecar = sidecar_path(tmp_path / "public/img/hero.png")
    record = json.loads(sidecar.read_text())
    record["model"] = "someone-elses-model"  # the sha256 still matches: only the record lies
    sidecar.write_text(json.dumps(record))
    findings = [f for f in check(manifest).findings if f.state == "tampered"]
    assert {f.path.name for f in findings} == {"hero.png", "hero-480w.webp"}
    assert all("embedded model" in f.message for f in findings)


def test_a_warm_check_reads_no_image_headers(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from assetgen.core.hashcache import HashCache
    from assetgen.provenance import embed

    manifest = _built_variant_site(tmp_path)
    cache_file = tmp_path / "hashes.json"
    reads: list[object] = []
    original = embed.read_record_file
    monkeypatch.setattr(embed, "read_record_file", lambda p: reads.append(p) or original(p))
    cold = HashCache(cache_file)
    assert [f.state for f in check(manifest, hashes=cold).findings] == ["draft"]
    cold.save()
    assert len(reads) == 2  # the main file and its variant
    assert [f.state for f in check(manifest, hashes=HashCache(cache_file)).findings] == ["draft"]
    assert len(reads) == 2
