"""`assetgen init`: scaffold a repository for assetgen, idempotently.

It writes a commented `assetgen.yaml` (never over an existing one) with a
`yaml-language-server` line pointing at `assetgen.schema.json`, which it writes
next to it; adds the `assetgen-verify` hook to `.pre-commit-config.yaml`
(round-trip YAML: comments and layout kept); ignores `.assetgen/` in
`.gitignore`; and writes an assetgen section into AGENTS.md for coding agents.
Running it again changes nothing.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from assetgen import __version__
from assetgen.core.canonical import readable_json
from assetgen.core.fsutil import atomic_write, escapes
from assetgen.errors import EXIT_OK, EXIT_PROBLEMS, UsageError
from assetgen.manifest.generators import Detection
from assetgen.manifest.generators.detect import detect, sources_for
from assetgen.manifest.json_schema import build_schema
from assetgen.manifest.locate import MANIFEST_NAME

HOOK_REPO = "https://github.com/assetgen/assetgen"  # placeholder until assetgen is published
HOOK_ID = "assetgen-verify"
SCHEMA_NAME = "assetgen.schema.json"
SCHEMA_LINE = f"# yaml-language-server: $schema=./{SCHEMA_NAME}"
PRE_COMMIT = ".pre-commit-config.yaml"
AGENTS = "AGENTS.md"
MARK_START = "<!-- assetgen:start -->"
MARK_END = "<!-- assetgen:end -->"
STATE_DIR = ".assetgen/"
OUTPUT_CANDIDATES = ("public", "static", "docs", "assets")
DEFAULT_OUTPUT = "public"
# Folders whose pages are worth scanning, and the page suffixes assetgen can read.
SOURCE_FOLDERS = ("src", "content", "layouts", "templates", "_layouts", "_includes", "_posts",
                  "pages", "app", "components", "docs")
PAGE_SUFFIXES = (".html", ".htm", ".md", ".markdown", ".mdx", ".astro", ".jsx", ".tsx", ".vue",
                 ".svelte", ".njk", ".liquid", ".j2", ".jinja", ".css", ".scss")
SKIP_DIRS = frozenset({"node_modules", ".git", ".venv", "venv", "__pycache__", "dist", "build",
                       ".assetgen", "vendor"})
WALK_LIMIT = 5000  # files looked at per folder when guessing sources
_IGNORE_LINES = frozenset({".assetgen", ".assetgen/", "/.assetgen", "/.assetgen/", ".assetgen/*",
                           "/.assetgen/*", "**/.assetgen", "**/.assetgen/", ".assetgen/**"})


@dataclass(frozen=True)
class InitStep:
    verb: str  # created | updated | unchanged | kept | skipped
    name: str  # the file
    detail: str = ""


@dataclass
class InitResult:
    """One step per file, in the order they were written."""

    steps: list[InitStep] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if any(s.verb == "skipped" for s in self.steps) else EXIT_OK


def _write_if_changed(path: Path, text: str) -> str:
    """Write ``text`` unless the file already holds exactly it: created/updated/unchanged."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return "unchanged"
        verb = "updated"
    except FileNotFoundError:
        verb = "created"
    atomic_write(path, data)
    return verb


# -- guessing -------------------------------------------------------------------


def guess_output_dir(root: Path) -> tuple[str, bool]:
    """The first of public/, static/, docs/, assets/ that exists; else public (not found)."""
    for name in OUTPUT_CANDIDATES:
        if (root / name).is_dir():
            return name, True
    return DEFAULT_OUTPUT, False


def _suffixes_below(folder: Path) -> list[str]:
    found: set[str] = set()
    seen = 0
    for _folder, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in files:
            suffix = os.path.splitext(name)[1].lower()
            if suffix in PAGE_SUFFIXES:
                found.add(suffix)
            seen += 1
        if seen > WALK_LIMIT or len(found) == len(PAGE_SUFFIXES):
            break
    return [s for s in PAGE_SUFFIXES if s in found]


def guess_sources(root: Path, output_dir: str) -> list[str]:
    """Globs for the page suffixes that really exist in the usual places."""
    folders = [output_dir, *(f for f in SOURCE_FOLDERS if f != output_dir)]
    patterns = []
    for folder in folders:
        path = root / folder
        if not path.is_dir() or path.is_symlink():
            continue
        patterns += [f"{folder}/**/*{suffix}" for suffix in _suffixes_below(path)]
    return patterns


def _brand(root: Path) -> str:
    name = re.sub(r"[-_.]+", " ", root.resolve().name).strip()
    return name.title() if name else "Our site"


# -- the files ------------------------------------------------------------------


_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 _./-]*$")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def yaml_scalar(value: object) -> str:
    """A YAML string: plain when that is unambiguous, else JSON-quoted (valid YAML)."""
    import json

    text = str(value)
    if _PLAIN.match(text) and text == text.strip() and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def render_manifest(output_dir: str, sources: list[str], *, guessed: bool,
                    brand: str, generator: Detection | None = None) -> str:
    import jinja2

    source = resources.files("assetgen").joinpath("templates/assetgen.yaml.j2")
    env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["yaml_str"] = yaml_scalar
    return env.from_string(source.read_text(encoding="utf-8")).render(
        schema_line=SCHEMA_LINE, schema=f"./{SCHEMA_NAME}", output_dir=output_dir, sources=sources,
        guessed=guessed, brand=brand, version=__version__,
        generator=generator.generator.name if generator else "",
        generator_why=generator.why if generator else "")


def agents_section(output_dir: str) -> str:
    out = output_dir.rstrip("/") + "/"
    return f"""{MARK_START}
## Images (assetgen)

Every image this repository publishes is declared in `{MANIFEST_NAME}` and made by
assetgen; each generated file in `{out}` has a `<image>.provenance.json` sidecar that
records how it was made. `assetgen verify` (pre-commit and CI) rejects images without it.

- **Need an image?** Declare it under `assets:` in `{MANIFEST_NAME}` (`id`, `path` below
  `{out}`, `prompt`; shared style goes in `vars:`), then run `assetgen build`. Without an
  API key or network, `assetgen build --draft` writes a labelled placeholder to replace later.
- **Never hand-place generated images** in `{out}` and never edit one in place: change its
  entry (prompt, size, quality) and rebuild. Hand-made images (logos, photos) go under
  `static:` with `author` and `license`.
- **Made one with Codex's built-in image tool?** Adopt it so its lineage is recorded:
  `assetgen adopt ~/.codex/generated_images/<session>/<file>.png --id <id> --prompt "<prompt>"
  --route codex --session <session>`.
- **Before committing**, run `assetgen verify`; `assetgen plan` lists what is missing or
  stale and what the next build would cost.
{MARK_END}
"""


def merge_agents(existing: str | None, section: str) -> str:
    if existing is None:
        return "# AGENTS.md\n\nInstructions for coding agents working in this repository.\n\n" \
            + section
    start, end = existing.find(MARK_START), existing.find(MARK_END)
    if start != -1 and end > start:
        tail = existing[end + len(MARK_END):]
        return existing[:start] + section.rstrip("\n") + tail
    if not existing.strip() or existing.endswith("\n\n"):
        glue = ""
    else:
        glue = "\n" if existing.endswith("\n") else "\n\n"
    return existing + glue + section


def merge_gitignore(existing: str | None) -> str | None:
    """The new .gitignore text, or None when `.assetgen/` is already ignored."""
    lines = (existing or "").splitlines()
    if any(line.strip() in _IGNORE_LINES for line in lines):
        return None
    text = existing or ""
    if text and not text.endswith("\n"):
        text += "\n"
    if text.strip():
        text += "\n"
    return text + "# assetgen: local build state (lock, masters cache, hash cache)\n" \
        + STATE_DIR + "\n"


def _hook_entry() -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    hooks = CommentedSeq([CommentedMap([("id", HOOK_ID)])])
    return CommentedMap([("repo", HOOK_REPO), ("rev", f"v{__version__}"), ("hooks", hooks)])


NEW_PRE_COMMIT = f"""\
# pre-commit hooks (https://pre-commit.com): pip install pre-commit && pre-commit install
repos:
  # assetgen: refuse commits that reference images without lineage
  - repo: {HOOK_REPO}
    rev: v{__version__}
    hooks:
      - id: {HOOK_ID}
"""


def _has_hook(data: Any) -> bool:
    repos = data.get("repos") if isinstance(data, dict) else None
    for repo in repos if isinstance(repos, list) else []:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        for hook in hooks if isinstance(hooks, list) else []:
            if isinstance(hook, dict) and hook.get("id") == HOOK_ID:
                return True
    return False


def merge_pre_commit(existing: str) -> str | None:
    """The edited config with the hook appended, or None when it is already there.

    The entry is inserted as text at the end of the `repos:` block, in the file's own
    indentation, so every existing byte (comments, quotes, blank lines) stays as it was.
    Raises ValueError when the file is not a pre-commit config that can be edited.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.util import load_yaml_guess_indent

    if not existing.strip():
        return NEW_PRE_COMMIT
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    try:
        _, indent, offset = load_yaml_guess_indent(existing)
        data = yaml.load(existing)
    except YAMLError as exc:
        raise ValueError(f"not valid YAML ({str(exc).splitlines()[0]})") from exc
    text = existing if existing.endswith("\n") else existing + "\n"
    if data is None:  # comments only
        return text + NEW_PRE_COMMIT.split("\n", 1)[1]
    if not isinstance(data, CommentedMap):  # what the round-trip loader makes of a mapping
        raise ValueError("it is not a YAML mapping with `repos:`")
    if _has_hook(data):
        return None
    repos = data.get("repos")
    if repos is not None and not isinstance(repos, CommentedSeq):
        raise ValueError("`repos:` is not a list")
    indent, offset = indent or 2, offset or 0
    yaml.indent(mapping=max(indent - offset, 2), sequence=max(indent, offset + 2),
                offset=offset)
    if not repos or repos.fa.flow_style():
        # Nothing to keep inside the list: let ruamel write it, in block style.
        data["repos"] = CommentedSeq([_hook_entry()])
        buffer = io.StringIO()
        yaml.dump(data, buffer)
        return buffer.getvalue()
    buffer = io.StringIO()
    yaml.dump({"repos": [_hook_entry()]}, buffer)
    entry = buffer.getvalue().split("\n", 1)[1]
    lines = text.splitlines(keepends=True)
    keys = list(data)
    after = keys.index("repos") + 1
    end = data.lc.key(keys[after])[0] if after < len(keys) else len(lines)
    last_item = repos.lc.item(len(repos) - 1)[0]
    cut = end
    # Blank lines and column-0 comments before the next key belong to that key.
    while cut > last_item + 1 and (not lines[cut - 1].strip() or lines[cut - 1][0] == "#"):
        cut -= 1
    return "".join(lines[:cut]) + entry + "".join(lines[cut:])


# -- the command ----------------------------------------------------------------


def _head(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(4096)
    except OSError:
        return ""


def _existing_output_dir(manifest: Path) -> str | None:
    from ruamel.yaml import YAML

    try:
        data = YAML(typ="safe").load(manifest.read_text(encoding="utf-8"))
    except Exception:  # unreadable or invalid: the loader reports it on the next command
        return None
    value = data.get("output_dir") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def _step(name: str, action: Callable[[], tuple[str, str]]) -> InitStep:
    try:
        verb, detail = action()
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return InitStep("skipped", name, f"{reason}; left as it was")
    return InitStep(verb, name, detail)


def run(cwd: Path, *, output_dir: str | None) -> InitResult:
    root = cwd.resolve()
    if output_dir is not None:
        output_dir = output_dir.strip().rstrip("/") or "."
        why = escapes(output_dir, root)
        if why:
            raise UsageError(f"--output-dir {output_dir} is refused: {why}",
                             hint="give a folder inside this one, e.g. public")
    manifest = root / MANIFEST_NAME

    def write_manifest() -> tuple[str, str]:
        nonlocal output_dir
        if manifest.exists():
            # The manifest is the truth: the loader's default output_dir is public.
            output_dir = _existing_output_dir(manifest) or DEFAULT_OUTPUT
            detail = "it exists; init never overwrites it"
            if SCHEMA_LINE not in _head(manifest):
                detail += f" — for editor completion, make `{SCHEMA_LINE}` its first line"
            return "kept", detail
        detected = detect(root)
        guessed, found = guess_output_dir(root)
        if detected is not None:
            guessed, found = detected.generator.output_dir, True
        how = "given" if output_dir is not None else "found" if found else "default"
        chosen = output_dir or guessed
        sources = sources_for(root, detected.generator) if detected is not None else []
        sources = sources or guess_sources(root, chosen)
        text = render_manifest(chosen, sources, guessed=how == "found", brand=_brand(root),
                               generator=detected)
        _write_if_changed(manifest, text)
        output_dir = chosen
        globs = f"{len(sources)} source glob" + ("" if len(sources) == 1 else "s") \
            if sources else "no pages found yet: edit `sources:`"
        site = f"generator {detected.generator.name} ({detected.why}), " if detected else ""
        return "created", f"{site}output_dir {chosen}/ ({how}), {globs}"

    def write_schema() -> tuple[str, str]:
        verb = _write_if_changed(root / SCHEMA_NAME, readable_json(build_schema()))
        return verb, "editors validate assetgen.yaml against it"

    def write_pre_commit() -> tuple[str, str]:
        path = root / PRE_COMMIT
        existing = path.read_text(encoding="utf-8") if path.exists() else None
        new = NEW_PRE_COMMIT if existing is None else merge_pre_commit(existing)
        if new is None:
            return "unchanged", f"the {HOOK_ID} hook is already there"
        verb = _write_if_changed(path, new)
        return verb, f"added the {HOOK_ID} hook; run `pre-commit install`"

    def write_gitignore() -> tuple[str, str]:
        path = root / ".gitignore"
        existing = path.read_text(encoding="utf-8") if path.exists() else None
        new = merge_gitignore(existing)
        if new is None:
            return "unchanged", f"{STATE_DIR} is already ignored"
        return _write_if_changed(path, new), f"ignores {STATE_DIR}"

    def write_agents() -> tuple[str, str]:
        path = root / AGENTS
        existing = path.read_text(encoding="utf-8") if path.exists() else None
        new = merge_agents(existing, agents_section(output_dir or DEFAULT_OUTPUT))
        verb = _write_if_changed(path, new)
        detail = {"created": "instructions for coding agents",
                  "updated": "wrote the assetgen section",
                  "unchanged": "the assetgen section is up to date"}[verb]
        return verb, detail

    # One after the other: the agents section names the output_dir the manifest settled.
    return InitResult([_step(name, action) for name, action in (
        (MANIFEST_NAME, write_manifest), (SCHEMA_NAME, write_schema),
        (PRE_COMMIT, write_pre_commit), (".gitignore", write_gitignore),
        (AGENTS, write_agents))])
