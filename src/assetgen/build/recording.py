"""The parts of a provenance record that describe the files written (not the request).

`build` makes a record from a route's answer; a re-derivation keeps the previous record's
lineage (route, model, prompt, request ids, usage, cost, inputs, master, route details)
and replaces only what derivation decides: the file's bytes, size and format,
post-processing, variants, the embedded record, the spec hash and the derivation itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetgen import TOOL
from assetgen.build.store import Derived
from assetgen.images.variants import is_variant_name
from assetgen.provenance.record import Record

if TYPE_CHECKING:
    from assetgen.build.credentials import Credentials


def with_files(record: Record, derived: Derived, *, spec_hash: str,
               derivation: dict[str, Any], master: bytes | None,
               credentials: Credentials | None = None) -> Record:
    """``record`` describing the derived files: bytes, size, post-processing, variants,
    embedded record (and ``credentials``, the C2PA manifest the route's image carried)."""
    c2pa = master is not None and credentials is not None
    return record.replace(
        sha256=derived.sha256, bytes=len(derived.data), width=derived.width,
        height=derived.height, format=derived.format,
        postprocess=derived.postprocess or None, spec_hash=spec_hash,
        derivation=derivation, embedded=derived.embedded or None,
        variants=[v.entry() for v in derived.variants] or None,
        # It survives only where the published file is the route's bytes unchanged; a
        # re-encode (or an embedded record) breaks its hard binding. Never claim more.
        c2pa=credentials.as_sidecar() if c2pa and credentials else None,
        c2pa_preserved=(derived.data == master) if c2pa else None)


def rederived(old: Record, derived: Derived, *, spec_hash: str, derivation: dict[str, Any],
              master: bytes, credentials: Credentials | None, asset_id: str, file: str,
              now: str) -> Record:
    """A new record for re-derived files: ``old``'s lineage plus the new file fields."""
    kept = old.replace(asset=asset_id, file=file, tool=TOOL, rederived_at=now)
    return with_files(kept, derived, spec_hash=spec_hash, derivation=derivation,
                      master=master, credentials=credentials)


def obsolete_variants(old: Record | None, derived: Derived, output_dir: Path,
                      asset_path: str) -> list[tuple[Path, str]]:
    """Variant files the previous sidecar listed that the new derivation does not write,
    with their recorded sha256.

    The sidecar is untrusted, so only entries named the way this asset's variants are
    (`img/hero-960w.webp` for `img/hero.webp`) qualify; `store.commit` deletes one only
    when its bytes still match the recorded sha256.
    """
    if old is None:
        return []
    keep = {v.rel for v in derived.variants}
    return [(output_dir / entry["file"], entry["sha256"])
            for entry in old.well_formed_variants()
            if entry["file"] not in keep and is_variant_name(asset_path, entry["file"])]
