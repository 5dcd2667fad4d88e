"""The parts of a provenance record that describe the files written (not the request).

`build` makes a record from a route's answer; a re-derivation keeps the previous record's
lineage (route, model, prompt, request ids, usage, cost, inputs, master) and replaces only
what derivation decides: the file's bytes, size and format, post-processing, variants,
the embedded record, the spec hash and the derivation spec itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetgen import TOOL
from assetgen.build.store import Derived

if TYPE_CHECKING:
    from assetgen.build.credentials import Credentials

# Fields a re-derivation recomputes; everything else in the old record is lineage, kept.
DERIVED_FIELDS = ("sha256", "bytes", "width", "height", "format", "postprocess", "variants",
                  "embedded", "spec_hash", "derivation", "c2pa", "c2pa_preserved", "tool",
                  "rederived_at", "file", "asset")


def file_fields(derived: Derived, *, spec_hash: str, derivation: dict[str, Any],
                master: bytes | None, credentials: Credentials | None = None
                ) -> dict[str, Any]:
    """What the derived files are: bytes, size, post-processing, variants, embedded record."""
    fields: dict[str, Any] = {
        "sha256": derived.sha256, "bytes": len(derived.data),
        "width": derived.width, "height": derived.height, "format": derived.format,
        "postprocess": derived.postprocess or None, "spec_hash": spec_hash,
        "derivation": derivation, "embedded": derived.embedded or None,
        "variants": [v.entry() for v in derived.variants] or None,
    }
    if master is not None and credentials is not None:
        # The route's image carried a C2PA manifest (``credentials``, read from the master).
        # It survives only where the published file is the route's bytes unchanged; a
        # re-encode (or an embedded record) breaks its hard binding. Never claim more.
        fields["c2pa"] = credentials.as_sidecar()
        fields["c2pa_preserved"] = derived.data == master
    return fields


def rederived(old: dict[str, Any], fields: dict[str, Any], *, asset_id: str, file: str,
              now: str) -> dict[str, Any]:
    """A new record for re-derived files: ``old``'s lineage plus the new file fields."""
    record = {key: value for key, value in old.items() if key not in DERIVED_FIELDS}
    record.update(fields)
    record.update(asset=asset_id, file=file, tool=TOOL, rederived_at=now)
    return record


def obsolete_variants(old: dict[str, Any] | None, derived: Derived, output_dir: Path,
                      asset_path: str) -> list[tuple[Path, str]]:
    """Variant files the previous sidecar listed that the new derivation does not write,
    with their recorded sha256.

    The sidecar is untrusted, so only entries named the way this asset's variants are
    (`img/hero-960w.webp` for `img/hero.webp`) qualify; `store.commit` deletes one only
    when its bytes still match the recorded sha256.
    """
    from assetgen.images.variants import is_variant_name, recorded

    keep = {v.rel for v in derived.variants}
    return [(output_dir / entry["file"], entry["sha256"]) for entry in recorded(old)
            if entry["file"] not in keep and is_variant_name(asset_path, entry["file"])]
