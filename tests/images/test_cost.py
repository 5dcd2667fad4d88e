from __future__ import annotations

import pytest

from assetgen.images import (
    cost,  # SPEC 4's anchors from OpenAI's calculator: gpt-image-2 output tokens and USD per image.
)

ANCHORS = [
    ("1024x1024", "low", 196, 0.006), ("1024x1024", "medium", 1756, 0.053),
    ("1024x1024", "high", 7024, 0.211),
    ("1536x1024", "low", None, 0.005), ("1536x1024", "medium", None, 0.041),
    ("1536x1024", "high", 5488, 0.165),
    ("1024x1536", "low", None, 0.005), ("1024x1536", "medium", None, 0.041),
    ("1024x1536", "high", 5488, 0.165),
    # Beyond SPEC: the calculator's figures quoted with it (community.openai.com/t/1379464).
    ("1792x1024", "high", 5063, None), ("3584x2048", "high", 12329, None),
]


@pytest.mark.parametrize(("size", "quality", "tokens", "usd"), ANCHORS)
def test_gpt_image_2_reproduces_the_official_anchors(size: str, quality: str,
                                                     tokens: int | None,
                                                     usd: float | None) -> None:
    got = cost.output_tokens(size, quality)
    if tokens is not None:
        assert got == pytest.approx(tokens, rel=0.05)
    if usd is not None:  # SPEC's dollar figures are rounded to a tenth of a cent
        assert abs(got * 30 / 1e6 - usd) <= 0.0005 + usd * 0.05


def test_non_square_is_not_scaled_by_area() -> None:
    # The numbers: area scaling gave 1536x1024 high $0.32 and 3584x2048 49,231.
    assert cost.output_tokens("1536x1024", "high") < cost.output_tokens("1024x1024", "high")
    assert cost.output_tokens("3584x2048", "high") < 13_000


def test_between_anchors_the_curve_stays_between_them() -> None:
    square = cost.output_tokens("1024x1024", "medium")
    wide = cost.output_tokens("1536x1024", "medium")
    between = cost.output_tokens("1280x1024", "medium")
    assert min(square, wide) <= between <= max(square, wide) * 1.2


def test_auto_is_budgeted_at_the_dearest() -> None:
    assert cost.output_tokens("auto", "high") == 7024  # 1024x1024 is the dearest standard size
    assert cost.output_tokens("1536x1024", "auto") == cost.output_tokens("1536x1024", "high")
    assert cost.output_tokens("auto", "auto", "gpt-image-1") == 6240


def test_fixed_size_models_use_their_tables() -> None:
    assert cost.output_tokens("1024x1024", "high", "gpt-image-1") == 4160
    assert cost.output_tokens("1536x1024", "low", "gpt-image-1.5") == 400
    # gpt-image-1.5's page: $0.133 high square at $32/1M; gpt-image-1: $0.25 non-square.
    assert cost.estimate_usd(size="1024x1024", quality="high", prompt="",
                             model="gpt-image-1.5") == pytest.approx(0.133, rel=0.05)
    assert cost.estimate_usd(size="1024x1536", quality="high", prompt="",
                             model="gpt-image-1") == pytest.approx(0.25, rel=0.05)
    assert cost.estimate_usd(size="1024x1024", quality="high", prompt="",
                             model="gpt-image-1-mini") == pytest.approx(0.036, rel=0.05)


def test_inputs_are_estimated_at_high_fidelity() -> None:
    # gpt-image-2 always reads inputs at high fidelity: far more than the GPT-4o tile
    # formula's 765 for a 1024x1024 input.
    assert cost.input_image_tokens(1024, 1024) == 194 + 4160
    assert cost.input_image_tokens(1536, 1024) == 323 + 6240
    # Fidelity-taking models pay the extra only when asked.
    assert cost.input_image_tokens(1024, 1024, "low", "gpt-image-1.5") == 194
    assert cost.input_image_tokens(1024, 1024, "high", "gpt-image-1.5") == 194 + 4160


def test_estimate_uses_the_official_prices() -> None:
    estimate = cost.estimate_usd(size="1024x1024", quality="high", prompt="x" * 400)
    assert estimate == pytest.approx(7024 * 30 / 1e6 + 100 * 5 / 1e6)
    with_input = cost.estimate_usd(size="1024x1024", quality="high", prompt="x" * 400,
                                   input_sizes=((1024, 1024),))
    assert with_input == pytest.approx(estimate + (194 + 4160) * 8 / 1e6)


def test_actual_cost_from_usage() -> None:
    usage = {"input_tokens": 50, "output_tokens": 1000, "total_tokens": 1050,
             "input_tokens_details": {"text_tokens": 10, "image_tokens": 40}}
    assert cost.usd_from_usage(usage) == pytest.approx((1000 * 30 + 10 * 5 + 40 * 8) / 1e6)
    assert cost.usd_from_usage(None) is None
    assert cost.usd_from_usage({"output_tokens": "many"}) is None


def test_text_output_tokens_are_priced_at_the_text_rate() -> None:
    usage = {"input_tokens": 0, "output_tokens": 1100,
             "output_tokens_details": {"image_tokens": 1000, "text_tokens": 100}}
    assert cost.usd_from_usage(usage) == pytest.approx((1000 * 30 + 100 * 10) / 1e6)
    assert cost.usd_from_usage(usage, "gpt-image-1") == pytest.approx(
        (1000 * 40 + 100 * 10) / 1e6)


def test_format_usd() -> None:
    assert cost.format_usd(0.01234) == "$0.0123"
    assert cost.format_usd(12.5) == "$12.50"
    assert cost.format_usd(None) == "—"
