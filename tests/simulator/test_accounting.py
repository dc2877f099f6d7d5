"""Money, positions, commission (0.05 %), blocking, futures margin, shorts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.simulator.helpers import NOT_SHORTABLE, SBER, dec, order, place, positions, refused

START_MONEY = Decimal(10_000_000)


async def sber_future(sim: Any) -> dict[str, Any]:
    futures = await sim.ok("InstrumentsService", "Futures", {})
    nearest = min(
        (f for f in futures["instruments"] if f["basicAsset"] == "SBER"),
        key=lambda f: f["expirationDate"],
    )
    info: dict[str, Any] = await sim.instrument(nearest["uid"])
    return info


async def test_buy_and_sell_move_money_positions_and_charge_commission(sim: Any) -> None:
    await sim.set_book(SBER, bids=[("249.90", 100)], asks=[("250.00", 100)])
    await place(sim, 10)  # 10 lots x 10 shares x 250.00 = 25 000, commission 12.50
    account = await sim.account()
    assert Decimal(account["money"]) == START_MONEY - Decimal("25000") - Decimal("12.50")
    assert [(p["ticker"], p["balance"]) for p in account["positions"]] == [("SBER", 100)]
    await sim.set_book(SBER, bids=[("251.00", 100)], asks=[("251.10", 100)])
    await place(sim, 10, direction="sell")  # + 25 100 - 12.55
    account = await sim.account()
    assert Decimal(account["money"]) == START_MONEY + Decimal("100") - Decimal("25.05")
    assert account["positions"] == []


async def test_portfolio_and_positions_report_the_holdings(sim: Any) -> None:
    await sim.set_book(SBER, bids=[("249.90", 100)], asks=[("250.00", 100)], last_price="250.00")
    await place(sim, 3)
    pos = await positions(sim)
    assert [(s["ticker"], s["balance"], s["blocked"]) for s in pos["securities"]] == [
        ("SBER", "30", "0")
    ]
    portfolio = await sim.ok("OperationsService", "GetPortfolio", {"accountId": sim.account_id})
    sber = next(p for p in portfolio["positions"] if p.get("ticker") == "SBER")
    assert dec(sber["quantity"]) == 30
    assert dec(sber["averagePositionPrice"]) == Decimal("250.00")
    assert dec(portfolio["totalAmountShares"]) == Decimal("250.00") * 30


async def test_resting_buy_blocks_money_until_cancelled(sim: Any) -> None:
    posted = await place(sim, 4, price="200.00")  # 8 000 + commission 4.00
    pos = await positions(sim)
    assert dec(pos["blocked"][0]) == Decimal("8004.00")
    assert dec(pos["money"][0]) == START_MONEY - Decimal("8004.00")
    await sim.ok(
        "OrdersService", "CancelOrder", {"accountId": sim.account_id, "orderId": posted["orderId"]}
    )
    pos = await positions(sim)
    assert (dec(pos["blocked"][0]), dec(pos["money"][0])) == (Decimal(0), START_MONEY)


async def test_resting_sell_blocks_the_shares(sim: Any) -> None:
    await place(sim, 5)
    await place(sim, 2, direction="sell", price="290.00")
    pos = await positions(sim)
    assert [(s["balance"], s["blocked"]) for s in pos["securities"]] == [("30", "20")]


async def test_not_enough_money_is_refused(sim: Any) -> None:
    await sim.set_money("1000")
    assert await refused(sim, order(sim, 1)) == (400, "30034")
    max_lots = await sim.ok(
        "OrdersService", "GetMaxLots", {"accountId": sim.account_id, "instrumentId": SBER}
    )
    assert max_lots["buyLimits"]["buyMaxLots"] == "0"


async def test_futures_block_initial_margin_not_the_full_value(sim: Any) -> None:
    fut = await sber_future(sim)
    margin = Decimal(fut["initialMargin"])
    await sim.set_book(fut["uid"], bids=[("25000", 10)], asks=[("25010", 10)])
    await place(sim, 2, instrument=fut["uid"])
    account = await sim.account()
    commission = (Decimal("25010") * 2 * Decimal("0.0005")).quantize(Decimal("0.01"))
    assert Decimal(account["money"]) == START_MONEY - commission
    assert Decimal(account["futuresMargin"]) == 2 * margin
    pos = await positions(sim)
    assert [(f["ticker"], f["balance"]) for f in pos["futures"]] == [(fut["ticker"], "2")]
    assert dec(pos["blocked"][0]) == 2 * margin
    # closing at +100 points realises 100 RUB per contract (step 1 pt = 1 RUB)
    await sim.set_book(fut["uid"], bids=[("25110", 10)], asks=[("25120", 10)])
    await place(sim, 2, direction="sell", instrument=fut["uid"])
    account = await sim.account()
    commission_out = (Decimal("25110") * 2 * Decimal("0.0005")).quantize(Decimal("0.01"))
    assert Decimal(account["money"]) == START_MONEY - commission - commission_out + 200
    assert Decimal(account["futuresMargin"]) == 0


async def test_futures_without_margin_money_are_refused(sim: Any) -> None:
    fut = await sber_future(sim)
    await sim.set_money(Decimal(fut["initialMargin"]) / 2)
    assert await refused(sim, order(sim, 1, instrument=fut["uid"])) == (400, "30042")


async def test_short_selling_only_where_enabled(sim: Any) -> None:
    await place(sim, 2, direction="sell")  # SBER is short-enabled
    account = await sim.account()
    assert [(p["ticker"], p["balance"]) for p in account["positions"]] == [("SBER", -20)]
    assert await refused(sim, order(sim, 1, direction="sell", instrument=NOT_SHORTABLE)) == (
        400,
        "30042",
    )
    await sim.set_instrument(SBER, shortEnabledFlag=False)
    assert await refused(sim, order(sim, 1, direction="sell")) == (400, "30042")


async def test_instrument_flags_refuse_orders(sim: Any) -> None:
    await sim.set_instrument(SBER, apiTradeAvailableFlag=False)
    assert await refused(sim, order(sim, 1)) == (400, "30052")
    await sim.set_instrument(SBER, apiTradeAvailableFlag=True, buyAvailableFlag=False)
    assert await refused(sim, order(sim, 1)) == (400, "30079")
    assert await refused(sim, order(sim, 1, price="250.001")) == (400, "30078")
    book = await sim.ok("MarketDataService", "GetOrderBook", {"instrumentId": SBER, "depth": 1})
    above = dec(book["limitUp"]) + Decimal("0.01")
    assert await refused(sim, order(sim, 1, price=str(above))) == (400, "30099")
    assert await refused(sim, order(sim, 1, instrument="NOPE_TQBR")) == (404, "50002")
    bad_account = {**order(sim, 1), "accountId": "nobody"}
    assert await refused(sim, bad_account) == (404, "50004")
    assert await refused(sim, {**order(sim, 1), "quantity": "0"}) == (400, "30015")
    assert await refused(sim, {**order(sim, 1), "direction": "UP"}) == (400, "30020")
    no_price = order(sim, 1)
    no_price["orderType"] = "ORDER_TYPE_LIMIT"
    assert await refused(sim, no_price) == (400, "30017")
