from __future__ import annotations

import pytest

from assetgen import cost


def test_output_tokens_scale_with_area_and_quality() -> None:
    assert cost.output_tokens("1024x1024", "low") == 200
    assert cost.output_tokens("1024x1024", "medium") == 1767
    assert cost.output_tokens("1024x1024", "high") == 7033
    assert cost.output_tokens("2048x2048", "high") == 4 * 7033
    # auto is budgeted at the dearest choice, so --max-cost holds.
    assert cost.output_tokens("1024x1024", "auto") == 7033


def test_estimate_uses_the_official_prices() -> None:
    estimate = cost.estimate_usd(size="1024x1024", quality="high", prompt="x" * 400)
    assert estimate == pytest.approx(7033 * 30 / 1e6 + 100 * 5 / 1e6)
    with_input = cost.estimate_usd(size="1024x1024", quality="high", prompt="x" * 400,
                                   input_sizes=((1024, 1024),))
    assert with_input > estimate


def test_actual_cost_from_usage() -> None:
    usage = {"input_tokens": 50, "output_tokens": 1000, "total_tokens": 1050,
             "input_tokens_details": {"text_tokens": 10, "image_tokens": 40}}
    assert cost.usd_from_usage(usage) == pytest.approx((1000 * 30 + 10 * 5 + 40 * 8) / 1e6)
    assert cost.usd_from_usage(None) is None
    assert cost.usd_from_usage({"output_tokens": "many"}) is None


def test_format_usd() -> None:
    assert cost.format_usd(0.01234) == "$0.0123"
    assert cost.format_usd(12.5) == "$12.50"
    assert cost.format_usd(None) == "—"
