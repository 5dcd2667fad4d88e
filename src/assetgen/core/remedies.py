"""The assetgen command lines printed as remedies, safe to paste into a shell."""

from __future__ import annotations

import shlex


def shell_command(*words: str) -> str:
    """`assetgen WORDS...` as a line a user (or an agent) can paste into a shell: each word
    shlex-quoted, because ids and file names may come from a hostile sidecar or manifest."""
    return " ".join(["assetgen", *(shlex.quote(word) for word in words)])
