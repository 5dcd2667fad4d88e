"""`assetgen schema`: print the JSON Schema of assetgen.yaml."""

from __future__ import annotations

from assetgen.cli.console import Console
from assetgen.errors import EXIT_OK
from assetgen.manifest.json_schema import build_schema


def run(*, console: Console) -> int:
    console.emit_json(build_schema())
    return EXIT_OK
