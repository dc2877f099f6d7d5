"""Which pairs the scanners price: the nearest three futures of each share, alive and active."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.base_client.types import Instrument as BaseInstrument
from bot.broker.types import Instrument as BrokerInstrument
from bot.broker.types import InstrumentKind, Money, TradingStatusCode
from bot.engine.scanners.pairs import find_pairs, join

TODAY = date(2026, 3, 11)
_ids = iter(range(1, 1000))


def base(ticker: str, kind: str = "share", **fields: object) -> BaseInstrument:
    n = next(_ids)
    values: dict[str, object] = {
        "id": n,
        "figi": f"FIGI{ticker}",
        "uid": f"uid-{ticker}",
        "ticker": ticker,
        "class_code": "SPBFUT" if kind == "future" else "TQBR",
        "name": ticker,
        "kind": kind,
        "lot": 1 if kind == "future" else 10,
        "min_price_increment": Decimal(1) if kind == "future" else Decimal("0.01"),
    }
    if kind == "future":
        values.update(
            basic_asset="SBER",
            basic_asset_size=Decimal(100),
            min_price_increment_amount=Decimal(1),
        )
    values.update(fields)
    return BaseInstrument(**values)  # type: ignore[arg-type]


def broker(item: BaseInstrument, **fields: object) -> BrokerInstrument:
    values: dict[str, object] = {
        "kind": InstrumentKind.FUTURES if item.kind == "future" else InstrumentKind.SHARE,
        "figi": item.figi,
        "uid": item.uid,
        "ticker": item.ticker,
        "class_code": item.class_code,
        "name": item.name,
        "lot": item.lot,
        "currency": "RUB",
        "min_price_increment": item.min_price_increment,
        "api_trade_available": True,
        "buy_available": True,
        "sell_available": True,
        "trading_status": TradingStatusCode.NORMAL_TRADING,
        "dlong_client": Decimal("0.25"),
        "dshort_client": Decimal("0.3"),
        "basic_asset_size": item.basic_asset_size,
        "min_price_increment_amount": item.min_price_increment_amount,
        "initial_margin_on_sell": Money(Decimal(4000), "RUB") if item.kind == "future" else None,
    }
    values.update(fields)
    return BrokerInstrument(**values)  # type: ignore[arg-type]


def chain() -> list[BaseInstrument]:
    return [
        base("SBER"),
        base("SRH6", "future", expiration=date(2026, 3, 19)),
        base("SRM6", "future", expiration=date(2026, 6, 18)),
        base("SRU6", "future", expiration=date(2026, 9, 17)),
        base("SRZ6", "future", expiration=date(2026, 12, 17)),  # the fourth: not paired
        base("SRX6", "future", expiration=date(2026, 3, 11)),  # expires today: left out
        base("SRO6", "future", expiration=date(2026, 3, 1), active=False),
    ]


def test_a_share_pairs_with_its_nearest_three_futures_and_they_with_each_other() -> None:
    catalogue = chain()
    pairs = find_pairs(join(catalogue, [broker(i) for i in catalogue]), TODAY)
    keys = [(p.kind, p.key) for p in pairs]
    assert keys == [
        ("stock", "SRH6/SBER"),
        ("stock", "SRM6/SBER"),
        ("futures", "SRM6/SRH6"),
        ("stock", "SRU6/SBER"),
        ("futures", "SRU6/SRH6"),
        ("futures", "SRU6/SRM6"),
    ]
    assert {p.ratio for p in pairs if p.kind == "stock"} == {100}
    assert {p.ratio for p in pairs if p.kind == "futures"} == {1}


def test_instruments_unknown_to_the_broker_or_inactive_are_left_out() -> None:
    catalogue = chain()
    known = [broker(i) for i in catalogue if i.ticker != "SRH6"]
    pairs = find_pairs(join(catalogue, known), TODAY)
    assert [p.key for p in pairs] == [
        "SRM6/SBER",
        "SRU6/SBER",
        "SRU6/SRM6",
        "SRZ6/SBER",
        "SRZ6/SRM6",
        "SRZ6/SRU6",
    ]


def test_each_pair_says_whether_both_legs_trade_by_api_now() -> None:
    catalogue = chain()[:3]
    answers = [
        broker(catalogue[0]),
        broker(catalogue[1], api_trade_available=False),
        broker(catalogue[2], trading_status=TradingStatusCode.BREAK_IN_TRADING),
    ]
    pairs = {p.key: p for p in find_pairs(join(catalogue, answers), TODAY)}
    assert not pairs["SRH6/SBER"].tradable_now and pairs["SRH6/SBER"].in_session
    assert not pairs["SRM6/SBER"].tradable_now and not pairs["SRM6/SBER"].in_session
    answers[1] = broker(catalogue[1])
    answers[2] = broker(catalogue[2])
    pairs = {p.key: p for p in find_pairs(join(catalogue, answers), TODAY)}
    assert all(p.tradable_now for p in pairs.values())


def test_the_broker_risk_rates_and_margins_reach_the_maths() -> None:
    catalogue = chain()[:2]
    [pair] = find_pairs(join(catalogue, [broker(i) for i in catalogue]), TODAY)
    assert pair.far.risk.short_rate == Decimal("0.3")
    assert pair.far.risk.initial_sell == 4000
    assert pair.near.risk.long_rate == Decimal("0.25")
