"""The command line's entry point (`main`) and its one error boundary.

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
from pathlib import Path
from typing import Any

import click

from assetgen import __version__
from assetgen.cli.commands import cli  # the group, with every command registered
from assetgen.cli.console import Console
from assetgen.errors import (
    EXIT_INTERNAL,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    AssetgenError,
    describe_os_error,
)

EXIT_INTERRUPTED = 130


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
