"""What images cost: estimates before a build, actuals from `usage` after.

Prices are gpt-image-2's official token prices (USD per 1M tokens). Output
tokens per image come from the published 1024x1024 figures, scaled by area.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

PRICE_PER_MILLION = {
    "image_input": 8.0,
    "cached_image_input": 2.0,
    "image_output": 30.0,
    "text_input": 5.0,
    "cached_text_input": 1.25,
}
OUTPUT_TOKENS_1024 = {"low": 200, "medium": 1767, "high": 7033}
# `auto` lets the model choose; budget for the dearest choice so --max-cost holds.
_AUTO_QUALITY = "high"
_AUTO_SIZE_PIXELS = 1536 * 1024
_BASE_PIXELS = 1024 * 1024
# Billing surfaces whose cost is not OpenAI's token prices.
NON_OPENAI_BILLING = ("none", "codex-credits")


def output_tokens(size: str, quality: str) -> int:
    quality = quality if quality in OUTPUT_TOKENS_1024 else _AUTO_QUALITY
    pixels = _pixels(size)
    return math.ceil(OUTPUT_TOKENS_1024[quality] * pixels / _BASE_PIXELS)


def input_image_tokens(width: int, height: int, fidelity: str | None = None) -> int:
    """Tokens for one input image: 170 per 512px tile plus 85, more at high fidelity."""
    tiles = math.ceil(width / 512) * math.ceil(height / 512)
    tokens = 85 + 170 * tiles
    return tokens * 2 if fidelity == "high" else tokens


def text_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def estimate_usd(*, size: str, quality: str, prompt: str,
                 input_sizes: tuple[tuple[int, int], ...] = (),
                 fidelity: str | None = None) -> float:
    per_token = {k: v / 1_000_000 for k, v in PRICE_PER_MILLION.items()}
    total = output_tokens(size, quality) * per_token["image_output"]
    total += text_tokens(prompt) * per_token["text_input"]
    for width, height in input_sizes:
        total += input_image_tokens(width, height, fidelity) * per_token["image_input"]
    return round(total, 6)


def usd_from_usage(usage: Mapping[str, Any] | None) -> float | None:
    """Actual cost from an Images API `usage` block, or None if it cannot be priced."""
    if not isinstance(usage, Mapping):
        return None
    details = usage.get("input_tokens_details")
    output = usage.get("output_tokens")
    if not isinstance(output, int):
        return None
    per_token = {k: v / 1_000_000 for k, v in PRICE_PER_MILLION.items()}
    total = output * per_token["image_output"]
    if isinstance(details, Mapping):
        text = int(details.get("text_tokens") or 0)
        image = int(details.get("image_tokens") or 0)
        cached = int(details.get("cached_tokens") or 0)
        total += text * per_token["text_input"] + image * per_token["image_input"]
        # Cached tokens are billed at the cached rate instead of the full one.
        total -= cached * (per_token["text_input"] - per_token["cached_text_input"])
    elif isinstance(usage.get("input_tokens"), int):
        total += usage["input_tokens"] * per_token["text_input"]
    return round(max(total, 0.0), 6)


def _pixels(size: str) -> int:
    if "x" in size:
        width, _, height = size.partition("x")
        if width.isdigit() and height.isdigit():
            return int(width) * int(height)
    return _AUTO_SIZE_PIXELS


def format_usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"
