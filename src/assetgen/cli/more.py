"""Commands beyond build and plan, registered on the same click group.

Each adapter only turns arguments into a call of `assetgen.commands.<name>.run`,
imported lazily so that `assetgen --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from assetgen.cli.app import _globals, _json_option, cli
from assetgen.cli.console import Console


@cli.command()
@click.argument("files", nargs=-1, metavar="[FILE]...")
@click.option("--strict", is_flag=True,
              help="Also fail on stale, draft and unreferenced assets (for CI on main).")
@click.option("--no-cache", is_flag=True, help="Re-hash every file instead of trusting "
              "the size/mtime/inode cache.")
@_json_option
@click.pass_context
def verify(ctx: click.Context, files: tuple[str, ...], strict: bool, no_cache: bool,
           json_mode: bool) -> int:
    """Check lineage: every referenced image declared, recorded and untouched.

    With FILE arguments (as pre-commit passes them) only what those files touch
    is checked; with none, the whole repository.

    \b
    Examples:
      assetgen verify                 # the whole site
      assetgen verify --strict        # CI on main: stale and drafts fail too
      assetgen verify public/img/hero.webp
    """
    from assetgen.commands import verify as command

    g = _globals(ctx)
    return command.run(g.manifest, g.cwd, list(files), strict=strict, no_cache=no_cache,
                       json_mode=json_mode, console=Console(json_mode=json_mode))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--id", "asset_id", required=True, help="The asset id to record it as.")
@click.option("--prompt", required=True, help="The prompt that made the image.")
@click.option("--path", "target", help="Where it goes below output_dir "
              "(default: the asset's path, or img/<id><suffix>).")
@click.option("--route", type=click.Choice(["adopted", "codex"]), default="adopted",
              show_default=True, help="Record as made by Codex's image tool or elsewhere.")
@click.option("--model", default="gpt-image-2", show_default=True)
@click.option("--quality", type=click.Choice(["low", "medium", "high", "auto"]),
              default="auto", show_default=True)
@click.option("--session", help="The Codex session id that made it.")
@click.option("--force", is_flag=True, help="Replace an existing asset with this id.")
@_json_option
@click.pass_context
def adopt(ctx: click.Context, file: Path, asset_id: str, prompt: str, target: str | None,
          route: str, model: str, quality: str, session: str | None, force: bool,
          json_mode: bool) -> int:
    """Record lineage for an image made outside assetgen.

    \b
    Example:
      assetgen adopt ~/.codex/generated_images/<session>/ig_1.png \\
          --id team-photo --prompt "..." --route codex --session <session>
    """
    from assetgen.commands import adopt as command

    g = _globals(ctx)
    return command.run(g.manifest, g.cwd, file if file.is_absolute() else g.cwd / file,
                       asset_id=asset_id, prompt=prompt, target=target, route=route,
                       model=model, quality=quality, session=session, force=force,
                       json_mode=json_mode, console=Console(json_mode=json_mode))


@cli.command()
@click.option("--route", type=click.Choice(["images", "responses", "gateway", "codex",
                                            "draft"]),
              help="The route to diagnose (default: the manifest's default route).")
@click.option("--live", is_flag=True, help="Also make one minimal low-quality generation.")
@_json_option
@click.pass_context
def doctor(ctx: click.Context, route: str | None, live: bool, json_mode: bool) -> int:
    """Diagnose a route surface by surface and print an evidence packet.

    \b
    Example:
      assetgen doctor --route responses --live
    """
    from assetgen.commands import doctor as command

    g = _globals(ctx)
    return command.run(g.manifest, g.cwd, route=route, live=live, json_mode=json_mode,
                       console=Console(json_mode=json_mode))


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the page (default: .assetgen/report.html).")
@_json_option
@click.pass_context
def report(ctx: click.Context, output: Path | None, json_mode: bool) -> int:
    """Write a self-contained HTML gallery of every asset.

    \b
    Example:
      assetgen report -o report.html
    """
    from assetgen.commands import report as command

    g = _globals(ctx)
    if output is not None and not output.is_absolute():
        output = g.cwd / output
    return command.run(g.manifest, g.cwd, output=output, json_mode=json_mode,
                       console=Console(json_mode=json_mode))


@cli.command()
@click.option("--output-dir", help="The folder images go below (default: guessed).")
@click.pass_context
def init(ctx: click.Context, output_dir: str | None) -> int:
    """Scaffold assetgen.yaml, the pre-commit hook and agent instructions (idempotent).

    \b
    Example:
      assetgen init && assetgen build --draft
    """
    from assetgen.commands import init as command

    return command.run(_globals(ctx).cwd, output_dir=output_dir, console=Console())


@cli.command()
def schema() -> int:
    """Print the JSON Schema of assetgen.yaml (for editors and validators).

    \b
    Example:
      assetgen schema > assetgen.schema.json
    """
    from assetgen.commands import schema as command

    return command.run(console=Console(json_mode=True))


@cli.command()
@click.argument("asset_id", metavar="ID")
@click.option("--sizes", "sizes_attr", help="The sizes attribute (default: 100vw).")
@click.pass_context
def snippet(ctx: click.Context, asset_id: str, sizes_attr: str | None) -> int:
    """Print ready HTML (<picture> with srcset, width/height, alt) for an asset.

    \b
    Example:
      assetgen snippet hero --sizes "(min-width: 960px) 960px, 100vw"
    """
    from assetgen.commands import snippet as command

    g = _globals(ctx)
    return command.run(g.manifest, g.cwd, asset_id, sizes_attr=sizes_attr, console=Console())
