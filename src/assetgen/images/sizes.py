"""gpt-image-2 generation sizes: parsing, the rules (SPEC.md 2.1) and choosing a valid size.

A valid size has width and height that are multiples of 16, a long edge of at most 3840,
an aspect ratio between 1:3 and 3:1 (inclusive) and between 655,360 and 8,294,400 pixels
(inclusive). ``auto`` lets the API choose.

Pure arithmetic: no Pillow here, so the manifest checks stay cheap to import.
"""

from __future__ import annotations

import heapq
import math
import re
from functools import cache, lru_cache

MULTIPLE = 16
MAX_EDGE = 3840
MIN_PIXELS = 655_360
MAX_PIXELS = 8_294_400
MAX_RATIO = 3.0

AUTO = "auto"

# Two sizes whose aspect ratios differ by less than this (as |ln(ratio_a / ratio_b)|, so ~1%)
# count as the same shape when choosing a generation size: snapping to multiples of 16 makes
# exact ratios rare, and a crop this small is invisible, while a larger exact-ratio size costs
# more to generate.
ASPECT_TOLERANCE = 0.01

# In suggestions, one unit of aspect error weighs as much as this many units of area error
# (both as natural logs): a different shape is a bigger surprise than a slightly different size.
_ASPECT_WEIGHT = 4.0

_LOG_MAX_RATIO = math.log(MAX_RATIO)

_SIZE_PATTERN = re.compile(r"^\s*(\d+)\s*[x×]\s*(\d+)\s*$", re.IGNORECASE)


def parse_size(text: str) -> tuple[int, int] | None:
    """``"1536x1024"`` -> ``(1536, 1024)``; ``"auto"`` -> ``None``.

    Only the syntax is checked here (two positive integers); :func:`size_problems` checks
    the gpt-image-2 rules.
    """
    if text.strip().lower() == AUTO:
        return None
    match = _SIZE_PATTERN.match(text)
    if match is None:
        raise ValueError(f"size {text.strip()!r} is not WIDTHxHEIGHT (e.g. 1536x1024) or auto")
    width, height = int(match.group(1)), int(match.group(2))
    if width <= 0 or height <= 0:
        raise ValueError(f"size {text.strip()!r} must have a positive width and height")
    return width, height


def format_size(width: int, height: int) -> str:
    return f"{width}x{height}"


def _describe_ratio(width: int, height: int) -> str:
    long_edge, short_edge = max(width, height), min(width, height)
    ratio = long_edge / short_edge
    shown = f"{ratio:.2f}"
    if shown == f"{MAX_RATIO:.2f}":
        # Just past 3:1 would otherwise print as "3.00:1 is outside 1:3 to 3:1".
        shown = f"{ratio:.4f}"
    return f"{shown}:1" if width >= height else f"1:{shown}"


def size_problems(width: int, height: int) -> list[str]:
    """Every gpt-image-2 size rule that ``width`` x ``height`` breaks; ``[]`` when valid."""
    problems: list[str] = []
    for name, value in (("width", width), ("height", height)):
        if value <= 0:
            problems.append(f"{name} {value} is not positive")
        elif value % MULTIPLE:
            problems.append(f"{name} {value} is not a multiple of {MULTIPLE}")
    if problems and (width <= 0 or height <= 0):
        return problems
    long_edge = max(width, height)
    if long_edge > MAX_EDGE:
        problems.append(f"long edge {long_edge} is longer than {MAX_EDGE}")
    if long_edge > MAX_RATIO * min(width, height):
        problems.append(f"aspect ratio {_describe_ratio(width, height)} is outside 1:3 to 3:1")
    pixels = width * height
    if pixels < MIN_PIXELS:
        problems.append(f"{pixels:,} pixels is fewer than the minimum {MIN_PIXELS:,}")
    elif pixels > MAX_PIXELS:
        problems.append(f"{pixels:,} pixels is more than the maximum {MAX_PIXELS:,}")
    return problems


def is_valid(width: int, height: int) -> bool:
    return (
        width > 0
        and height > 0
        and width % MULTIPLE == 0
        and height % MULTIPLE == 0
        and max(width, height) <= MAX_EDGE
        and max(width, height) <= MAX_RATIO * min(width, height)
        and MIN_PIXELS <= width * height <= MAX_PIXELS
    )


@cache
def _height_ranges() -> tuple[tuple[int, int, int], ...]:
    """``(width, lowest height, highest height)`` for every width that has a valid height.

    For a fixed width every rule bounds the height from one side, so the valid heights are
    one unbroken run of multiples of 16; choosing a size only has to search these runs.
    """
    ranges: list[tuple[int, int, int]] = []
    for width in range(MULTIPLE, MAX_EDGE + 1, MULTIPLE):
        lowest = max(
            _ceil_to_multiple(width / MAX_RATIO),
            _ceil_to_multiple(MIN_PIXELS / width),
            MULTIPLE,
        )
        highest = min(
            _floor_to_multiple(width * MAX_RATIO),
            _floor_to_multiple(MAX_PIXELS / width),
            MAX_EDGE,
        )
        if lowest <= highest:
            ranges.append((width, lowest, highest))
    return tuple(ranges)


@cache
def valid_sizes() -> tuple[tuple[int, int], ...]:
    """Every valid generation size, ordered by width then height."""
    return tuple(
        (width, height)
        for width, lowest, highest in _height_ranges()
        for height in range(lowest, highest + 1, MULTIPLE)
    )


@cache
def _edge_logs() -> dict[int, float]:
    """Natural logs of every multiple of 16 up to the long-edge limit, to skip ``math.log``."""
    return {edge: math.log(edge) for edge in range(MULTIPLE, MAX_EDGE + 1, MULTIPLE)}


def _ceil_to_multiple(value: float) -> int:
    return math.ceil(value / MULTIPLE - 1e-9) * MULTIPLE


def _floor_to_multiple(value: float) -> int:
    return math.floor(value / MULTIPLE + 1e-9) * MULTIPLE


def _require_positive(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ValueError(f"size {format_size(width, height)} must have a positive width and height")


def nearest_valid_sizes(width: int, height: int, count: int = 3) -> list[tuple[int, int]]:
    """The ``count`` valid sizes closest to ``width`` x ``height``, closest first.

    Closeness weighs the aspect ratio heavily and the area lightly, so the suggestions keep
    the asked shape where the rules allow it. Ties go to the smaller width, then height.
    """
    _require_positive(width, height)
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    log_ratio = math.log(width / height)
    log_area = math.log(width * height)

    def distance(size: tuple[int, int]) -> tuple[float, int, int]:
        candidate_width, candidate_height = size
        aspect_error = abs(math.log(candidate_width / candidate_height) - log_ratio)
        area_error = abs(math.log(candidate_width * candidate_height) - log_area)
        return (_ASPECT_WEIGHT * aspect_error + area_error, candidate_width, candidate_height)

    return heapq.nsmallest(count, valid_sizes(), key=distance)


@lru_cache(maxsize=4096)
def generation_size_for(width: int, height: int) -> tuple[int, int]:
    """The valid generation size to make before fitting to a final ``width`` x ``height``.

    The shape comes first: only sizes within :data:`ASPECT_TOLERANCE` of the closest
    achievable aspect ratio (the final ratio clamped to 1:3..3:1) are considered. Among
    those, the smallest that covers the final size in both dimensions, so the image is
    only ever scaled down; if none covers it, the largest.
    """
    _require_positive(width, height)
    target = min(max(math.log(width / height), -_LOG_MAX_RATIO), _LOG_MAX_RATIO)
    logs = _edge_logs()
    ranges = _height_ranges()

    best_error = math.inf
    for candidate_width, lowest, highest in ranges:
        ideal = candidate_width / math.exp(target)
        for candidate_height in (_floor_to_multiple(ideal), _ceil_to_multiple(ideal)):
            candidate_height = min(max(candidate_height, lowest), highest)
            error = abs(logs[candidate_width] - logs[candidate_height] - target)
            best_error = min(best_error, error)
    limit = best_error + ASPECT_TOLERANCE
    # The accepted heights for a width lie between these factors of the width.
    shortest_factor = math.exp(-(target + limit))
    tallest_factor = math.exp(-(target - limit))
    cover_min_height = _ceil_to_multiple(height)

    # Keys compare area first, then aspect error, then width: deterministic on ties.
    smallest_cover: tuple[int, float, int, int] | None = None
    largest: tuple[int, float, int, int] | None = None
    for candidate_width, lowest, highest in ranges:
        low = max(lowest, _ceil_to_multiple(candidate_width * shortest_factor))
        high = min(highest, _floor_to_multiple(candidate_width * tallest_factor))
        if low > high:
            continue
        cover_height = max(low, cover_min_height)
        if candidate_width >= width and cover_height <= high:
            error = abs(logs[candidate_width] - logs[cover_height] - target)
            key = (candidate_width * cover_height, error, candidate_width, cover_height)
            if smallest_cover is None or key < smallest_cover:
                smallest_cover = key
        if smallest_cover is None:
            error = abs(logs[candidate_width] - logs[high] - target)
            key = (-candidate_width * high, error, candidate_width, high)
            if largest is None or key < largest:
                largest = key
    chosen = smallest_cover or largest
    if chosen is None:  # pragma: no cover - the best-error size itself is always accepted
        raise AssertionError("no valid generation size found")
    return chosen[2], chosen[3]
