"""The click commands: each turns its arguments into a call of
`assetgen.commands.<name>.run`, renders the result with `assetgen.cli.render.<name>.show`
and returns the result's exit code.

The command and render modules are imported inside each function so that
`assetgen --help` (and a pre-commit `verify`) import only what they use.
"""

from __future__ import annotations

from pathlib import Path

import click

from assetgen.cli.console import Console
from assetgen.cli.group import cli, globals_of, json_option
from assetgen.errors import UsageError
from assetgen.routes.registry import ROUTE_NAMES


@cli.command()
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--force", is_flag=True, help="Regenerate even what is fresh.")
@click.option("--dry-run", is_flag=True, help="Print the plan and estimated cost; send nothing.")
@click.option("--check", is_flag=True, help="Exit 1 if anything would be built; send nothing.")
@click.option("--draft", is_flag=True, help="Use the offline draft route for every asset.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Most requests in flight (lowered automatically on HTTP 429).")
@click.option("--max-cost", type=click.FloatRange(min=0), metavar="USD",
              help="Stop scheduling before the estimated spend passes USD (exit 3).")
@click.option("--batch", is_flag=True,
              help="Send images-route requests through the OpenAI Batch API (half price).")
@click.option("--no-wait", is_flag=True,
              help="With --batch: exit after submitting; a later build collects.")
@json_option
@click.pass_context
def build(ctx: click.Context, ids: tuple[str, ...], force: bool, dry_run: bool, check: bool,
          draft: bool, concurrency: int, max_cost: float | None, batch: bool, no_wait: bool,
          json_mode: bool) -> int:
    """Generate or edit every asset that is not fresh (or the named ones).

    \b
    Examples:
      assetgen build                  # everything missing or stale
      assetgen build hero --force     # just hero (and its inputs), again
      assetgen build --check          # CI: fail if anything is out of date
    """
    from assetgen.cli.progress import ConsoleListener
    from assetgen.commands import build as command

    g = globals_of(ctx)
    if no_wait and not batch:
        raise UsageError("--no-wait goes with --batch")
    console = Console(json_mode=json_mode)
    listener = ConsoleListener(console)
    choice = command.choose(g.manifest, g.cwd, batch=batch, draft=draft,
                            plan_only=dry_run or check)
    if choice.through_batch:  # imported only then: it brings httpx (~60 ms)
        from assetgen.commands import batch as batch_command

        result = batch_command.run_build(g.manifest, g.cwd, list(ids), batch=batch,
                                         no_wait=no_wait, force=force,
                                         concurrency=concurrency, max_cost=max_cost,
                                         listener=listener, manifest=choice.manifest)
    else:
        result = command.run(g.manifest, g.cwd, list(ids), force=force, dry_run=dry_run,
                             check=check, draft=draft, concurrency=concurrency,
                             max_cost=max_cost, listener=listener, batch=batch,
                             manifest=choice.manifest)
    from assetgen.cli.render import build as render  # after: not before the first request

    render.show(console, result)
    return result.exit_code


@cli.command()
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--draft", is_flag=True, help="Plan as `build --draft` would.")
@json_option
@click.pass_context
def plan(ctx: click.Context, ids: tuple[str, ...], draft: bool, json_mode: bool) -> int:
    """Show every asset's state and the estimated cost of the next build.

    \b
    Example:
      assetgen plan --json | jq '.summary'
    """
    from assetgen.cli.render import plan as render
    from assetgen.commands import plan as command

    g = globals_of(ctx)
    console = Console(json_mode=json_mode)
    result = command.run(g.manifest, g.cwd, list(ids), draft=draft)
    render.show(console, result)
    return result.exit_code


@cli.command()
@click.argument("files", nargs=-1, metavar="[FILE]...")
@click.option("--strict", is_flag=True,
              help="Also fail on stale, draft and unreferenced assets (for CI on main).")
@click.option("--no-cache", is_flag=True, help="Re-hash every file instead of trusting "
              "the size/mtime/inode cache.")
@json_option
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
    from assetgen.cli.render import verify as render
    from assetgen.commands import verify as command

    g = globals_of(ctx)
    console = Console(json_mode=json_mode)
    choice = command.choose(g.manifest, g.cwd, list(files), no_cache=no_cache)
    if choice.unparsed:
        from assetgen.manifest.load import load_and_cache  # the parser: a cache miss

        choice = command.parsed(choice, load_and_cache, no_cache=no_cache)
    if choice.needs_check:
        from assetgen.commands import lineage  # the checker: only when a file can matter

        result = lineage.run(choice, strict=strict, no_cache=no_cache)
    else:
        result = command.unchecked(choice, strict=strict)
    render.show(console, result)
    return result.exit_code


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
@json_option
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
    from assetgen.cli.render import adopt as render
    from assetgen.commands import adopt as command

    g = globals_of(ctx)
    console = Console(json_mode=json_mode)
    result = command.run(g.manifest, g.cwd, file if file.is_absolute() else g.cwd / file,
                         asset_id=asset_id, prompt=prompt, target=target, route=route,
                         model=model, quality=quality, session=session, force=force)
    render.show(console, result)
    return result.exit_code


@cli.command()
@click.option("--route", type=click.Choice(ROUTE_NAMES),
              help="The route to diagnose (default: the manifest's default route).")
@click.option("--live", is_flag=True, help="Also make one minimal low-quality generation.")
@json_option
@click.pass_context
def doctor(ctx: click.Context, route: str | None, live: bool, json_mode: bool) -> int:
    """Diagnose a route surface by surface and print an evidence packet.

    \b
    Example:
      assetgen doctor --route responses --live
    """
    from assetgen.cli.render import doctor as render
    from assetgen.commands import doctor as command

    g = globals_of(ctx)
    console = Console(json_mode=json_mode)
    result = command.run(g.manifest, g.cwd, route=route, live=live)
    render.show(console, result)
    return result.exit_code


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the page (default: .assetgen/report.html).")
@json_option
@click.pass_context
def report(ctx: click.Context, output: Path | None, json_mode: bool) -> int:
    """Write a self-contained HTML gallery of every asset.

    \b
    Example:
      assetgen report -o report.html
    """
    from assetgen.cli.render import report as render
    from assetgen.commands import report as command

    g = globals_of(ctx)
    if output is not None and not output.is_absolute():
        output = g.cwd / output
    console = Console(json_mode=json_mode)
    result = command.run(g.manifest, g.cwd, output=output)
    render.show(console, result)
    return result.exit_code


@cli.command()
@click.option("--output-dir", help="The folder images go below (default: guessed).")
@click.pass_context
def init(ctx: click.Context, output_dir: str | None) -> int:
    """Scaffold assetgen.yaml, the pre-commit hook and agent instructions (idempotent).

    \b
    Example:
      assetgen init && assetgen build --draft
    """
    from assetgen.cli.render import init as render
    from assetgen.commands import init as command

    console = Console()
    result = command.run(globals_of(ctx).cwd, output_dir=output_dir)
    render.show(console, result)
    return result.exit_code


@cli.command()
def schema() -> int:
    """Print the JSON Schema of assetgen.yaml (for editors and validators).

    \b
    Example:
      assetgen schema > assetgen.schema.json
    """
    from assetgen.cli.render import schema as render
    from assetgen.commands import schema as command

    console = Console(json_mode=True)
    result = command.run()
    render.show(console, result)
    return result.exit_code


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
    from assetgen.cli.render import snippet as render
    from assetgen.commands import snippet as command

    g = globals_of(ctx)
    console = Console()
    result = command.run(g.manifest, g.cwd, asset_id, sizes_attr=sizes_attr)
    render.show(console, result)
    return result.exit_code


@cli.group(invoke_without_command=True)
@json_option
@click.pass_context
def batch(ctx: click.Context, json_mode: bool) -> int | None:
    """List the OpenAI batches this manifest is waiting on, with status and counts.

    \b
    Examples:
      assetgen build --batch --no-wait   # submit, return at once
      assetgen batch                     # how far they are
      assetgen build                     # collect and publish what finished
    """
    if ctx.invoked_subcommand is not None:
        return None
    from assetgen.cli.render import batch as render
    from assetgen.commands import batch as command

    g = globals_of(ctx)
    console = Console(json_mode=json_mode)
    result = command.run_list(g.manifest, g.cwd)
    render.show(console, result)
    return result.exit_code


@batch.command()
@click.argument("batch_id", required=False, metavar="[ID]")
@json_option
@click.pass_context
def cancel(ctx: click.Context, batch_id: str | None, json_mode: bool) -> int:
    """Cancel one batch (or every open one); finished lines are still collected."""
    from assetgen.cli.render import batch as render
    from assetgen.commands import batch as command

    g = globals_of(ctx)
    console = Console(json_mode=json_mode)
    result = command.run_cancel(g.manifest, g.cwd, batch_id)
    render.show_cancel(console, result)
    return result.exit_code
