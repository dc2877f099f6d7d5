"""What the scanners read from the simulator: futures priced net of the dividends it declares,
GetDividends, margins and client risk rates consistent with prices, and the request counter."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.contract.schema import requires_contract, validate_request, validate_response
from tests.simulator.helpers import dec

INSTRUMENTS = "InstrumentsService"


async def _future(sim: Any, ticker: str) -> dict[str, Any]:
    data = await sim.ok(INSTRUMENTS, "Futures", {})
    [future] = [f for f in data["instruments"] if f["ticker"] == ticker]
    return future


def _with_dividend(sim: Any) -> tuple[str, Any]:
    dividends = sim.simulator.exchange.catalogue.dividends
    futures = {f.basic_asset for f in sim.simulator.exchange.catalogue.futures}
    ticker = sorted(t for t in dividends if t in futures)[0]
    return ticker, dividends[ticker][0]


async def test_get_dividends_answers_the_declared_dividends(sim: Any) -> None:
    ticker, dividend = _with_dividend(sim)
    body = {"instrumentId": f"{ticker}_TQBR", "from": "2026-01-01T00:00:00Z"}
    data = await sim.ok(INSTRUMENTS, "GetDividends", {**body, "to": "2027-01-01T00:00:00Z"})
    [answer] = data["dividends"]
    assert dec(answer["dividendNet"]) == dividend.amount
    assert answer["recordDate"].startswith(dividend.record.date().isoformat())
    # filtered by record date
    before = {**body, "to": "2026-03-12T00:00:00Z"}
    if dividend.record.date().isoformat() > "2026-03-12":
        assert (await sim.ok(INSTRUMENTS, "GetDividends", before))["dividends"] == []
    # a share without one
    dividends = sim.simulator.exchange.catalogue.dividends
    plain = next(
        s.ticker for s in sim.simulator.exchange.catalogue.shares if s.ticker not in dividends
    )
    assert (await sim.ok(INSTRUMENTS, "GetDividends", {"instrumentId": f"{plain}_TQBR"})) == {
        "dividends": []
    }


async def test_futures_are_priced_net_of_the_dividends_before_their_expiry(sim: Any) -> None:
    catalogue = sim.simulator.exchange.catalogue
    now = sim.simulator.clock.now()
    for fut in catalogue.futures:
        share = catalogue.underlying(fut)
        quote = sim.simulator.exchange.market.quote(fut)
        spot = sim.simulator.exchange.market.quote(share).mid
        days = Decimal((fut.expiration - now).total_seconds()) / 86400
        carried = spot * (1 + Decimal("0.16") * days / 365)
        declared = sum(
            (
                d.amount
                for d in catalogue.dividends.get(share.ticker, [])
                if now < d.record < fut.expiration
            ),
            start=Decimal(0),
        )
        implied = carried - quote.mid / fut.basic_asset_size
        assert abs(
            implied - declared
        ) <= fut.min_price_increment / fut.basic_asset_size + spot * Decimal("0.0001"), fut.ticker


async def test_margins_and_client_rates_follow_the_price(sim: Any) -> None:
    before = await _future(sim, "SRM6")
    assert dec(before["dlongClient"]) == dec(before["dshortClient"]) == Decimal("0.2")
    assert dec(before["dshort"]) == Decimal("0.15")
    price = Decimal((await sim.instrument("SRM6_SPBFUT"))["lastPrice"])
    assert dec(before["initialMarginOnSell"]) == (price * Decimal("0.15")).quantize(Decimal("0.01"))
    await sim.set_price("SRM6_SPBFUT", "40000")
    after = await _future(sim, "SRM6")
    assert dec(after["initialMarginOnSell"]) == Decimal(6000)
    margin = await sim.ok(INSTRUMENTS, "GetFuturesMargin", {"instrumentId": "SRM6_SPBFUT"})
    assert dec(margin["initialMarginOnBuy"]) == Decimal(6000)


async def test_the_request_counter_counts_each_method(sim: Any) -> None:
    await sim.control("POST", "requests")
    await sim.ok(INSTRUMENTS, "Shares", {})
    await sim.ok("MarketDataService", "GetLastPrices", {"instrumentId": []})
    await sim.ok("MarketDataService", "GetLastPrices", {"instrumentId": ["SBER_TQBR"]})
    await sim.call("MarketDataService", "GetOrderBook", {"instrumentId": "nope", "depth": 1})
    counts = await sim.control("GET", "requests")
    assert counts == {
        "requests": {
            "InstrumentsService/Shares": 1,
            "MarketDataService/GetLastPrices": 2,
            "MarketDataService/GetOrderBook": 1,  # refused, but served
        },
        "total": 4,
    }
    assert (await sim.control("POST", "requests"))["total"] == 4
    assert (await sim.control("GET", "requests")) == {"requests": {}, "total": 0}
    await sim.ok(INSTRUMENTS, "Futures", {})
    await sim.reset()
    assert (await sim.control("GET", "requests"))["total"] == 0


@requires_contract
async def test_declared_dividends_follow_the_contract(sim: Any) -> None:
    ticker, _ = _with_dividend(sim)
    body = {"instrumentId": f"{ticker}_TQBR", "to": "2027-12-31T00:00:00Z"}
    validate_request(INSTRUMENTS, "GetDividends", body)
    status, data, _ = await sim.call(INSTRUMENTS, "GetDividends", body)
    assert status == 200 and data["dividends"]
    validate_response(INSTRUMENTS, "GetDividends", data, status)
