"""How paths are spelled: `posix_relative` for the manifest's relative paths, and how
messages name a file — two rules, for two kinds of message:

- `display_inside_cwd`: manifest problems (`file:line: ...`) name the manifest relative to
  the working directory only when it is inside it, else absolutely;
- `display_relative_to`: verify and adopt findings name files relative to the folder the
  command ran in, climbing at most two `..`, else absolutely (a page beside the site is
  `../site/index.html`, not a long absolute path).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


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


def posix_relative(raw: str) -> str:
    """A relative path as `PurePosixPath(raw).as_posix()` spells it (repeated slashes, `.`
    parts and a trailing slash dropped), without building a path object for the usual
    case of a path already spelled so: a manifest has thousands, and pathlib takes ~8 us
    each (a test holds both spellings equal on arbitrary strings)."""
    return raw if _plain(raw) else PurePosixPath(raw).as_posix()


def name_of(path: str) -> str:
    """`PurePosixPath(path).name`, read from the string when it is plainly spelled."""
    return path.rpartition("/")[2] if _plain(path) else PurePosixPath(path).name


def suffix_of(path: str) -> str:
    """`PurePosixPath(path).suffix`, read from the string as pathlib reads the name."""
    name = name_of(path)
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _plain(raw: str) -> bool:
    """Relative, and spelled as pathlib would spell it."""
    return bool(raw) and not raw.startswith(("/", "./")) and raw != "." \
        and "//" not in raw and "/./" not in raw and not raw.endswith(("/", "/."))
