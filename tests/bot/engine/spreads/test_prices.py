"""/sprices data: executable prices both ways, or how long until both legs trade."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.base_client.types import Instrument, Spread
from bot.broker import errors as broker_errors
from bot.engine.spreads.legs import spread_config, spread_key, spread_title
from bot.engine.spreads.maths import Book, BookLike, Level, SpreadError
from bot.engine.spreads.prices import LegSession, both_open_at, quote_spread, spread_prices

D = Decimal
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

SBER = Instrument(
    id=1,
    figi="BBG004730N88",
    uid="sber-uid",
    ticker="SBER",
    class_code="TQBR",
    name="Sberbank",
    kind="share",
    lot=10,
    min_price_increment=D("0.01"),
)
SRH7 = Instrument(
    id=2,
    figi="FUTSBRF0327",
    uid="srh7-uid",
    ticker="SRH7",
    class_code="SPBFUT",
    name="SBRF-3.27",
    kind="future",
    lot=1,
    min_price_increment=D("1"),
    min_price_increment_amount=D("1"),
    basic_asset="SBER",
    basic_asset_size=D("100"),
)


def spread(**kw: object) -> Spread:
    base: dict[str, object] = {
        "id": 7,
        "far": SRH7,
        "near": SBER,
        "direction": "sell",
        "amount": 3,
        "target_price": D("1450"),
        "ratio": D("100"),
        "ratio_override": None,
        "active": True,
        "far_executed": 0,
        "far_average": None,
        "near_executed": 0,
        "near_average": None,
        "average_spread": None,
        "created_at": None,
    }
    base.update(kw)
    return Spread(**base)  # type: ignore[arg-type]


def book(bids: list[tuple[str, int]], asks: list[tuple[str, int]]) -> Book:
    return Book(
        bids=tuple(Level(D(p), q) for p, q in bids), asks=tuple(Level(D(p), q) for p, q in asks)
    )


FAR = book([("31400", 5)], [("31500", 5)])
NEAR = book([("299.90", 10), ("299.00", 100)], [("300.00", 10), ("300.50", 100)])
OPEN = LegSession(True)


def test_both_directions_priced_like_the_job_would_trade() -> None:
    q = quote_spread(spread(), FAR, NEAR, OPEN, OPEN, NOW)
    assert q.in_session and q.error_key is None and q.ratio == 100
    assert q.sell is not None and q.buy is not None
    # selling: far at the ask 31500, hedge buys 10 lots at 300.00
    assert (q.sell.spread, q.sell.far_price, q.sell.near_price) == (D("1500"), D("31500"), D("300"))
    assert q.sell.meets_target
    # whole amount (3 contracts = 30 lots): 10 × 300.00 + 20 × 300.50 → 300.333… → 1466.67
    assert q.sell.spread_full is not None and D("1466") < q.sell.spread_full < D("1467")
    # buying: far at the bid 31400, hedge sells at 299.90: 1410, not ≤ 1450? it is: meets
    assert q.buy.spread == D("1410") and q.buy.meets_target
    assert q.side("buy") is q.buy


def test_target_compared_in_each_direction() -> None:
    q = quote_spread(spread(target_price=D("1450")), FAR, NEAR, OPEN, OPEN, NOW)
    assert q.sell is not None and q.buy is not None
    assert q.sell.meets_target and q.buy.meets_target
    q = quote_spread(spread(target_price=D("1600")), FAR, NEAR, OPEN, OPEN, NOW)
    assert q.sell is not None and q.buy is not None
    assert not q.sell.meets_target and q.buy.meets_target
    q = quote_spread(spread(target_price=D("1400")), FAR, NEAR, OPEN, OPEN, NOW)
    assert q.sell is not None and q.buy is not None
    assert q.sell.meets_target and not q.buy.meets_target


def test_thin_books_are_reported_not_guessed() -> None:
    thin = book([("299.90", 5)], [("300.00", 5)])
    q = quote_spread(spread(), FAR, thin, OPEN, OPEN, NOW)
    assert q.sell is not None
    assert q.sell.spread is None and q.sell.reason == "not_enough_depth"
    assert not q.sell.meets_target
    empty_far = book([], [])
    q = quote_spread(spread(), empty_far, NEAR, OPEN, OPEN, NOW)
    assert q.sell is not None and q.sell.reason == "no_far_price"


def test_remaining_amount_uses_what_is_left() -> None:
    q = quote_spread(spread(far_executed=2), FAR, NEAR, OPEN, OPEN, NOW)
    assert q.remaining == 1
    assert q.sell is not None and q.sell.spread_full == q.sell.spread


def test_closed_session_gives_the_minutes_until_both_legs_trade() -> None:
    far_s = LegSession(False, NOW + timedelta(minutes=50))
    near_s = LegSession(False, NOW + timedelta(minutes=110, seconds=20))
    q = quote_spread(spread(), FAR, NEAR, far_s, near_s, NOW)
    assert not q.in_session and q.sell is None and q.buy is None
    assert q.opens_at == NOW + timedelta(minutes=110, seconds=20)
    assert q.minutes_to_open == 111
    q = quote_spread(spread(), None, None, OPEN, far_s, NOW)
    assert q.minutes_to_open == 50
    q = quote_spread(spread(), None, None, OPEN, LegSession(False, None), NOW)
    assert q.opens_at is None and q.minutes_to_open is None and not q.in_session


def test_both_open_at() -> None:
    assert both_open_at(OPEN, OPEN) is None
    assert both_open_at(LegSession(False, NOW), OPEN) == NOW


def test_a_spread_that_cannot_be_priced_says_why() -> None:
    no_step = replace(SRH7, min_price_increment_amount=None)
    q = quote_spread(spread(far=no_step), FAR, NEAR, OPEN, OPEN, NOW)
    assert q.error_key == "spread_no_increment_amount" and q.sell is None
    q = quote_spread(spread(far=SBER, near=SRH7), FAR, NEAR, OPEN, OPEN, NOW)
    assert q.error_key == "spread_far_not_future"


async def test_spread_prices_reads_books_only_in_session() -> None:
    reads: list[str] = []

    async def read_book(instrument: Instrument) -> BookLike:
        reads.append(instrument.ticker)
        return FAR if instrument.kind == "future" else NEAR

    async def read_session(instrument: Instrument) -> LegSession:
        return LegSession(True)

    quotes = await spread_prices([spread(), spread(id=8)], read_book, read_session, lambda: NOW)
    assert [q.spread_id for q in quotes] == [7, 8]
    assert all(q.sell is not None and q.sell.spread == D("1500") for q in quotes)
    assert sorted(reads) == ["SBER", "SBER", "SRH7", "SRH7"]

    async def closed(instrument: Instrument) -> LegSession:
        return LegSession(False, NOW + timedelta(hours=1))

    reads.clear()
    quotes = await spread_prices([spread()], read_book, closed, lambda: NOW)
    assert reads == [] and quotes[0].minutes_to_open == 60


async def test_spread_prices_reports_a_broker_error_per_spread() -> None:
    async def read_book(instrument: Instrument) -> BookLike:
        raise broker_errors.BrokerError("boom")

    async def read_session(instrument: Instrument) -> LegSession:
        return LegSession(True)

    (q,) = await spread_prices([spread()], read_book, read_session, lambda: NOW)
    assert q.error_key == "broker_error" and q.in_session and q.sell is None


# --------------------------------------------------------------------------- legs


def test_spread_config_from_the_base_task() -> None:
    cfg = spread_config(spread())
    assert (cfg.ratio, cfg.amount, cfg.target, cfg.far.ticker, cfg.near.ticker) == (
        D("100"),
        3,
        D("1450"),
        "SRH7",
        "SBER",
    )
    assert cfg.far_direction == "sell" and cfg.near_direction == "buy"
    assert spread_key(spread()) == "spread:7" and spread_title(spread()) == "sell SRH7/SBER"
    assert spread_config(spread(ratio_override=D("50"), ratio=D("50"))).ratio == 50


def test_spread_config_refuses_amounts_that_are_not_whole_near_lots() -> None:
    with pytest.raises(SpreadError) as err:
        spread_config(spread(ratio_override=D("5"), ratio=D("5"), amount=1))
    assert err.value.key == "spread_near_not_whole_lots"
