"""The broker's rules for new stop orders: type against direction and price, trading days,
and a lost answer resent with the same orderId."""

from __future__ import annotations

from datetime import UTC, datetime

from simulator.orders import STOP_ACTIVE
from tests.simulator.helpers import SBER
from tests.simulator.test_stops import stop_body
from tests.support.sim import SimHandle, running_simulator


async def test_the_wrong_type_for_the_side_of_the_price_is_refused_with_30053(
    sim: SimHandle,
) -> None:
    await sim.set_price(SBER, "250.00")
    for kind, direction, price in (
        ("STOP_LOSS", "buy", "240.00"),  # a buy below the market is a take-profit
        ("STOP_LOSS", "sell", "260.00"),
        ("TAKE_PROFIT", "buy", "260.00"),
        ("TAKE_PROFIT", "sell", "240.00"),
    ):
        status, data, _ = await sim.call(
            "StopOrdersService", "PostStopOrder", stop_body(sim, kind, direction, price)
        )
        assert (status, data["description"]) == (400, "30053"), (kind, direction, data)
        assert "Post stop_order error" in data["message"]
    for kind, direction, price in (
        ("TAKE_PROFIT", "buy", "240.00"),
        ("TAKE_PROFIT", "sell", "260.00"),
        ("STOP_LOSS", "buy", "260.00"),
        ("STOP_LOSS", "sell", "240.00"),
    ):
        await sim.ok("StopOrdersService", "PostStopOrder", stop_body(sim, kind, direction, price))


async def test_no_stop_orders_on_a_weekend() -> None:
    saturday = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    async with running_simulator(start_time=saturday) as sim:
        status, data, _ = await sim.call(
            "StopOrdersService", "PostStopOrder", stop_body(sim, "TAKE_PROFIT", "buy", "1.00")
        )
        assert (status, data["description"]) == (400, "30092")
    async with running_simulator(start_time=saturday, always_open=True) as sim:
        await sim.ok(
            "StopOrdersService", "PostStopOrder", stop_body(sim, "TAKE_PROFIT", "buy", "1.00")
        )


async def test_a_lost_answer_resent_with_the_same_id_is_one_stop(sim: SimHandle) -> None:
    await sim.set_price(SBER, "250.00")
    await sim.control("POST", "faults", {"losePostStopOrder": 1, "loseMode": "504"})
    body = stop_body(sim, "TAKE_PROFIT", "buy", "240.00")
    status, _data, _ = await sim.call("StopOrdersService", "PostStopOrder", body)
    assert status == 504  # the stop was accepted, the answer lost
    again = await sim.ok("StopOrdersService", "PostStopOrder", body)
    stops = [s for s in sim.simulator.exchange.stop_orders.values() if s.status == STOP_ACTIVE]
    assert [s.stop_order_id for s in stops] == [again["stopOrderId"]]
