"""Faults on request: latency, error rate, lost PostOrder responses."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from tests.simulator.helpers import SBER, order
from tests.support.sim import PREFIX, running_simulator


async def test_error_rate_one_fails_only_that_method(sim: Any) -> None:
    await sim.faults(errorRate={"GetOrderBook": 1.0})
    status, data, _ = await sim.call(
        "MarketDataService", "GetOrderBook", {"instrumentId": SBER, "depth": 1}
    )
    assert (status, data["code"], data["description"]) == (500, 13, "70001")
    status, _, _ = await sim.call("MarketDataService", "GetTradingStatus", {"instrumentId": SBER})
    assert status == 200
    await sim.faults(clear=True)
    status, _, _ = await sim.call(
        "MarketDataService", "GetOrderBook", {"instrumentId": SBER, "depth": 1}
    )
    assert status == 200


async def _pattern(seed: int) -> list[int]:
    async with running_simulator(seed=seed) as sim:
        await sim.faults(errorRate={"*": 0.5}, errorCode=70003)
        out = []
        for _ in range(24):
            status, _, _ = await sim.call("UsersService", "GetAccounts", {})
            out.append(status)
        return out


async def test_error_rate_is_seeded() -> None:
    first, again, other = await _pattern(3), await _pattern(3), await _pattern(4)
    assert first == again
    assert set(first) == {200, 500}
    assert first != other


async def test_lost_post_order_response_the_order_is_still_placed(sim: Any) -> None:
    await sim.faults(losePostOrder=1)
    body = order(sim, 1)
    url = f"{sim.rest_url}/{PREFIX}OrdersService/PostOrder"
    with pytest.raises(aiohttp.ClientError):
        async with sim.session.post(url, json=body, headers=sim.auth_headers) as resp:
            await resp.read()
    placed = [o for o in (await sim.orders())["orders"] if o["requestId"] == body["orderId"]]
    assert [o["status"] for o in placed] == ["EXECUTION_REPORT_STATUS_FILL"]
    # the client retries with the same key and learns the outcome; no second order
    again = await sim.ok("OrdersService", "PostOrder", body)
    assert again["orderId"] == placed[0]["orderId"]
    assert len((await sim.orders())["orders"]) == 1


async def test_lost_post_order_as_504(sim: Any) -> None:
    await sim.faults(losePostOrder=2, loseMode="504")
    for _ in range(2):
        status, data, _ = await sim.call("OrdersService", "PostOrder", order(sim, 1))
        assert (status, data["code"]) == (504, 4)
    status, _, _ = await sim.call("OrdersService", "PostOrder", order(sim, 1))
    assert status == 200
    assert len((await sim.orders())["orders"]) == 3


async def test_latency_delays_the_answer(sim: Any) -> None:
    await sim.faults(latency={"GetTradingStatus": 30})
    url = f"{sim.rest_url}/{PREFIX}MarketDataService/GetTradingStatus"
    slow = asyncio.ensure_future(
        sim.session.post(url, json={"instrumentId": SBER}, headers=sim.auth_headers)
    )
    # another method answers while the delayed one is still waiting
    status, _, _ = await sim.call("MarketDataService", "GetLastPrices", {"instrumentId": [SBER]})
    assert status == 200
    assert not slow.done()
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    state = await sim.state()
    assert state["faults"]["latency"] == {"GetTradingStatus": 30.0}


async def test_bad_fault_settings_are_refused(sim: Any) -> None:
    from tests.support.sim import ControlFailed

    with pytest.raises(ControlFailed, match="errorRate"):
        await sim.faults(errorRate={"PostOrder": 2})
    with pytest.raises(ControlFailed, match="loseMode"):
        await sim.faults(loseMode="vanish")
