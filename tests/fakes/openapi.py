"""Schemas from the official OpenAI API description, for validating emulator traffic.

The description (``openapi.yaml``, ~87k lines) is found through ``ASSETGEN_OPENAPI`` or at
``<repo>/../shared/openai/openapi.yaml``. Parsing it takes about a second even with the
libyaml loader, so the subset of ``components.schemas`` we need (the schemas in
:data:`SCHEMA_NAMES` plus everything they reference) is cached as JSON in the system
temp dir, keyed by the spec file's sha256.

The document says ``openapi: 3.1.0`` (JSON Schema 2020-12) but still uses the 3.0-only
``nullable: true`` in about a hundred places; 2020-12 ignores that keyword, which would
make ``"quality": null`` invalid although the API accepts it. It also uses ``oneOf`` for
unions whose branches overlap (a Responses ``input`` message ``{"role": "user", "content":
[...]}`` matches both ``Item`` and ``EasyInputMessage``, so a strict ``oneOf`` rejects the
canonical request). :func:`_normalize` therefore turns ``nullable`` into an explicit
``"null"`` alternative and ``oneOf`` into ``anyOf`` before validators are compiled; type,
enum, required and range checks are unaffected.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_NAMES: tuple[str, ...] = (
    "CreateImageRequest",
    "CreateImageEditRequest",
    "ImagesResponse",
    "ImageGenTool",
    "ImageGenToolCall",
    "CreateResponse",
    "Response",
    # Files and Batch APIs (tests/fakes/emulator_batch.py)
    "CreateFileRequest",
    "OpenAIFile",
    "CreateBatchRequest",
    "Batch",
    "ListBatchesResponse",
    "EditImageBodyJsonParam",
)
_CACHE_FORMAT = 1  # bump when the cached layout changes
_ROOT_URI = "urn:assetgen:openai-openapi"
_REF_PREFIX = "#/components/schemas/"
_MAX_MESSAGE = 300

_lock = threading.Lock()
_schemas: dict[str, Any] | None = None
_registry: Registry | None = None
_validators: dict[str, Draft202012Validator] = {}
last_load: dict[str, Any] = {}  # {"source": "yaml" | "cache", "seconds": float, "path": str}


class OpenAPISpecError(RuntimeError):
    """The OpenAI API description is missing or lacks a schema we need."""


# Captured at import too: test fixtures that scrub ASSETGEN_* variables run after this module
# is imported (via conftest), but before the first lazy load.
_ENV_AT_IMPORT = os.environ.get("ASSETGEN_OPENAPI")


def spec_path() -> Path:
    env = os.environ.get("ASSETGEN_OPENAPI") or _ENV_AT_IMPORT
    if env:
        path = Path(env)
    else:
        repo_root = Path(__file__).resolve().parents[2]
        path = repo_root.parent / "shared" / "openai" / "openapi.yaml"
    if not path.is_file():
        raise OpenAPISpecError(
            f"OpenAI API description not found at {path}; set ASSETGEN_OPENAPI to the "
            "path of openapi.yaml (https://github.com/openai/openai-openapi)"
        )
    return path


def cache_path(spec: Path) -> Path:
    digest = hashlib.sha256(spec.read_bytes()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"assetgen-openapi-v{_CACHE_FORMAT}-{digest}.json"


def _collect_refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            out.add(ref[len(_REF_PREFIX) :])
        for value in node.values():
            _collect_refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _collect_refs(value, out)


def _extract(all_schemas: dict[str, Any]) -> dict[str, Any]:
    wanted = [name for name in SCHEMA_NAMES if name in all_schemas]
    subset: dict[str, Any] = {}
    todo = list(wanted)
    while todo:
        name = todo.pop()
        if name in subset:
            continue
        if name not in all_schemas:
            raise OpenAPISpecError(f"schema {name!r} is referenced but not defined")
        subset[name] = all_schemas[name]
        refs: set[str] = set()
        _collect_refs(subset[name], refs)
        todo.extend(sorted(refs - subset.keys()))
    return subset


def _load_yaml(spec: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with spec.open("rb") as fh:
        doc = yaml.load(fh, Loader=loader)
    return doc


def _read_or_build_cache(spec: Path) -> tuple[dict[str, Any], str]:
    cache = cache_path(spec)
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        # The names too: a cache built for fewer schemas is rebuilt, not trusted.
        if data.get("format") == _CACHE_FORMAT and data.get("names") == list(SCHEMA_NAMES):
            return data["schemas"], "cache"
    except (OSError, ValueError, KeyError):
        pass
    doc = _load_yaml(spec)
    subset = _extract(doc.get("components", {}).get("schemas", {}))
    payload = {
        "format": _CACHE_FORMAT,
        "names": list(SCHEMA_NAMES),
        "openapi": doc.get("openapi"),
        "spec": str(spec),
        "schemas": subset,
    }
    fd, tmp = tempfile.mkstemp(prefix=cache.name + ".", suffix=".tmp", dir=cache.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, cache)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
    return subset, "yaml"


def _normalize(node: Any) -> Any:
    """Rewrite OpenAPI 3.0 ``nullable: true`` as JSON Schema 2020-12 null alternatives."""
    if isinstance(node, list):
        return [_normalize(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _normalize(v) for k, v in node.items()}
    if "oneOf" in out:
        one_of = out.pop("oneOf")
        if "anyOf" in out:
            out["allOf"] = [*out.get("allOf", []), {"anyOf": one_of}]
        else:
            out["anyOf"] = one_of
    if out.pop("nullable", False) is True:
        typ = out.get("type")
        if isinstance(typ, str):
            out["type"] = [typ, "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif isinstance(typ, list):
            if "null" not in typ:
                out["type"] = [*typ, "null"]
        elif "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
        elif "$ref" in out or "allOf" in out:
            inner = {k: out.pop(k) for k in ("$ref", "allOf") if k in out}
            out["anyOf"] = [inner, {"type": "null"}]
    return out


def load_schemas(*, force: bool = False) -> dict[str, Any]:
    """Return the normalized schema subset (``name -> schema``), loading it once."""
    global _schemas, _registry
    import time

    with _lock:
        if _schemas is not None and not force:
            return _schemas
        started = time.perf_counter()
        spec = spec_path()
        raw, source = _read_or_build_cache(spec)
        missing = [n for n in SCHEMA_NAMES if n not in raw and n != "Response"]
        if missing:
            raise OpenAPISpecError(f"{spec} lacks schemas: {', '.join(missing)}")
        schemas = _normalize(raw)
        root = {"components": {"schemas": schemas}}
        resource = Resource.from_contents(root, default_specification=DRAFT202012)
        _registry = Registry().with_resource(_ROOT_URI, resource)
        _schemas = schemas
        _validators.clear()
        last_load.update(source=source, seconds=time.perf_counter() - started, path=str(spec))
        return _schemas


def schema(name: str) -> dict[str, Any]:
    """A deep copy of one (normalized) schema, e.g. to read enums."""
    schemas = load_schemas()
    if name not in schemas:
        raise OpenAPISpecError(f"unknown schema {name!r}")
    return copy.deepcopy(schemas[name])


def has_schema(name: str) -> bool:
    return name in load_schemas()


def validator(name: str) -> Draft202012Validator:
    load_schemas()
    with _lock:
        found = _validators.get(name)
        if found is None:
            assert _schemas is not None and _registry is not None
            if name not in _schemas:
                raise OpenAPISpecError(f"unknown schema {name!r}")
            ref = {"$ref": f"{_ROOT_URI}{_REF_PREFIX}{name}"}
            found = Draft202012Validator(ref, registry=_registry)
            _validators[name] = found
        return found


def _short(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _leaves(error: ValidationError) -> list[ValidationError]:
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaves(sub)]


def _is_discriminator_miss(error: ValidationError) -> bool:
    path = list(error.absolute_path)
    return error.validator in ("enum", "const") and bool(path) and path[-1] == "type"


def _describe(error: ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "<root>"
    text = f"{where}: {_short(error.message)}"
    if not error.context:
        return text
    # anyOf: most branches fail on their ``type`` discriminator; the deepest remaining
    # complaints are the ones that explain what is wrong with the intended branch.
    leaves = [e for e in _leaves(error) if not _is_discriminator_miss(e)] or _leaves(error)
    leaves.sort(key=lambda e: -len(e.absolute_path))
    picked: list[str] = []
    for leaf in leaves:
        inner = "/".join(str(p) for p in leaf.absolute_path) or "<root>"
        line = f"{inner}: {_short(leaf.message)}"
        if line not in picked:
            picked.append(line)
        if len(picked) == 3:
            break
    return text + " (closest: " + "; ".join(picked) + ")"


def validate(schema_name: str, payload: Any) -> list[str]:
    """Validate ``payload`` against ``#/components/schemas/<schema_name>``.

    Returns human-readable error strings; an empty list means valid.
    """
    v = validator(schema_name)
    errors = sorted(v.iter_errors(payload), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{schema_name}: {_describe(e)}" for e in errors]


def enum_values(schema_name: str, prop: str) -> list[Any]:
    """Enum values declared for a top-level property (searching anyOf/oneOf branches)."""
    node = load_schemas()[schema_name].get("properties", {}).get(prop, {})
    found: list[Any] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            found.extend(v for v in cur.get("enum", []) if v not in found)
            stack.extend(cur.get("anyOf", []))
    return [v for v in found if v is not None]
