"""Arguments of /scan [RATE] and /dscan [N]: any text gives a value or a clear error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.parsing import ParseError
from bot.commands.scan_args import parse_dscan_top, parse_scan_rate


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("7.5", Decimal("7.5")),
        ("7,5", Decimal("7.5")),
        (" 12 ", Decimal(12)),
        ("12%", Decimal(12)),
        ("12 %", Decimal(12)),
        ("-5", Decimal(-5)),
        ("10000", Decimal(10000)),
    ],
)
def test_good_rates(text: str | None, rate: Decimal | None) -> None:
    assert parse_scan_rate(text) == rate


@pytest.mark.parametrize("text", ["abc", "7.5.1", "1 2", "-100", "10000.01", "%", "1e3", "NaN"])
def test_bad_rates_name_the_syntax(text: str) -> None:
    error = parse_scan_rate(text)
    assert isinstance(error, ParseError)
    assert error.key == "scan.bad_rate" and error.usage_key == "scan.usage"


@given(st.text(max_size=40))
def test_any_text_gives_a_rate_or_a_parse_error(text: str) -> None:
    result = parse_scan_rate(text)
    assert result is None or isinstance(result, Decimal | ParseError)


@given(st.text(max_size=40))
def test_any_text_gives_a_row_count_or_a_parse_error(text: str) -> None:
    result = parse_dscan_top(text)
    assert isinstance(result, ParseError) or 1 <= result <= 500


def test_row_counts() -> None:
    assert parse_dscan_top(None) == 50
    assert parse_dscan_top("7") == 7
    for bad in ("0", "501", "٣", "x", "2.5"):
        assert isinstance(parse_dscan_top(bad), ParseError), bad
