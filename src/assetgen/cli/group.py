"""The click group: the global options every command shares (`-C`, `--manifest`), and the
`--json` option of the commands that have one. Commands register in `assetgen.cli.commands`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, TypeVar

import click

from assetgen import __version__
from assetgen.errors import UsageError

F = TypeVar("F", bound=Callable[..., object])


class Globals(NamedTuple):  # not a dataclass: built at every start-up, --help included
    cwd: Path
    manifest: Path | None


def globals_of(ctx: click.Context) -> Globals:
    found = ctx.find_object(Globals)
    if found is None:  # the group's callback sets them before any command runs
        raise RuntimeError("assetgen's global options were not parsed")
    return found


def json_option(func: F) -> F:
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
