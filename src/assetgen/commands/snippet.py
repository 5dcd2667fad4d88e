"""`assetgen snippet ID`: ready HTML for an asset — `<picture>` with srcset, sizes, width,
height and alt — rendered from what the asset's sidecar says was published.

The built-in template is `templates/snippet.html.j2`; a manifest's `snippet_template:`
replaces it (same variables). The HTML goes to stdout, warnings to stderr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from assetgen.commands.common import open_manifest, select_assets
from assetgen.core.remedies import shell_command
from assetgen.errors import EXIT_OK, EXIT_PROBLEMS, ConfigError
from assetgen.manifest import Manifest, templating
from assetgen.manifest.templating import MAX_SOURCE_CHARS
from assetgen.provenance.published import Published, published

BUILTIN = "snippet.html.j2"


@dataclass
class SnippetResult:
    asset_id: str
    html: str | None  # None: the asset has not been built yet (`problem` says so)
    problem: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if self.html is None else EXIT_OK


def run(manifest_path: Path | None, cwd: Path, asset_id: str, *,
        sizes_attr: str | None) -> SnippetResult:
    manifest = open_manifest(manifest_path, cwd)
    asset = select_assets(manifest, [asset_id], with_inputs=False)[0]
    found = published(asset)
    if found is None:
        return SnippetResult(asset.id, None, problem=(
            f"`{asset.id}` has not been built yet ({manifest.rel(asset.file)} or its "
            f"sidecar is missing) — run `{shell_command('build', asset.id)}` (or `--draft`)"))
    warnings = []
    if asset.alt is None:
        warnings.append(f"`{asset.id}` has no `alt:` in {manifest.rel(manifest.file)}; "
                        'the snippet says alt="" (right only for decorative images)')
    if asset.has_variants and not found.variants:
        warnings.append(f"`{asset.id}` declares variants but its sidecar lists none; "
                        f"run `{shell_command('build', asset.id)}`")
    return SnippetResult(asset.id, render(manifest, found, sizes=sizes_attr), warnings=warnings)


def context(found: Published, sizes: str | None = None) -> dict[str, Any]:
    main = found.main
    asset = found.asset
    own = found.candidates(main.format)
    return {
        "asset": {"id": asset.id, "path": asset.path, "alt": asset.alt},
        "src": main.url, "width": main.width, "height": main.height,
        "alt": asset.alt or "", "sizes": sizes or found.sizes,
        "srcset": found.srcset(main.format) if len(own) > 1 else "",
        "sources": found.sources(),
        "files": [main.as_json()] + [v.as_json() for v in found.variants],
    }


MAX_SNIPPET_CHARS = 1_000_000


def render(manifest: Manifest, found: Published, *, sizes: str | None = None) -> str:
    """The snippet, from the built-in template or the manifest's `snippet_template`.

    A manifest's template is repository-held text: it renders in the bounded sandbox of
    `assetgen.manifest.templating`, on its own (no includes or imports).
    """
    import jinja2

    template_path = manifest.snippet_template
    where = manifest.rel(template_path) if template_path else f"built-in {BUILTIN}"
    if template_path is None:
        source = resources.files("assetgen").joinpath(f"templates/{BUILTIN}")
        text = source.read_text(encoding="utf-8")
    else:
        text = _read_template(template_path, where)
    try:
        return templating.render(text, context(found, sizes), autoescape=True,
                                 max_chars=MAX_SNIPPET_CHARS).strip()
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{where}:{exc.lineno}: invalid snippet template: {exc.message}",
                          hint="fix the Jinja2 syntax") from exc
    except (templating.TemplateLimitError, jinja2.exceptions.SecurityError) as exc:
        raise ConfigError(f"{where}: the snippet template is refused by the template sandbox: "
                          f"{str(exc)[:200]}",
                          hint="templates may use the variables, filters, if and for, but no "
                               "Python internals, includes or imports") from exc
    except jinja2.TemplateError as exc:
        raise ConfigError(f"{where}: the snippet template failed: {str(exc)[:200]}",
                          hint=_VARIABLES) from exc
    except Exception as exc:  # an expression failing on the values (a TypeError, say)
        raise ConfigError(f"{where}: the snippet template failed: {type(exc).__name__}: "
                          f"{str(exc)[:200]}", hint=_VARIABLES) from exc


_VARIABLES = "variables: asset, src, width, height, alt, sizes, srcset, sources, files"


def _read_template(path: Path, where: str) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SOURCE_CHARS * 4 + 1)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read the snippet template: "
                          f"{exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: the snippet template is not UTF-8 text") from exc
    if len(data) > MAX_SOURCE_CHARS * 4 or len(text) > MAX_SOURCE_CHARS:
        raise ConfigError(f"{where}: the snippet template is longer than "
                          f"{MAX_SOURCE_CHARS:,} characters")
    return text
