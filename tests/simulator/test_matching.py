"""Matching: market orders walk the book, limit orders fill partially and rest, resting orders
fill in price-time priority when the market reaches them."""

from __future__ import annotations

from decimal import Decimal

from tests.simulator.helpers import SBER, book, dec, place, stages, state
from tests.support.sim import SimHandle

FILL = "EXECUTION_REPORT_STATUS_FILL"
PARTIAL = "EXECUTION_REPORT_STATUS_PARTIALLYFILL"
NEW = "EXECUTION_REPORT_STATUS_NEW"
CANCELLED = "EXECUTION_REPORT_STATUS_CANCELLED"


async def test_market_order_walks_the_book_and_consumes_its_liquidity(sim: SimHandle) -> None:
    await sim.set_book(SBER, bids=[("249.90", 5)], asks=[("250.00", 5), ("250.10", 10)])
    posted = await place(sim, 8)
    assert posted["executionReportStatus"] == FILL
    got = await state(sim, posted["orderId"])
    assert stages(got) == [(Decimal("250.00"), 5), (Decimal("250.10"), 3)]
    assert dec(got["executedOrderPrice"]) == (Decimal("250.00") * 5 + Decimal("250.10") * 3) / 8
    after = await book(sim)
    assert [(dec(a["price"]), int(a["quantity"])) for a in after["asks"]] == [
        (Decimal("250.10"), 7)
    ]


async def test_market_order_larger_than_the_book_fills_what_there_is(sim: SimHandle) -> None:
    await sim.set_book(SBER, bids=[("249.90", 5)], asks=[("250.00", 4)])
    posted = await place(sim, 10)
    assert (posted["executionReportStatus"], posted["lotsExecuted"]) == (CANCELLED, "4")


async def test_limit_order_fills_what_crosses_and_rests_the_rest(sim: SimHandle) -> None:
    await sim.set_book(SBER, bids=[("249.90", 5)], asks=[("250.00", 5), ("250.10", 10)])
    posted = await place(sim, 20, price="250.05")
    assert (posted["executionReportStatus"], posted["lotsExecuted"]) == (PARTIAL, "5")
    active = await sim.ok("OrdersService", "GetOrders", {"accountId": sim.account_id})
    assert [o["orderId"] for o in active["orders"]] == [posted["orderId"]]
    # new sellers arrive at the limit; the market's last trade stays above it
    await sim.set_book(SBER, bids=[("249.90", 5)], asks=[("250.05", 4)], last_price="250.20")
    got = await state(sim, posted["orderId"])
    assert (got["executionReportStatus"], got["lotsExecuted"]) == (PARTIAL, "9")
    assert stages(got)[-1] == (Decimal("250.05"), 4)


async def test_resting_order_fills_when_the_last_price_trades_through_it(sim: SimHandle) -> None:
    posted = await place(sim, 3, price="240.00")
    assert posted["executionReportStatus"] == NEW
    await sim.set_price(SBER, "240.50")
    assert (await state(sim, posted["orderId"]))["executionReportStatus"] == NEW
    await sim.set_price(SBER, "239.80")
    got = await state(sim, posted["orderId"])
    assert got["executionReportStatus"] == FILL
    assert stages(got) == [(Decimal("240.00"), 3)]
    active = await sim.ok("OrdersService", "GetOrders", {"accountId": sim.account_id})
    assert active["orders"] == []


async def test_resting_orders_fill_in_price_time_priority(sim: SimHandle) -> None:
    await sim.set_book(SBER, bids=[("240.00", 1)], asks=[("260.00", 10)], last_price="255.00")
    first = await place(sim, 3, price="250.00")
    better = await place(sim, 3, price="250.10")
    later = await place(sim, 3, price="250.00")
    await sim.set_book(SBER, bids=[("240.00", 1)], asks=[("249.90", 5)], last_price="255.00")
    results = {
        name: await state(sim, o["orderId"])
        for name, o in (("first", first), ("better", better), ("later", later))
    }
    summary = {n: (r["executionReportStatus"], r["lotsExecuted"]) for n, r in results.items()}
    assert summary == {"better": (FILL, "3"), "first": (PARTIAL, "2"), "later": (NEW, "0")}
    # a resting order trades at its own price (it was there first)
    assert stages(results["better"]) == [(Decimal("250.10"), 3)]


async def test_fill_or_kill_and_fill_and_kill(sim: SimHandle) -> None:
    await sim.set_book(SBER, bids=[("249.90", 5)], asks=[("250.00", 5)])
    fok = await place(sim, 6, price="250.00", timeInForce="TIME_IN_FORCE_FILL_OR_KILL")
    assert (fok["executionReportStatus"], fok["lotsExecuted"]) == (CANCELLED, "0")
    fak = await place(sim, 6, price="250.00", timeInForce="TIME_IN_FORCE_FILL_AND_KILL")
    assert (fak["executionReportStatus"], fak["lotsExecuted"]) == (CANCELLED, "5")


async def test_sell_limit_fills_against_bids(sim: SimHandle) -> None:
    await place(sim, 10)
    await sim.set_book(SBER, bids=[("251.00", 4), ("250.50", 10)], asks=[("251.10", 5)])
    posted = await place(sim, 6, direction="sell", price="250.80")
    got = await state(sim, posted["orderId"])
    assert (got["executionReportStatus"], stages(got)) == (PARTIAL, [(Decimal("251.00"), 4)])


async def test_cancel_order_stops_it_filling(sim: SimHandle) -> None:
    posted = await place(sim, 3, price="240.00")
    await sim.ok(
        "OrdersService", "CancelOrder", {"accountId": sim.account_id, "orderId": posted["orderId"]}
    )
    await sim.set_price(SBER, "230.00")
    got = await state(sim, posted["orderId"])
    assert (got["executionReportStatus"], got["lotsExecuted"]) == (CANCELLED, "0")
    status, data, _ = await sim.call(
        "OrdersService", "CancelOrder", {"accountId": sim.account_id, "orderId": "999"}
    )
    assert (status, data["description"]) == (404, "50005")
