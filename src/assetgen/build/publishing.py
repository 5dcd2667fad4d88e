"""The published files of a master: AI-marked, signed last when signing is on, or the
master itself when its own C2PA manifest is its marking (SPEC 8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assetgen.build import signing, store
from assetgen.build.credentials import Credentials, keeps_marking, read, source_type_for
from assetgen.images import codec as imaging

if TYPE_CHECKING:
    from assetgen.build.signing import Kit
    from assetgen.build.store import Derived
    from assetgen.images.codec import Decoded
    from assetgen.manifest import Asset


def derive_published(master: bytes, asset: Asset, stamp: dict[str, str], route: str,
                     decoded: Decoded | None, kit: Kit | None, trust_anchors: str | None
                     ) -> tuple[Derived, Credentials | None]:
    """The published files of a master (`store.derive`): AI-marked, signed last when
    ``kit`` is set, or the master itself when its manifest is its marking (SPEC 8); and
    the master's own Content Credentials, for the sidecar."""
    found = read(master, trust_anchors=trust_anchors)
    source_type = source_type_for(route, [i.path for i in asset.inputs])
    kit = kit if source_type else None  # drafts and adopted files are not signed
    derived = store.derive(master, asset, record=stamp, decoded=decoded,
                           source_type=source_type,
                           keep_master=kit is None and keeps_marking(found))
    if kit is not None:
        master_format = decoded.info.format if decoded else imaging.header(master).format
        derived = signing.sign_derived(derived, master, master_format, kit,
                                       source_type=source_type,
                                       parent=found is not None and found.state != "unreadable")
    return derived, found
