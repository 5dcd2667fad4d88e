"""Keep secrets out of every file, log and terminal line.

Which values are secrets (README "Security model" → "Secrets"):

- the key of every route, whatever it looks like: `OPENAI_API_KEY`, the variable a
  manifest names in `routes.gateway.api_key_env`, and the other well-known key variables;
- the value of any other variable whose name says it is a credential (`*API_KEY`,
  `*TOKEN`, `*SECRET`, `*PASSWORD`), but only when it looks like one: at least 16
  characters and not plain words. `POSTGRES_PASSWORD=postgres` is not treated as a secret,
  or every asset named `postgres-…` would be rewritten.

Values are compared stripped of surrounding whitespace, and are found in text raw,
URL-encoded and JSON-escaped. Redaction applies to free text (messages, server bodies,
logs, prompts); identity fields of a record (asset id, file, hashes) are never rewritten.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from assetgen.errors import ConfigError

KNOWN_KEY_VARS = ("OPENAI_API_KEY", "GATEWAY_API_KEY", "AZURE_OPENAI_API_KEY")
_KEYISH_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD)$", re.IGNORECASE)
# A configured key is a secret at any realistic length; below this it cannot be a key and
# masking it would mangle ordinary words.
_MIN_KEY_LEN = 6
# Other credential-named variables: only values shaped like a generated secret.
_MIN_GUESSED_SECRET_LEN = 16
_PLAIN_WORDS = re.compile(r"[A-Za-z]+(?:[ _.,-]+[A-Za-z]+)*")
_extra_names: set[str] = set()
MASK = "***"


def register_key_var(name: str) -> None:
    """A manifest named this variable as holding a key: treat its value as secret."""
    _extra_names.add(name)


def read_key(environ: Mapping[str, str], var: str) -> str:
    """The key in ``var``, normalised once: surrounding whitespace (a trailing newline from
    `$(cat key.txt)`) removed; "" when unset. A key with whitespace or control characters
    inside is refused (ConfigError, exit 2) rather than sent: it cannot be a valid key,
    and its parts would escape redaction."""
    register_key_var(var)
    key = environ.get(var, "").strip()
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in key):
        raise ConfigError(f"{var} has whitespace or control characters inside the key "
                          f"({len(key)} characters; never shown)",
                          hint=f"set {var} to the key alone, on one line")
    return key


def _looks_generated(value: str) -> bool:
    return len(value) >= _MIN_GUESSED_SECRET_LEN and not _PLAIN_WORDS.fullmatch(value)


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret in the environment, stripped, longest first."""
    env = os.environ if environ is None else environ
    configured = set(KNOWN_KEY_VARS) | _extra_names
    values: set[str] = set()
    for name, raw in env.items():
        value = raw.strip()
        if name in configured:
            if len(value) >= _MIN_KEY_LEN:
                values.add(value)
        elif _KEYISH_NAME.search(name) and _looks_generated(value):
            values.add(value)
    return sorted(values, key=len, reverse=True)


def _forms(values: Iterable[str]) -> list[str]:
    """Each secret as it can appear in text: raw, URL-encoded, JSON-escaped; longest first
    so that a longer form is masked whole before a shorter one inside it."""
    forms: set[str] = set()
    for value in values:
        value = value.strip()
        if not value:
            continue
        forms.update((value, quote(value, safe=""), quote_plus(value),
                      json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]))
    return sorted(forms, key=len, reverse=True)


_BEARER = re.compile(r"(?i)(authorization:\s*bearer\s+)\S+")


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """Free text with every secret (in any form) and any bearer credential masked."""
    return _redact_forms(text, _forms(secret_values() if secrets is None else secrets))


def _redact_forms(text: str, forms: Iterable[str]) -> str:
    for form in forms:
        if form in text:
            text = text.replace(form, MASK)
    return _BEARER.sub(r"\1" + MASK, text)


def redact_fields(value: Any, keep: Collection[str], secrets: Iterable[str] | None = None
                  ) -> Any:
    """A JSON-like record with secrets masked in its free-text strings only.

    The values of the fields named in ``keep`` (at any depth: identities, file names,
    hashes) are structured data compared elsewhere and are never rewritten.
    """
    found = list(secret_values() if secrets is None else secrets)
    if not found:
        return value
    forms = _forms(found)  # once per record, not once per string in it

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return _redact_forms(item, forms)
        if isinstance(item, dict):
            return {k: v if k in keep else walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(value)


# What an API echoes of a key in its error messages: "sk-***cdef", "sk-proj-abc...".
_ECHOED_KEY = re.compile(r"\S*\*{2,}[^\s.,;:)\]]*")
_KEY_SHAPED = re.compile(r"\b(sk|rk)-[A-Za-z0-9_-]{6,}")
KEY_HIDDEN = "[key hidden]"


def scrub_api_message(text: str, secrets: Iterable[str] | None = None) -> str:
    """An API's error message, without any key or the part of one it echoed back.

    Only for messages that came from a server: prompts and other user text may
    legitimately contain `**`.
    """
    text = _ECHOED_KEY.sub(KEY_HIDDEN, redact(text, secrets))
    return _KEY_SHAPED.sub(KEY_HIDDEN, text)
