"""Documented per-method limits with x-ratelimit-* headers and 429 RESOURCE_EXHAUSTED."""

from __future__ import annotations

from tests.simulator.helpers import SBER, order
from tests.support.sim import running_simulator


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


async def test_limit_headers_count_down_then_429_until_the_window_resets() -> None:
    # MarketData: 600/min x 0.01 = 6/min
    async with running_simulator(rate_scale=0.01) as sim:
        remaining = []
        body = {"instrumentId": SBER}
        for _ in range(6):
            status, _, headers = await sim.call("MarketDataService", "GetTradingStatus", body)
            assert status == 200
            h = lower(headers)
            assert h["x-ratelimit-limit"] == "6, 6;w=60"
            remaining.append(int(h["x-ratelimit-remaining"]))
        assert remaining == [5, 4, 3, 2, 1, 0]
        status, data, headers = await sim.call("MarketDataService", "GetLastPrices", {})
        assert (status, data["code"], data["description"]) == (429, 8, "80002")
        assert 0 < int(lower(headers)["x-ratelimit-reset"]) <= 60
        await sim.advance_clock(60)
        status, _, headers = await sim.call("MarketDataService", "GetTradingStatus", body)
        assert (status, lower(headers)["x-ratelimit-remaining"]) == (200, "5")


async def test_methods_with_their_own_line_count_separately() -> None:
    # Orders service: 100 x 0.02 = 2; PostOrder: 300 x 0.02 = 6
    async with running_simulator(rate_scale=0.02) as sim:
        account = {"accountId": sim.account_id}
        for _ in range(2):
            assert (
                await sim.call("OrdersService", "GetMaxLots", {**account, "instrumentId": SBER})
            )[0] == 200
        status, _, _ = await sim.call(
            "OrdersService", "GetMaxLots", {**account, "instrumentId": SBER}
        )
        assert status == 429
        status, _, headers = await sim.call("OrdersService", "PostOrder", order(sim, 1))
        assert (status, lower(headers)["x-ratelimit-limit"]) == (200, "6, 6;w=60")


async def test_limits_are_per_token() -> None:
    async with running_simulator(rate_scale=0.01) as sim:  # Users: 100 x 0.01 = 1
        assert (await sim.call("UsersService", "GetAccounts", {}))[0] == 200
        assert (await sim.call("UsersService", "GetAccounts", {}))[0] == 429
        assert (await sim.call("UsersService", "GetAccounts", {}, token="another"))[0] == 200


async def test_rate_scale_zero_switches_limits_off() -> None:
    async with running_simulator(rate_scale=0) as sim:
        for _ in range(120):
            status, _, _ = await sim.call("UsersService", "GetAccounts", {})
            assert status == 200


async def test_rate_scale_zero_never_advertises_a_budget_running_out() -> None:
    # A client paces itself by x-ratelimit-remaining; with limits off it must never reach 0.
    async with running_simulator(rate_scale=0) as sim:
        seen = set()
        for _ in range(120):
            _, _, headers = await sim.call("UsersService", "GetAccounts", {})
            seen.add({k.lower(): v for k, v in headers.items()}["x-ratelimit-remaining"])
        assert seen == {"100"}, seen
