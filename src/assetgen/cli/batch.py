"""`assetgen batch` and `assetgen batch cancel [ID]` (SPEC 9)."""

from __future__ import annotations

import click

from assetgen.cli.app import _globals, _json_option, cli
from assetgen.cli.console import Console


@cli.group(invoke_without_command=True)
@_json_option
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
    from assetgen.commands import batch as command

    g = _globals(ctx)
    return command.run_list(g.manifest, g.cwd, json_mode=json_mode,
                            console=Console(json_mode=json_mode))


@batch.command()
@click.argument("batch_id", required=False, metavar="[ID]")
@_json_option
@click.pass_context
def cancel(ctx: click.Context, batch_id: str | None, json_mode: bool) -> int:
    """Cancel one batch (or every open one); finished lines are still collected."""
    from assetgen.commands import batch as command

    g = _globals(ctx)
    return command.run_cancel(g.manifest, g.cwd, batch_id, json_mode=json_mode,
                              console=Console(json_mode=json_mode))
