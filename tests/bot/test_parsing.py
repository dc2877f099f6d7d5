"""/sell, /buy, /dump and /stop arguments: documented forms parse, anything else explains."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.parsing import (
    MAX_AMOUNT,
    ParseError,
    parse_job_id,
    parse_number,
    parse_sellbuy,
    parse_ticker,
)
from bot.engine.interface import SellBuyOrder
from bot.texts import Texts
from bot.texts.render import render_parse_error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SBER 300000", SellBuyOrder("sell", "SBER", money=Decimal(300000))),
        ("SBER 300 000", SellBuyOrder("sell", "SBER", money=Decimal(300000))),
        ("SBER 300\u00a0000", SellBuyOrder("sell", "SBER", money=Decimal(300000))),
        ("SBER 1 500 000,50", SellBuyOrder("sell", "SBER", money=Decimal("1500000.50"))),
        ("SBER 7,5", SellBuyOrder("sell", "SBER", money=Decimal("7.5"))),
        ("SBER 7.5", SellBuyOrder("sell", "SBER", money=Decimal("7.5"))),
        ("100 SBER", SellBuyOrder("sell", "SBER", amount=100)),
        ("1 000 SBER", SellBuyOrder("sell", "SBER", amount=1000)),
        ("100 sber", SellBuyOrder("sell", "SBER", amount=100)),
        ("2 SiH7", SellBuyOrder("sell", "SiH7", amount=2)),
        ("100 SBER @281,5", SellBuyOrder("sell", "SBER", amount=100, limit_price=Decimal("281.5"))),
        (
            "  SBER   300000   @ 281.35 ",
            SellBuyOrder("sell", "SBER", money=Decimal(300000), limit_price=Decimal("281.35")),
        ),
        ("10 SBER @1 000", SellBuyOrder("sell", "SBER", amount=10, limit_price=Decimal(1000))),
    ],
)
def test_documented_forms(text: str, expected: SellBuyOrder) -> None:
    assert parse_sellbuy("sell", text) == expected


def test_buy_keeps_its_direction() -> None:
    assert parse_sellbuy("buy", "5 GAZP") == SellBuyOrder("buy", "GAZP", amount=5)


@pytest.mark.parametrize(
    ("text", "key", "shown"),
    [
        ("", "parse.sellbuy_usage", None),
        ("SBER", "parse.sellbuy_usage", None),
        ("SBER 100 GAZP", "parse.sellbuy_usage", None),
        ("1,5 SBER", "parse.amount_whole", "1,5"),
        ("SBER 0", "parse.not_positive", "0"),
        ("-5 SBER", "parse.not_positive", "-5"),
        ("SBER 1,234", "parse.too_precise", "1,234"),
        ("SBER GAZP", "parse.bad_number", "GAZP"),
        ("SBER 1e5", "parse.bad_number", "1e5"),
        ("100 СБЕР", "parse.bad_ticker", "СБЕР"),
        ("SBER 10 @", "parse.price_missing", None),
        ("SBER 10 @0", "parse.not_positive", "0"),
        ("SBER 10 @abc", "parse.bad_number", "abc"),
        (f"{MAX_AMOUNT + 1} SBER", "parse.too_large", str(MAX_AMOUNT + 1)),
    ],
)
def test_bad_arguments_name_the_problem_and_show_the_syntax(
    text: str, key: str, shown: str | None
) -> None:
    result = parse_sellbuy("buy", text)
    assert isinstance(result, ParseError), result
    assert result.key == key
    if shown is not None:
        assert result.params["value"] == shown
    for language in ("ru", "en"):
        message = render_parse_error(Texts(language), result)
        assert "/buy" in message, message  # the syntax reminder is there
        assert "{" not in message, message  # every placeholder filled
        assert "\n" not in message  # one line
        if shown is not None:
            assert shown in message


def test_dump_and_stop_arguments() -> None:
    assert parse_ticker("gazp") == "GAZP"
    assert isinstance(parse_ticker(""), ParseError)
    assert isinstance(parse_ticker("SBER GAZP"), ParseError)
    assert isinstance(parse_ticker("123"), ParseError)
    assert parse_job_id(None) is None
    assert parse_job_id("") is None
    assert parse_job_id("#12") == "12"
    assert parse_job_id("s5") == "S5" and parse_job_id("#T12") == "T12"
    assert isinstance(parse_job_id("sb-3"), ParseError)
    assert isinstance(parse_job_id("abc"), ParseError)
    assert isinstance(parse_job_id("1 2"), ParseError)
    assert isinstance(parse_job_id("$$"), ParseError)
    for word in ("abc", "#abc", "all", "-", "#", "sb-", "1.5", "3;"):
        assert isinstance(parse_job_id(word), ParseError), word


def test_parse_number_never_uses_float() -> None:
    assert parse_number("0,1") == Decimal("0.1")
    assert parse_number("300_000") == Decimal(300000)
    assert parse_number("1.2.3") is None
    assert parse_number("1,000.5") is None  # a comma is a decimal mark, never thousands


@settings(deadline=None)  # no timing in make test: a loaded machine must not fail it
@given(st.text())
def test_any_text_gives_an_order_or_an_explained_error(text: str) -> None:
    for direction in ("buy", "sell"):
        result = parse_sellbuy(direction, text)
        if isinstance(result, ParseError):
            message = render_parse_error(Texts("en"), result)
            assert message
            for placeholder in ("{usage}", "{value}", "{command}", "{places}"):
                # every placeholder is filled; the owner's own text is echoed as typed
                assert placeholder not in message or placeholder in text
        else:
            assert (result.amount is None) != (result.money is None)
            assert result.amount is None or result.amount > 0
            assert result.money is None or result.money > 0
            assert result.limit_price is None or result.limit_price > 0
            assert result.ticker[0].isascii() and result.ticker[0].isalpha()


def test_braces_in_the_owner_s_text_are_echoed_not_formatted() -> None:
    for text in ("10 {value}", "10 {usage}", "10 {0.__class__}", "100 {usage}{value}"):
        result = parse_sellbuy("buy", text)
        assert isinstance(result, ParseError)
        message = render_parse_error(Texts("en"), result)
        assert f"“{text.split(' ', 1)[1]}” is not a ticker" in message


@settings(deadline=None)
@given(st.text(alphabet=st.sampled_from(list("SBER0123456789 ,.@-_#\u00a0sber"))))
def test_near_miss_texts_never_raise(text: str) -> None:
    parse_sellbuy("sell", text)
    parse_ticker(text)
    parse_job_id(text)


tickers = st.from_regex(r"[A-Z][A-Z0-9]{1,5}", fullmatch=True)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**6), places=2)


def grouped(number: int) -> str:
    return f"{number:,}".replace(",", " ")


@settings(deadline=None)
@given(
    ticker=tickers,
    amount=st.integers(min_value=1, max_value=MAX_AMOUNT),
    money=prices,
    limit=st.none() | prices,
    by_amount=st.booleans(),
    spaces=st.booleans(),
    comma=st.booleans(),
)
def test_written_orders_parse_back(
    ticker: str,
    amount: int,
    money: Decimal,
    limit: Decimal | None,
    by_amount: bool,
    spaces: bool,
    comma: bool,
) -> None:
    def number(value: Decimal | int) -> str:
        whole, _, fraction = str(value).partition(".")
        text = grouped(int(whole)) if spaces else whole
        return text + ("," if comma else ".") + fraction if fraction else text

    text = f"{number(amount)} {ticker}" if by_amount else f"{ticker} {number(money)}"
    if limit is not None:
        text += f" @{number(limit)}"
    expected = SellBuyOrder(
        "sell",
        ticker,
        amount=amount if by_amount else None,
        money=None if by_amount else money,
        limit_price=limit,
    )
    assert parse_sellbuy("sell", text) == expected
