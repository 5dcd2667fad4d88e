"""Content Credentials (C2PA) and the AI marking of what assetgen publishes (SPEC 8).

Reading uses the official bindings, `c2pa-python` (c2pa-rs inside): the field's own
library, the one that validates signatures, certificate chains and hard bindings the way
every C2PA reader does. It is imported only here and only when an image is actually read
or signed (`import c2pa` costs ~50 ms; `verify --help` must start in under 0.3 s).

Every image a route returns, and every file in a repository, is hostile input: whatever
the library raises on a corrupt manifest is caught and becomes `state: "unreadable"`, and
sizes are capped before anything reaches it.

Only reading and checking live here (verify imports this module on every commit); making
the published files from a master is `build/publishing.py`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from assetgen.images.headers import read_header
from assetgen.provenance import embed
from assetgen.provenance.record import Record
from assetgen.provenance.sidecar import claimed
from assetgen.routes.registry import generating_record_values

if TYPE_CHECKING:
    from assetgen.build.signing import Settings as SigningSettings

MAX_IMAGE_BYTES = 64 * 1024 * 1024  # larger than any image a route returns
MAX_STORE_JSON = 4 * 1024 * 1024  # a manifest store's JSON report; real ones are a few KB
MAX_INGREDIENT_DEPTH = 8
GENERATING_ROUTES = generating_record_values()  # the sidecar `route` values of AI images
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp",
         "avif": "image/avif"}
_CREATED = "c2pa.created"


class Credentials(NamedTuple):
    """What an image's C2PA manifest says, as recorded in a sidecar's `c2pa` field."""

    state: str  # Trusted | Valid | Invalid | unreadable
    issuer: str | None = None
    claim_generator: str | None = None
    digital_source_type: str | None = None
    problem: str | None = None  # why the library could not read it, or failure codes

    @property
    def valid(self) -> bool:
        return self.state in ("Valid", "Trusted")

    @property
    def declares_ai(self) -> bool:
        return self.digital_source_type in embed.AI_SOURCE_TYPES

    def as_sidecar(self) -> dict[str, Any]:
        fields = {"state": self.state, "issuer": self.issuer,
                  "claim_generator": self.claim_generator,
                  "digital_source_type": self.digital_source_type, "problem": self.problem}
        return {key: value for key, value in fields.items() if value is not None}


def source_type_for(route: str, input_paths: Iterable[Path]) -> str | None:
    """The IPTC digital source type a published file of ``route`` claims (None: no claim).

    Drafts and adopted images claim nothing. An edit is `trainedAlgorithmicMedia` only when
    every input is itself a generated image (its sidecar names a generating route);
    otherwise it is a composite with AI-generated content.
    """
    if route not in GENERATING_ROUTES:
        return None
    for path in input_paths:
        if _recorded_route(path) not in GENERATING_ROUTES:
            return embed.COMPOSITE
    return embed.TRAINED


def keeps_marking(found: Credentials | None) -> bool:
    """Whether a route's image may be published unchanged as its own AI marking: its
    manifest validates and declares an AI digital source type (SPEC 8's one exception)."""
    return found is not None and found.valid and found.declares_ai


MARKED_FORMATS = frozenset({"png", "jpeg", "webp", "avif"})


def marking_problem(path: Path, route: Any) -> str | None:
    """Why a published file of a generated image carries no AI marking (None: it does, or
    it need not: not generated, or a format the marking is not written in).

    Marked means an IPTC AI digital source type in its XMP, or (the route's bytes published
    unchanged) a valid C2PA manifest declaring one.
    """
    if route not in GENERATING_ROUTES:
        return None
    header = read_header(path)
    if header is None:  # unreadable: its lineage state says so already
        return None
    fmt, declared = header.format, embed.source_type_from_info(header.text)
    if fmt not in MARKED_FORMATS or declared in embed.AI_SOURCE_TYPES:
        return None
    found = read_file(path)
    if keeps_marking(found):
        return None
    if declared:
        return f"its XMP declares digital source type `{declared}`, not an AI-generated one"
    if found is not None:
        return (f"no IPTC AI marking in its XMP, and its C2PA manifest ({found.state}) does "
                "not validate with an AI digital source type")
    return "no IPTC AI marking (Iptc4xmpExt:DigitalSourceType) in its XMP and no C2PA manifest"


UNMARKED_REMEDY = ("run `assetgen build ID --force` to publish it with the marking (or "
                   "restore the file if a tool stripped its metadata)")
UNCREDENTIALED_REMEDY = ("run `assetgen build ID --force` to sign it again (or restore the "
                         "file: anything that rewrites it after signing breaks its manifest)")


def signing_tag(settings: SigningSettings | None) -> str:
    """What a memoised file check depends on besides the file: signing and trust anchors."""
    if settings is None or not settings.sign:
        return "unsigned"
    import hashlib

    anchors = settings.anchors_pem() or ""
    return "signed:" + hashlib.sha256(anchors.encode()).hexdigest()[:16]


def file_findings(path: Path, route: Any, settings: SigningSettings | None
                  ) -> list[list[str]]:
    """[state, problem, remedy] of a published file: `unmarked`, `uncredentialed`."""
    findings = []
    problem = marking_problem(path, route)
    if problem:
        findings.append(["unmarked", problem, UNMARKED_REMEDY])
    if settings is not None and settings.sign and route in GENERATING_ROUTES and (
            path.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp", ".avif")):
        problem = credential_problem(path, settings.anchors_pem())
        if problem:
            findings.append(["uncredentialed", problem, UNCREDENTIALED_REMEDY])
    return findings


def credential_problem(path: Path, anchors: str | None) -> str | None:
    """Why a file's C2PA manifest does not hold (None: it validates). Without trust
    anchors an untrusted signer is accepted (`Valid`); with them it must be `Trusted`."""
    found = read_file(path, trust_anchors=anchors)
    if found is None:
        return "signing is on but the file carries no C2PA manifest"
    if found.state == "Trusted" or (found.state == "Valid" and not anchors):
        return None
    why = f" ({found.problem})" if found.problem else ""
    if found.state == "Valid":
        return f"its C2PA manifest is signed by a certificate the trust anchors do not hold{why}"
    return f"its C2PA manifest does not validate: {found.state}{why}"


def report_facts(sidecar: Record | None) -> list[tuple[str, str]]:
    """The report card's lines on AI marking and Content Credentials, from the sidecar."""
    if sidecar is None:
        return []
    facts = []
    marking = (sidecar.embedded or {}).get("digital_source_type")
    route_c2pa = sidecar.c2pa if isinstance(sidecar.c2pa, dict) else {}
    if isinstance(marking, str):
        facts.append(("AI marking", "IPTC " + marking.rsplit("/", 1)[-1]))
    elif sidecar.c2pa_preserved is True:
        facts.append(("AI marking", "the route's own C2PA manifest (bytes unchanged)"))
    if route_c2pa:
        state = str(route_c2pa.get("state", "?"))
        issuer = route_c2pa.get("issuer")
        kept = "kept" if sidecar.c2pa_preserved else "not kept in the published file"
        facts.append(("Route credentials", f"{state}" + (f", by {issuer}" if issuer else "")
                      + f"; {kept}"))
    if any(isinstance(step, dict) and step.get("op") == "c2pa-sign"
           for step in sidecar.postprocess or ()):
        facts.append(("Signed", "C2PA manifest per file, the route's original as parent"))
    return facts


def _recorded_route(image: Path) -> str | None:
    """The route an input's sidecar names (None: no sidecar, or it names none)."""
    return claimed(image, "route")


def read(data: bytes, *, trust_anchors: str | None = None) -> Credentials | None:
    """The C2PA manifest of an image's bytes, or None when it carries none.

    ``trust_anchors``: PEM roots to validate the signer against (state `Trusted`);
    without them a good signature by an unknown signer is `Valid`.
    """
    if not embed.has_c2pa(data):
        return None  # the cheap structural look first: most files carry no manifest
    if len(data) > MAX_IMAGE_BYTES:
        return Credentials("unreadable", problem=f"image larger than {MAX_IMAGE_BYTES} bytes")
    try:
        import c2pa  # type: ignore[import-untyped]

        settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False}}
        if trust_anchors:
            settings["trust"] = {"user_anchors": trust_anchors}
        context = c2pa.Context.from_dict(settings)
        reader = c2pa.Reader.try_create(_mime_of(data), io.BytesIO(data), context=context)
        if reader is None:
            return None
        try:
            report = reader.json()
        finally:
            reader.close()
    except Exception as exc:  # a hostile or corrupt manifest: never a crash
        return Credentials("unreadable", problem=_one_line(exc))
    if len(report) > MAX_STORE_JSON:
        return Credentials("unreadable", problem="manifest store report too large")
    try:
        return _summarise(json.loads(report))
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        return Credentials("unreadable", problem=_one_line(exc))


def read_file(path: Path, *, trust_anchors: str | None = None) -> Credentials | None:
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            return Credentials("unreadable", problem="file too large to read")
        data = path.read_bytes()
    except OSError as exc:
        return Credentials("unreadable", problem=_one_line(exc))
    return read(data, trust_anchors=trust_anchors)


def _mime_of(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return "image/avif"
    return None  # let the library detect it


def _summarise(store: dict[str, Any]) -> Credentials:
    found = store.get("manifests")
    manifests: dict[str, Any] = found if isinstance(found, dict) else {}
    label = store.get("active_manifest")
    active = manifests.get(label) if isinstance(label, str) else None
    state = store.get("validation_state")
    state = state if isinstance(state, str) else "Invalid"
    failures = _failure_codes(store)
    problem = ", ".join(failures[:5]) or None
    if not isinstance(active, dict):
        return Credentials(state, problem=problem or "no active manifest")
    signature = active.get("signature_info")
    issuer = None
    if isinstance(signature, dict):
        issuer = _text(signature.get("issuer")) or _text(signature.get("common_name"))
    return Credentials(state, issuer=issuer, claim_generator=_generator(active),
                       digital_source_type=_source_type(active, manifests, 0),
                       problem=problem)


def _failure_codes(store: dict[str, Any]) -> list[str]:
    results = store.get("validation_results")
    active = results.get("activeManifest") if isinstance(results, dict) else None
    failures = active.get("failure") if isinstance(active, dict) else None
    if not isinstance(failures, list):
        return []
    return [str(f.get("code"))[:80] for f in failures if isinstance(f, dict)]


def _generator(manifest: dict[str, Any]) -> str | None:
    infos = manifest.get("claim_generator_info")
    if isinstance(infos, list) and infos and isinstance(infos[0], dict):
        name, version = _text(infos[0].get("name")), _text(infos[0].get("version"))
        if name:
            return f"{name} {version}" if version else name
    return _text(manifest.get("claim_generator"))


def _source_type(manifest: dict[str, Any], manifests: dict[str, Any], depth: int
                 ) -> str | None:
    """From the manifest's own `c2pa.created` action, else along its parent ingredient."""
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith(
                "c2pa.actions"):
            continue
        data = assertion.get("data")
        for action in (data.get("actions") or []) if isinstance(data, dict) else []:
            if isinstance(action, dict) and action.get("action") == _CREATED:
                found = _text(action.get("digitalSourceType"))
                if found:
                    return found
    if depth >= MAX_INGREDIENT_DEPTH:
        return None
    for ingredient in manifest.get("ingredients") or []:
        if not isinstance(ingredient, dict) or ingredient.get("relationship") != "parentOf":
            continue
        label = ingredient.get("active_manifest")
        parent = manifests.get(label) if isinstance(label, str) else None
        if isinstance(parent, dict):
            return _source_type(parent, manifests, depth + 1)
    return None


def _text(value: Any) -> str | None:
    return value[:200] if isinstance(value, str) and value else None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
