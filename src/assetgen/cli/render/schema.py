"""`assetgen schema`: the JSON Schema, alone on stdout."""

from __future__ import annotations

from assetgen.cli.console import Console
from assetgen.commands.schema import SchemaResult


def show(console: Console, result: SchemaResult) -> None:
    console.emit_json(result.schema)
