"""`assetgen adopt`: where the image, its sidecar and its entry went, or the adopt document."""

from __future__ import annotations

from typing import Any

from assetgen.cli.console import Console
from assetgen.commands.adopt import AdoptResult


def show(console: Console, result: AdoptResult) -> None:
    if console.json_mode:
        console.emit_json(adopt_document(result))
        return
    converted = result.converted
    how = f", converted {converted['from']} → {converted['to']}" if converted else ""
    console.print(f"adopted {result.show(result.source)} as `{result.asset_id}` "
                  f"(route {result.route}{how})")
    console.print(f"  image:    {result.show(result.image)}")
    console.print(f"  sidecar:  {result.show(result.sidecar)}")
    console.print(f"  manifest: {result.action} entry `{result.asset_id}` in "
                  f"{result.show(result.manifest)}")
    console.print(f"  state:    {result.state}")
    if result.previous is not None:
        console.log(f"note: the previous image {result.show(result.previous)} (and its "
                    "sidecar) is no longer declared; delete it, or `assetgen verify` reports "
                    "it as untracked")


def adopt_document(result: AdoptResult) -> dict[str, Any]:
    return {
        "asset": result.asset_id, "action": result.action, "path": result.show(result.image),
        "sidecar": result.show(result.sidecar), "manifest": result.show(result.manifest),
        "route": result.route, "billing": result.billing, "session": result.session,
        "format": result.format, "converted": result.converted,
        "spec_hash": result.spec_hash, "state": result.state, "exit_code": result.exit_code,
    }
