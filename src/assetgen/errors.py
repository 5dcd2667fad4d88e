"""The one error hierarchy.

Every failure a user can cause or meet is an ``AssetgenError``: the CLI turns
it into one clear line per problem and the exit code of SPEC.md section 3.
Anything else that escapes is a bug (exit 4, traceback to a log file).
"""

from __future__ import annotations

from typing import NamedTuple

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_BUDGET = 3
EXIT_INTERNAL = 4


class AssetgenError(Exception):
    """An expected failure, reported as one line without a traceback."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class UsageError(AssetgenError):
    """A bad flag, argument or combination of them."""

    exit_code = EXIT_USAGE


class ConfigError(AssetgenError):
    """The environment or configuration cannot support the job (e.g. a missing key)."""

    exit_code = EXIT_USAGE


class Problem(NamedTuple):
    """One thing wrong with a file, at a line, with what is accepted instead."""

    file: str
    line: int | None
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        tail = f" — {self.hint}" if self.hint else ""
        return f"{where}: {self.message}{tail}"


class ManifestError(AssetgenError):
    """The manifest is invalid: carries every problem found, not just the first."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class LockError(AssetgenError):
    """Another build of the same manifest holds the lock."""

    exit_code = EXIT_PROBLEMS


class UnsafePathError(AssetgenError):
    """A path that would lead assetgen through a symlink out of the repository (or out of
    ``output_dir``), or a planted non-file where assetgen keeps its own state."""

    exit_code = EXIT_USAGE


def describe_os_error(exc: OSError) -> str:
    """One line for a filesystem failure: the path and the OS's reason (no traceback)."""
    reason = exc.strerror or type(exc).__name__
    where = exc.filename2 if exc.filename2 is not None else exc.filename
    return f"{where}: {reason}" if where is not None else f"filesystem error: {reason}"


class BudgetExceeded(AssetgenError):
    """`--max-cost` stopped the build before everything was made."""

    exit_code = EXIT_BUDGET


class ImageError(AssetgenError):
    """Bytes that do not decode as an image, or an image of the wrong shape."""

    exit_code = EXIT_PROBLEMS


class RouteError(AssetgenError):
    """A route failed to produce an image for one asset.

    ``retryable`` errors are retried by the build engine with backoff;
    the rest are reported at once with the route, status, error code,
    message and request id.
    """

    exit_code = EXIT_PROBLEMS
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        route: str = "",
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.route = route
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after

    def describe(self) -> str:
        """`images: HTTP 400 invalid_request_error: message (request req_123)`."""
        parts = [self.route or "route"]
        head = ": "
        if self.status is not None:
            parts.append(f"{head}HTTP {self.status}")
            head = " "
        if self.code:
            parts.append(f"{head}{self.code}")
            head = " "
        parts.append(f": {self.message}")
        if self.request_id:
            parts.append(f" (request {self.request_id})")
        if self.hint:
            parts.append(f" — {self.hint}")
        return "".join(parts)

    def __str__(self) -> str:
        return self.describe()


class TransientError(RouteError):
    """Worth another attempt: 429, 5xx, timeouts, dropped connections."""

    retryable = True


class RateLimited(TransientError):
    """HTTP 429: also tells the engine to lower the concurrency."""


class PermanentError(RouteError):
    """Not worth another attempt: 4xx, moderation refusals, bad responses."""
