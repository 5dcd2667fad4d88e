"""The command line: adapts arguments to plain command functions, and is the one error boundary.

Expected failures (`AssetgenError`) print one clear line per problem and exit
with their code; click usage errors exit 2; anything else is a bug: exit 4,
one line naming a log file that holds the traceback.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from assetgen import __version__
from assetgen.cli.console import Console
from assetgen.errors import (
    EXIT_INTERNAL,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    AssetgenError,
    UsageError,
    describe_os_error,
)

EXIT_INTERRUPTED = 130


@dataclass
class Globals:
    cwd: Path
    manifest: Path | None


def _globals(ctx: click.Context) -> Globals:
    return ctx.ensure_object(Globals)


def _json_option(func: Any) -> Any:
    return click.option("--json", "json_mode", is_flag=True,
                        help="Print one JSON document on stdout (logs go to stderr).")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Run as if assetgen was started in DIR.", metavar="DIR")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Use this manifest instead of finding assetgen.yaml upwards.")
@click.version_option(__version__, "--version", prog_name="assetgen",
                      message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, directory: Path | None, manifest: Path | None) -> None:
    """Build AI-generated images into your repository, with their lineage intact.

    \b
    Examples:
      assetgen plan                 # what is missing or stale, and the cost
      assetgen build --draft        # offline placeholders, no key needed
      assetgen build --max-cost 2   # generate for real, within a budget
      assetgen verify               # the pre-commit check
    """
    cwd = Path.cwd()
    if directory is not None:
        if not directory.is_dir():
            raise UsageError(f"-C {directory}: no such directory")
        cwd = (cwd / directory).resolve()
    if manifest is not None and not manifest.is_absolute():
        manifest = cwd / manifest
    ctx.obj = Globals(cwd=cwd, manifest=manifest)


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
@_json_option
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
    from assetgen.commands import batch as batch_command
    from assetgen.commands import build as command

    g = _globals(ctx)
    if no_wait and not batch:
        raise UsageError("--no-wait goes with --batch")
    if batch_command.takes_over(g.manifest, g.cwd, batch=batch, draft=draft,
                                plan_only=dry_run or check):
        return batch_command.run_build(
            g.manifest, g.cwd, list(ids), batch=batch, no_wait=no_wait, force=force,
            concurrency=concurrency, max_cost=max_cost, json_mode=json_mode,
            console=Console(json_mode=json_mode))
    return command.run(g.manifest, g.cwd, list(ids), force=force, dry_run=dry_run, check=check,
                       draft=draft, concurrency=concurrency, max_cost=max_cost,
                       json_mode=json_mode, console=Console(json_mode=json_mode), batch=batch)


@cli.command()
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--draft", is_flag=True, help="Plan as `build --draft` would.")
@_json_option
@click.pass_context
def plan(ctx: click.Context, ids: tuple[str, ...], draft: bool, json_mode: bool) -> int:
    """Show every asset's state and the estimated cost of the next build.

    \b
    Example:
      assetgen plan --json | jq '.summary'
    """
    from assetgen.commands import plan as command

    g = _globals(ctx)
    return command.run(g.manifest, g.cwd, list(ids), draft=draft, json_mode=json_mode,
                       console=Console(json_mode=json_mode))


def _write_crash_log(argv: list[str]) -> Path:
    from assetgen.core.secrets import redact

    fd, name = tempfile.mkstemp(prefix=f"assetgen-crash-{time.strftime('%Y%m%d-%H%M%S')}-",
                                suffix=".log")  # unique even for two crashes in one second
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"assetgen {__version__}\nargv: {redact(' '.join(argv))}\n\n"
                     + redact(traceback.format_exc()))
    return Path(name)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map every outcome to an exit code."""
    console = Console()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        result = cli.main(args=argv, prog_name="assetgen", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        code = 0
    except click.UsageError as exc:
        hint = ""
        if exc.ctx is not None:
            hint = f" — see `{exc.ctx.command_path} --help`"
        console.error(f"{exc.format_message()}{hint}")
        code = EXIT_USAGE
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        # click turns Ctrl-C (and our SIGTERM) into Abort.
        console.error("interrupted: every asset is complete or absent; run the same "
                      "command again to resume")
        code = EXIT_INTERRUPTED
    except click.ClickException as exc:
        console.error(exc.format_message())
        code = exc.exit_code
    except AssetgenError as exc:
        for line in str(exc).splitlines():
            console.error(line)
        code = exc.exit_code
    except BrokenPipeError:
        code = 0
    except OSError as exc:  # full disk, read-only folder, name too long: not a bug
        console.error(describe_os_error(exc))
        code = EXIT_PROBLEMS
    except Exception as exc:  # a bug: never show a traceback, keep it in a log
        log = _write_crash_log(sys.argv if argv is None else ['assetgen', *argv])
        console.error(f"internal error ({type(exc).__name__}), a bug in assetgen; "
                      f"the traceback is in {log}")
        code = EXIT_INTERNAL
    finally:
        signal.signal(signal.SIGTERM, previous)
    if argv is None:
        sys.exit(code)
    return code


# Commands are registered in their own modules to keep this file an adapter.
from assetgen.cli import batch as cli_batch  # noqa: E402,F401  (registers batch)
from assetgen.cli import more as cli_more  # noqa: E402,F401  (registers verify, adopt, doctor, ...)
