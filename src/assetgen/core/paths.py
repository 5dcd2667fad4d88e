"""How messages name a file. Two rules, for two kinds of message:

- `display_inside_cwd`: manifest problems (`file:line: ...`) name the manifest relative to
  the working directory only when it is inside it, else absolutely;
- `display_relative_to`: verify and adopt findings name files relative to the folder the
  command ran in, climbing at most two `..`, else absolutely (a page beside the site is
  `../site/index.html`, not a long absolute path).
"""

from __future__ import annotations

import os
from pathlib import Path


def display_inside_cwd(path: Path) -> str:
    """``path`` relative to the working directory when inside it, else as given."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def display_relative_to(path: Path | str, cwd: Path) -> str:
    """``path`` relative to ``cwd`` (at most two `..`), else absolute."""
    relative = os.path.relpath(path, cwd)
    if relative.startswith(os.path.join(os.pardir, os.pardir, os.pardir)):
        return Path(os.path.abspath(path)).as_posix()
    return Path(relative).as_posix()
