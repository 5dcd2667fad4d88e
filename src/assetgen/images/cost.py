"""What images cost: estimates before a build, actuals from `usage` after.

Prices per 1M tokens come from the model table (`image_models`). Output image tokens:

- gpt-image-2 takes any valid size, so its tokens come from a curve through the official
  calculator's anchors rather than from pixel area (a larger non-square size can cost
  fewer tokens). Anchors, output tokens low/medium/high, from OpenAI's calculator in the
  image-generation guide (developers.openai.com/api/docs/guides/image-generation, "size
  and quality options"; SPEC 4; the figures quoted in community.openai.com/t/1379464):
      1024x1024  196 / 1,756 / 7,024   ($0.006 / $0.053 / $0.211)
      1536x1024  158 / 1,372 / 5,488   ($0.005 / $0.041 / $0.165)  1024x1536 the same
      1792x1024  high 5,063;  3584x2048  high 12,329
  The curve is the closed form published in community.openai.com/t/1382699 (read from
  the calculator's script); it reproduces every anchor above exactly, so between anchors
  it is the interpolation. `tests/images/test_cost.py` pins the anchors.
- The fixed-size models use their per-size tables (see `image_models`).

Input images: GPT Image models read inputs at high fidelity (gpt-image-2 always; the
others when asked). An input costs the GPT Image vision tokens (65 + 129 per 512px tile
after scaling the short side to 512; a 1024x1024 input is 194, as the API's own `usage`
shows in community.openai.com/t/1281361) plus, at high fidelity, the extra the guide
lists for high input fidelity: 4,160 tokens for a square input, 6,240 otherwise
("an additional $0.062" per input at $10/1M in community.openai.com/t/1275254).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from assetgen.images import models as image_models
from assetgen.images.models import ImageModel

# `auto` quality lets the model choose: budget for the dearest choice so --max-cost holds.
_AUTO_QUALITY = "high"
DEFAULT_MODEL = "gpt-image-2"

# The gpt-image-2 curve (see the module docstring).
_QUALITY_FACTOR = {"low": 16, "medium": 48, "high": 96}
_AREA_OFFSET = 2_000_000
_AREA_SCALE = 4_000_000

HIGH_FIDELITY_EXTRA_SQUARE = 4_160
HIGH_FIDELITY_EXTRA_OTHER = 6_240
ESTIMATE_NOTE = "estimates from OpenAI's token prices"


def _quality(quality: str) -> str:
    return quality if quality in image_models.QUALITIES else _AUTO_QUALITY


def flexible_output_tokens(width: int, height: int, quality: str) -> int:
    """gpt-image-2 output image tokens for ``width`` x ``height`` at ``quality``."""
    factor = _QUALITY_FACTOR[_quality(quality)]
    long_edge, short_edge = max(width, height), min(width, height)
    short_factor = (2 * factor * short_edge + long_edge) // (2 * long_edge)
    return -(-factor * short_factor * (_AREA_OFFSET + width * height) // _AREA_SCALE)


def output_tokens(size: str, quality: str, model: str = DEFAULT_MODEL) -> int:
    """Output image tokens; `auto` size is budgeted at the dearest size for the quality."""
    row = image_models.for_pricing(model)
    quality = _quality(quality)
    if row.flexible_sizes:
        candidates = [size] if "x" in size else list(image_models.STANDARD_SIZES)
        dims = [_dims(s) for s in candidates]
        return max(flexible_output_tokens(w, h, quality) for w, h in dims if w and h)
    table = row.output_tokens
    if size in table:
        return table[size][quality]
    return max(per_quality[quality] for per_quality in table.values())


def input_image_tokens(width: int, height: int, fidelity: str | None = None,
                       model: str = DEFAULT_MODEL) -> int:
    """Tokens for one input image (see the module docstring)."""
    row = image_models.for_pricing(model)
    scale = min(1.0, 2048 / max(width, height))  # fit in 2048x2048 ...
    scale *= min(1.0, 512 / (min(width, height) * scale))  # ... then the short side in 512
    tiles = math.ceil(width * scale / 512 - 1e-9) * math.ceil(height * scale / 512 - 1e-9)
    tokens = 65 + 129 * tiles
    if row.reads_inputs_at_high_fidelity or fidelity == "high":
        tokens += HIGH_FIDELITY_EXTRA_SQUARE if width == height else HIGH_FIDELITY_EXTRA_OTHER
    return tokens


def text_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _per_token(row: ImageModel, tier: str = image_models.STANDARD_TIER) -> dict[str, float]:
    prices = row.prices
    factor = image_models.price_factor(tier)
    return {name: getattr(prices, name) * factor / 1_000_000 for name in (
        "text_input", "cached_text_input", "image_input", "cached_image_input",
        "image_output", "text_output")}


def estimate_usd(*, size: str, quality: str, prompt: str,
                 input_sizes: tuple[tuple[int, int], ...] = (),
                 fidelity: str | None = None, model: str = DEFAULT_MODEL,
                 tier: str = image_models.STANDARD_TIER) -> float:
    """``tier``: `standard` or `batch` (the Batch API's half prices)."""
    per_token = _per_token(image_models.for_pricing(model), tier)
    total = output_tokens(size, quality, model) * per_token["image_output"]
    total += text_tokens(prompt) * per_token["text_input"]
    for width, height in input_sizes:
        total += input_image_tokens(width, height, fidelity, model) * per_token["image_input"]
    return round(total, 6)


def usd_from_usage(usage: Mapping[str, Any] | None, model: str = DEFAULT_MODEL,
                   tier: str = image_models.STANDARD_TIER) -> float | None:
    """Actual cost from an Images API `usage` block, or None if it cannot be priced.

    Image and text output tokens are priced apart when `output_tokens_details` says how
    many of each there were; otherwise every output token is an image token.
    """
    if not isinstance(usage, Mapping):
        return None
    if not _count(usage.get("output_tokens")):
        return None
    output = _int(usage.get("output_tokens"))
    per_token = _per_token(image_models.for_pricing(model), tier)
    out_details = usage.get("output_tokens_details")
    text_out = 0
    if isinstance(out_details, Mapping):
        text_out = min(_int(out_details.get("text_tokens")), output)
    total = (output - text_out) * per_token["image_output"]
    total += text_out * per_token["text_output"]
    details = usage.get("input_tokens_details")
    if isinstance(details, Mapping):
        text = _int(details.get("text_tokens"))
        image = _int(details.get("image_tokens"))
        cached = _int(details.get("cached_tokens"))
        total += text * per_token["text_input"] + image * per_token["image_input"]
        # Cached tokens are billed at the cached rate instead of the full one.
        total -= cached * (per_token["text_input"] - per_token["cached_text_input"])
    elif _count(usage.get("input_tokens")):
        total += int(usage["input_tokens"]) * per_token["text_input"]
    return round(max(total, 0.0), 6)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _int(value: Any) -> int:
    return int(value) if _count(value) else 0


def _dims(size: str) -> tuple[int, int]:
    width, _, height = size.partition("x")
    if width.isdigit() and height.isdigit():
        return int(width), int(height)
    return 0, 0


def format_usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"
