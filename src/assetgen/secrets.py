"""Keep secrets out of every file, log and terminal line.

A secret is the value of any environment variable named as a key: the
well-known ones, any variable a manifest names in `api_key_env`, and anything
whose name says it is a key or token.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

KNOWN_KEY_VARS = ("OPENAI_API_KEY", "GATEWAY_API_KEY", "AZURE_OPENAI_API_KEY")
_KEYISH_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD)$", re.IGNORECASE)
_MIN_SECRET_LEN = 6
_extra_names: set[str] = set()
MASK = "***"


def register_key_var(name: str) -> None:
    """A manifest named this variable as holding a key: treat its value as secret."""
    _extra_names.add(name)


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    env = os.environ if environ is None else environ
    names = set(KNOWN_KEY_VARS) | _extra_names | {n for n in env if _KEYISH_NAME.search(n)}
    values = {env[n] for n in names if len(env.get(n, "")) >= _MIN_SECRET_LEN}
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    for value in secret_values() if secrets is None else secrets:
        if value and value in text:
            text = text.replace(value, MASK)
    return re.sub(r"(?i)(authorization:\s*bearer\s+)\S+", r"\1" + MASK, text)


# What an API echoes of a key in its error messages: "sk-***cdef", "sk-proj-abc...".
_ECHOED_KEY = re.compile(r"\S*\*{2,}[^\s.,;:)\]]*")
_KEY_SHAPED = re.compile(r"\b(sk|rk)-[A-Za-z0-9_-]{6,}")
KEY_HIDDEN = "[key hidden]"


def scrub_api_message(text: str) -> str:
    """An API's error message, without any key or the part of one it echoed back.

    Only for messages that came from a server: prompts and other user text may
    legitimately contain `**`.
    """
    text = _ECHOED_KEY.sub(KEY_HIDDEN, redact(text))
    return _KEY_SHAPED.sub(KEY_HIDDEN, text)

