"""`assetgen schema`: the JSON Schema of assetgen.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assetgen.errors import EXIT_OK
from assetgen.manifest.json_schema import build_schema


@dataclass
class SchemaResult:
    schema: dict[str, Any]
    exit_code: int = EXIT_OK


def run() -> SchemaResult:
    return SchemaResult(build_schema())
