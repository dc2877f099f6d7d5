"""The scanners against the simulator's whole catalogue (real broker client, loopback)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, localcontext

from bot.engine.scanners.report import DividendRow
from tests.bot.engine.scanners.rig import scan_rig

#: 00:30 in Moscow on Wednesday 11 March 2026: every market closed.
NIGHT = datetime(2026, 3, 10, 21, 30, tzinfo=UTC)


def annual(profit: Decimal, margin: Decimal, days: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        return ((1 + profit / margin) ** (Decimal(365) / days) - 1) * 100


async def test_scan_finds_the_pairs_the_prices_imply_in_hand_computed_order() -> None:
    async with scan_rig(start=NIGHT) as rig:
        await rig.sim.set_price("SBER_TQBR", "300")
        await rig.sim.set_price("SRH6_SPBFUT", "30500")
        await rig.sim.set_price("SRM6_SPBFUT", "33000")
        report = await rig.desk.scan(Decimal(60))
    # by hand, per far contract (100 SBER shares; 1 point = 1 rouble); the broker blocks 20 % of
    # a future's value (its client rate, above the exchange's 15 %) and 25 % of a share's:
    #   SRH6/SBER (8 days):   30 500 − 30 000 = 500;   6 100 + 7 500 = 13 600
    #   SRM6/SBER (99 days):  33 000 − 30 000 = 3 000; 6 600 + 7 500 = 14 100
    #   SRM6/SRH6 (99 days):  33 000 − 30 500 = 2 500; 6 600 + 6 100 = 12 700
    expected = [
        ("SRH6", "SBER", Decimal(500), Decimal(13600), 8),
        ("SRM6", "SBER", Decimal(3000), Decimal(14100), 99),
        ("SRM6", "SRH6", Decimal(2500), Decimal(12700), 99),
    ]
    expected.sort(key=lambda e: -annual(e[2], e[3], e[4]))
    assert [(r.far, r.near) for r in report.rows] == [(e[0], e[1]) for e in expected], report.rows
    for row, (_, _, profit, margin, days) in zip(report.rows, expected, strict=True):
        assert (row.profit, row.margin, row.days) == (profit, margin, days)
        assert abs(row.annual_percent - annual(profit, margin, days)) < Decimal("0.000001")
        assert row.source == "last"  # outside the session
    assert report.matched == 3 and report.rate == 60
    assert report.requests.books == 0 and not report.in_session


async def test_a_whole_scan_takes_three_market_requests_plus_the_books() -> None:
    async with scan_rig(reprice_books=12) as rig:
        report = await rig.desk.scan(Decimal(0))
        served = (await rig.requests())["requests"]
    assert served == {
        "InstrumentsService/Shares": 1,
        "InstrumentsService/Futures": 1,
        "MarketDataService/GetLastPrices": 1,
        "MarketDataService/GetOrderBook": report.requests.books,
    }
    assert report.requests.market == {"Shares": 1, "Futures": 1, "GetLastPrices": 1}
    assert 0 < report.requests.books <= 12
    assert report.pairs == 234  # 39 shares with three futures each: 3 stock + 3 future pairs
    assert len(report.rows) == 70 < report.matched == len(report.all_rows)


async def test_in_session_the_best_candidates_are_priced_at_the_bid_and_the_ask() -> None:
    async with scan_rig() as rig:
        await rig.sim.set_price("SBER_TQBR", "300")
        await rig.sim.set_price("SRM6_SPBFUT", "33000")
        await rig.sim.set_book("SRM6_SPBFUT", [("32990", 5)], [("33010", 5)], last_price="33000")
        await rig.sim.set_book("SBER_TQBR", [("299.9", 50)], [("300.1", 50)], last_price="300")
        report = await rig.desk.scan(Decimal(60))
    assert report.rows[0].far == "SRM6"  # against SBER or SRH6: far above anything else
    [top] = [row for row in report.rows if (row.far, row.near) == ("SRM6", "SBER")]
    assert top.source == "book"
    assert (top.far_price, top.near_price) == (Decimal(32990), Decimal("300.1"))
    assert top.profit == 32990 - 30010
    assert top.tradable
    assert report.repriced >= 1 and report.in_session


async def test_pairs_expiring_today_are_skipped() -> None:
    expiry_day = datetime(2026, 3, 19, 9, 0, tzinfo=UTC)  # SRH6 & co. expire today
    async with scan_rig(start=expiry_day) as rig:
        report = await rig.desk.scan(Decimal(-99))
        dividends = await rig.desk.dividend_scan(500)
    assert report.rows
    assert all(row.far_expiry > date(2026, 3, 19) and row.days > 0 for row in report.all_rows)
    assert not {row.far for row in report.all_rows} & {"SRH6", "GZH6"}
    assert all(row.days > 0 for row in dividends.all_rows)


def _declared_before(rig_dividends: dict[str, list], row: DividendRow, now: datetime) -> Decimal:
    return sum(
        (
            d.amount
            for d in rig_dividends.get(row.share, [])
            if now <= d.record and d.record.date() < row.expiry
        ),
        start=Decimal(0),
    )


async def test_dscan_recovers_the_dividends_the_simulator_declares() -> None:
    # Tolerance: 0.1 % of the share price — the scanner counts whole days of carry (one day at
    # 16 % is 0.04 %), the future's price is rounded to its step, and re-priced rows pay the
    # half-spreads of two books (about 0.02 % of the price each). Seen: at most 0.04 %.
    async with scan_rig() as rig:
        report = await rig.desk.dividend_scan(500)
        declared = rig.sim.simulator.exchange.catalogue.dividends
        served = (await rig.requests())["requests"]
    now = rig.clock.now()
    assert report.rows and report.carry_percent == 16
    with_dividend = 0
    for row in report.rows:
        truth = _declared_before(declared, row, now)
        assert abs(row.implied - truth) <= row.share_price * Decimal("0.001"), row
        if truth:
            with_dividend += 1
            assert row.declared == truth and row.declared_record is not None, row
        else:
            assert row.declared is None
    assert with_dividend >= 10
    assert (
        served["InstrumentsService/GetDividends"]
        == report.requests.dividends
        == len({row.share for row in report.rows})
    )
    assert served["MarketDataService/GetLastPrices"] == 1


async def test_dscan_shows_the_top_n_by_yield() -> None:
    async with scan_rig() as rig:
        report = await rig.desk.dividend_scan(5)
    assert len(report.rows) == 5
    yields = [row.yield_percent for row in report.all_rows]
    assert yields[:5] == sorted(yields, reverse=True)[:5]
    assert report.requests.dividends == len({row.share for row in report.rows})
