"""`assetgen snippet ID`: ready HTML for an asset — `<picture>` with srcset, sizes, width,
height and alt — rendered from what the asset's sidecar says was published.

The built-in template is `templates/snippet.html.j2`; a manifest's `snippet_template:`
replaces it (same variables). The HTML goes to stdout, warnings to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assetgen.commands.common import open_manifest, select_assets
from assetgen.console import Console, shell_command
from assetgen.errors import EXIT_OK, EXIT_PROBLEMS, ConfigError
from assetgen.manifest import Manifest
from assetgen.published import Published, published

BUILTIN = "snippet.html.j2"


def run(manifest_path: Path | None, cwd: Path, asset_id: str, *, sizes_attr: str | None,
        console: Console) -> int:
    manifest = open_manifest(manifest_path, cwd)
    asset = select_assets(manifest, [asset_id], with_inputs=False)[0]
    found = published(asset)
    if found is None:
        console.error(f"`{asset.id}` has not been built yet ({manifest.rel(asset.file)} or its "
                      f"sidecar is missing) — run `{shell_command('build', asset.id)}` "
                      "(or `--draft`)")
        return EXIT_PROBLEMS
    if asset.alt is None:
        console.log(f"warning: `{asset.id}` has no `alt:` in {manifest.rel(manifest.file)}; "
                    'the snippet says alt="" (right only for decorative images)')
    if asset.has_variants and not found.variants:
        console.log(f"warning: `{asset.id}` declares variants but its sidecar lists none; "
                    f"run `{shell_command('build', asset.id)}`")
    console.print(render(manifest, found, sizes=sizes_attr))
    return EXIT_OK


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


def render(manifest: Manifest, found: Published, *, sizes: str | None = None) -> str:
    import jinja2

    template_path = manifest.snippet_template
    if template_path is None:
        loader: jinja2.BaseLoader = jinja2.PackageLoader("assetgen", "templates")
        name = BUILTIN
    else:
        loader = jinja2.FileSystemLoader(str(template_path.parent))
        name = template_path.name
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=False)
    where = manifest.rel(template_path) if template_path else f"built-in {BUILTIN}"
    try:
        return env.get_template(name).render(**context(found, sizes)).strip()
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{where}:{exc.lineno}: invalid snippet template: {exc.message}",
                          hint="fix the Jinja2 syntax") from exc
    except jinja2.TemplateError as exc:
        raise ConfigError(f"{where}: the snippet template failed: {exc}",
                          hint="variables: asset, src, width, height, alt, sizes, srcset, "
                               "sources, files") from exc
