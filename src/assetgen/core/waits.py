"""Waits a server may suggest, made safe: every one is capped at ``MAX_WAIT_S``.

SPEC section 10: a `Retry-After` of a day, `inf` or garbage never stalls a build.
The scheduler (retries, pauses) and the gateway's poller both read these.
"""

from __future__ import annotations

import email.utils
import math
import time

MAX_WAIT_S = 120.0


def capped_wait(seconds: float | None) -> float | None:
    """A server-suggested wait as a usable one: None when it is not a number of seconds
    (NaN, negative), else clamped to [0, MAX_WAIT_S] (``inf`` and 999999 become 120 s)."""
    if seconds is None or math.isnan(seconds) or seconds < 0:
        return None
    return min(MAX_WAIT_S, seconds)


def parse_retry_after(retry_after_ms: str | None, retry_after: str | None, *,
                      now: float | None = None) -> float | None:
    """Seconds to wait from the `retry-after-ms` (OpenAI's, honoured by its SDKs) or the
    `Retry-After` header (RFC 9110 10.2.3: delay-seconds or an HTTP-date); capped.

    Anything that is not a usable value (garbage, NaN, negative) counts as absent, so
    the normal backoff applies; it never raises.
    """
    if retry_after_ms:
        wait = _number(retry_after_ms)
        if wait is not None and capped_wait(wait) is not None:
            return capped_wait(wait / 1000)
    if not retry_after:
        return None
    text = retry_after.strip()
    wait = _number(text)
    if wait is None:
        wait = _seconds_until_date(text, time.time() if now is None else now)
    return capped_wait(wait)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (ValueError, OverflowError):
        return None


def _seconds_until_date(text: str, now: float) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when is None:  # Python before 3.10 returned None for garbage
        return None
    try:
        return max(0.0, when.timestamp() - now)
    except (ValueError, OverflowError, OSError):
        return None
