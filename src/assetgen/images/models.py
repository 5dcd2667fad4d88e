"""What each OpenAI image model takes, and what it costs: one table (SPEC 2.1 and 4).

The manifest loader refuses a setting the asset's model does not take, the routes leave
out parameters the model refuses, the cost model prices from here, doctor recognises image
models by it, and the test emulator enforces the same rules. Pure data and arithmetic:
nothing here imports httpx or Pillow, so the manifest loader stays cheap to import.

Sources (checked 2026-10; the OpenAPI copy is /work/shared/openai, 2026-08-21):
- Sizes: OpenAPI `CreateImageRequest.size` ("For gpt-image-2 ... arbitrary resolutions
  ... divisible by 16 ... aspect ratio between 1:3 and 3:1. Resolutions above 2560x1440
  are experimental ... maximum 3840x2160"; the standard sizes 1024x1024, 1536x1024,
  1024x1536 for the other GPT image models).
- input_fidelity: OpenAPI `InputFidelity` ("unsupported for gpt-image-1-mini"); the
  openai-python 3.57 docstring of `images.edit` ("Supports high and low on gpt-image-1.5;
  gpt-image-1-mini supports only low. For gpt-image-2, omit this parameter."); the real
  API's 400 `invalid_input_fidelity_model` for gpt-image-2 (pydantic/pydantic-ai#5413 on
  the Responses tool, vulca-org/vulca-visual-control-sdk#12 on /images/edits).
- Transparency: OpenAPI and openai-python docstrings of `background` ("For gpt-image-2
  ... this support is in preview"; openai/openai-python#3703). A third-party relay
  (docs.apiyi.com, 2026-10-15) and Wei-Shaw/sub2api#7150 report 400 "Transparent
  background is not supported for this model." for gpt-image-2 since then; the official
  texts still say preview, so it is recorded as "preview", and `transparent: chroma`
  remains the portable choice.
- Inputs: OpenAPI `CreateImageEditRequest.image` (png, webp or jpg, each under 50MB, up
  to 16) and `.mask` (PNG under 4MB, same size as the first image).
- Prices per 1M tokens: SPEC 4 for gpt-image-2; developers.openai.com/api/docs/models/
  gpt-image-1 and gpt-image-1-mini; gpt-image-1.5 from OpenAI's pricing page (text $5 /
  cached $1.25 / output $10, image $8 / cached $2 / output $32).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from assetgen.images import sizes

QUALITIES = ("low", "medium", "high")
STANDARD_SIZES = ("1024x1024", "1536x1024", "1024x1536")
API_FORMATS = ("png", "jpeg", "webp")
# OpenAPI CreateImageEditRequest: each input image "less than 50MB"; the mask "less than 4MB".
MAX_INPUT_BYTES = 50 * 1024 * 1024
MAX_MASK_BYTES = 4 * 1024 * 1024
MAX_INPUTS = 16
# OpenAPI `size`: "Resolutions above 2560x1440 are experimental".
EXPERIMENTAL_ABOVE_PIXELS = 2560 * 1440

# The Batch API bills every token at half the standard price (SPEC 4; issue 16 quotes
# gpt-image-2 batch image output $15 and image input $4 per 1M tokens).
STANDARD_TIER = "standard"
BATCH_TIER = "batch"
TIER_PRICE_FACTORS = {STANDARD_TIER: 1.0, BATCH_TIER: 0.5}


def price_factor(tier: str) -> float:
    """What a tier pays relative to the standard prices; unknown tiers pay in full."""
    return TIER_PRICE_FACTORS.get(tier, 1.0)


# Names that are image models even when the table does not know them (snapshots, new ones).
IMAGE_MODEL_PATTERN = re.compile(r"^(gpt-image|dall-e|chatgpt-image)", re.IGNORECASE)


class Prices(NamedTuple):
    """USD per 1M tokens."""

    text_input: float
    cached_text_input: float
    image_input: float
    cached_image_input: float
    image_output: float
    text_output: float


class ImageModel(NamedTuple):
    name: str
    flexible_sizes: bool  # SPEC 2.1's gpt-image-2 rule (sizes.py); else STANDARD_SIZES
    input_fidelities: tuple[str, ...]  # () = the API refuses `input_fidelity`
    transparency: str  # "yes" | "preview" | "no"
    prices: Prices
    # Output image tokens per quality for the fixed sizes; flexible models use a curve.
    output_tokens: Mapping[str, Mapping[str, int]] = MappingProxyType({})
    qualities: tuple[str, ...] = (*QUALITIES, "auto")
    formats: tuple[str, ...] = API_FORMATS
    masks: bool = True
    max_inputs: int = MAX_INPUTS
    reads_inputs_at_high_fidelity: bool = False  # gpt-image-2 always does
    note: str = ""

    def takes_fidelity(self, fidelity: str | None) -> bool:
        return fidelity is not None and fidelity in self.input_fidelities

    def size_problem(self, size: str) -> str | None:
        """Why this model cannot make ``size`` ("WxH" or auto), or None."""
        if size == sizes.AUTO:
            return None
        if self.flexible_sizes:
            try:
                parsed = sizes.parse_size(size)
            except ValueError as exc:
                return str(exc)
            broken = sizes.size_problems(*parsed) if parsed else []
            return "; ".join(broken) or None
        if size not in STANDARD_SIZES:
            return f"{self.name} makes only " + ", ".join(STANDARD_SIZES) + " or auto"
        return None

    def generation_size_for(self, width: int, height: int) -> tuple[int, int]:
        """The size to generate before fitting to a final ``width`` x ``height``."""
        if self.flexible_sizes:
            return sizes.generation_size_for(width, height)
        target = math.log(width / height)
        # Closest shape first, then the smallest area (STANDARD_SIZES is in area order).
        parsed = [_wh(s) for s in STANDARD_SIZES]
        return min(parsed, key=lambda wh: abs(math.log(wh[0] / wh[1]) - target))

    def is_experimental(self, size: str) -> bool:
        parsed = _wh(size) if "x" in size else None
        return bool(self.flexible_sizes and parsed
                    and parsed[0] * parsed[1] > EXPERIMENTAL_ABOVE_PIXELS)


def _wh(size: str) -> tuple[int, int]:
    width, _, height = size.partition("x")
    return int(width), int(height)


# gpt-image-1 output tokens per size and quality: the image-generation guide's table
# (1024x1024 272/1056/4160, 1024x1536 408/1584/6240, 1536x1024 400/1568/6208), which
# the model page's per-image prices ($0.011/$0.042/$0.167 and $0.016/$0.063/$0.25 at
# $40 per 1M) reproduce. gpt-image-1.5's per-image prices ($0.009/$0.034/$0.133 and
# $0.013/$0.05/$0.2 at $32 per 1M) give the same counts.
_GPT_IMAGE_1_TOKENS = {
    "1024x1024": {"low": 272, "medium": 1056, "high": 4160},
    "1024x1536": {"low": 408, "medium": 1584, "high": 6240},
    "1536x1024": {"low": 400, "medium": 1568, "high": 6208},
}
# gpt-image-1-mini: its model page lists only per-image prices ($0.005/$0.011/$0.036 for
# 1024x1024, $0.006/$0.015/$0.052 for the others); tokens are those prices at $8 per 1M.
_GPT_IMAGE_1_MINI_TOKENS = {
    "1024x1024": {"low": 625, "medium": 1375, "high": 4500},
    "1024x1536": {"low": 750, "medium": 1875, "high": 6500},
    "1536x1024": {"low": 750, "medium": 1875, "high": 6500},
}

GPT_IMAGE_2 = ImageModel(
    name="gpt-image-2", flexible_sizes=True, input_fidelities=(), transparency="preview",
    prices=Prices(text_input=5.0, cached_text_input=1.25, image_input=8.0,
                  cached_image_input=2.0, image_output=30.0, text_output=10.0),
    reads_inputs_at_high_fidelity=True,
)
MODELS: dict[str, ImageModel] = {
    model.name: model for model in (
        GPT_IMAGE_2,
        ImageModel(
            name="gpt-image-1.5", flexible_sizes=False, input_fidelities=("high", "low"),
            transparency="yes", output_tokens=_GPT_IMAGE_1_TOKENS,
            prices=Prices(text_input=5.0, cached_text_input=1.25, image_input=8.0,
                          cached_image_input=2.0, image_output=32.0, text_output=10.0)),
        ImageModel(
            name="gpt-image-1", flexible_sizes=False, input_fidelities=("high", "low"),
            transparency="yes", output_tokens=_GPT_IMAGE_1_TOKENS,
            prices=Prices(text_input=5.0, cached_text_input=1.25, image_input=10.0,
                          cached_image_input=2.5, image_output=40.0, text_output=10.0),
            note="shut down on 2026-10-23 (openai-python 3.57 docstring)"),
        ImageModel(
            name="gpt-image-1-mini", flexible_sizes=False, input_fidelities=("low",),
            transparency="yes", output_tokens=_GPT_IMAGE_1_MINI_TOKENS,
            prices=Prices(text_input=2.0, cached_text_input=0.2, image_input=2.5,
                          cached_image_input=0.25, image_output=8.0, text_output=10.0)),
    )
}
# Dated snapshots take what their model takes.
ALIASES = {"gpt-image-2-2026-04-21": "gpt-image-2"}


def lookup(name: str) -> ImageModel | None:
    """The model's row, or None for a model the table does not know (no checks apply)."""
    return MODELS.get(ALIASES.get(name, name))


def for_pricing(name: str) -> ImageModel:
    """The row to price ``name`` with: unknown models are priced as gpt-image-2."""
    return lookup(name) or GPT_IMAGE_2


def is_image_model(name: str) -> bool:
    return lookup(name) is not None or bool(IMAGE_MODEL_PATTERN.match(name))


def takes_fidelity(model: str, fidelity: str | None) -> bool:
    """Whether a request for ``model`` may carry ``input_fidelity: fidelity``.

    Unknown models are not sent it either: the parameter is optional and only some models
    take it, while sending it to one that does not is a 400.
    """
    row = lookup(model)
    return row is not None and row.takes_fidelity(fidelity)
