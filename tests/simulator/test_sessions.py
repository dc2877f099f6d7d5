"""Trading sessions: the MOEX calendar, always-open mode, statuses and schedules agree, orders
outside a session are refused, day orders are cancelled when the trading day ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.clock import SimClock
from tests.simulator.helpers import SBER, order, place, positions, refused, state
from tests.support.sim import running_simulator

# Moscow is UTC+3 all year.
SATURDAY_NOON = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
WEDNESDAY_0900_MSK = datetime(2026, 3, 11, 6, 0, tzinfo=UTC)  # futures open, shares not yet
WEDNESDAY_0955_MSK = datetime(2026, 3, 11, 6, 55, tzinfo=UTC)  # shares' opening auction
WEDNESDAY_1855_MSK = datetime(2026, 3, 11, 15, 55, tzinfo=UTC)  # shares' evening break
WEDNESDAY_2300_MSK = datetime(2026, 3, 11, 20, 0, tzinfo=UTC)


async def status_of(sim: Any, instrument: str = SBER) -> str:
    got = await sim.ok("MarketDataService", "GetTradingStatus", {"instrumentId": instrument})
    return str(got["tradingStatus"])


async def sber_future_uid(sim: Any) -> str:
    futures = await sim.ok("InstrumentsService", "Futures", {})
    return str(next(f["uid"] for f in futures["instruments"] if f["basicAsset"] == "SBER"))


async def test_weekend_is_closed_and_orders_are_refused() -> None:
    async with running_simulator(start_time=SATURDAY_NOON) as sim:
        assert await status_of(sim) == "SECURITY_TRADING_STATUS_NOT_AVAILABLE_FOR_TRADING"
        assert await refused(sim, order(sim, 1)) == (400, "30097")
        flags = await sim.ok("MarketDataService", "GetTradingStatus", {"instrumentId": SBER})
        assert (flags["limitOrderAvailableFlag"], flags["marketOrderAvailableFlag"]) == (
            False,
            False,
        )


async def test_always_open_trades_at_any_time() -> None:
    async with running_simulator(start_time=SATURDAY_NOON, always_open=True) as sim:
        assert await status_of(sim) == "SECURITY_TRADING_STATUS_NORMAL_TRADING"
        assert (await place(sim, 1))["executionReportStatus"] == "EXECUTION_REPORT_STATUS_FILL"


async def test_futures_open_before_shares() -> None:
    async with running_simulator(start_time=WEDNESDAY_0900_MSK) as sim:
        fut = await sber_future_uid(sim)
        assert await status_of(sim, fut) == "SECURITY_TRADING_STATUS_NORMAL_TRADING"
        assert await status_of(sim) == "SECURITY_TRADING_STATUS_NOT_AVAILABLE_FOR_TRADING"
        await place(sim, 1, instrument=fut)
        assert await refused(sim, order(sim, 1)) == (400, "30097")


async def test_opening_auction_takes_limit_orders_only() -> None:
    async with running_simulator(start_time=WEDNESDAY_0955_MSK) as sim:
        assert await status_of(sim) == "SECURITY_TRADING_STATUS_OPENING_AUCTION_PERIOD"
        assert await refused(sim, order(sim, 1)) == (400, "30097")
        await place(sim, 1, price="200.00")


async def test_evening_break_refuses_orders_but_keeps_resting_ones() -> None:
    async with running_simulator(start_time=WEDNESDAY_1855_MSK - timedelta(minutes=10)) as sim:
        resting = await place(sim, 1, price="200.00")
        await sim.advance_clock(10 * 60)
        assert await status_of(sim) == "SECURITY_TRADING_STATUS_BREAK_IN_TRADING"
        assert await refused(sim, order(sim, 1, price="200.00")) == (400, "30097")
        assert (await state(sim, resting["orderId"]))["executionReportStatus"] == (
            "EXECUTION_REPORT_STATUS_NEW"
        )
        await sim.advance_clock(15 * 60)  # 19:10, the evening session
        assert await status_of(sim) == "SECURITY_TRADING_STATUS_NORMAL_TRADING"


async def test_day_orders_are_cancelled_when_the_trading_day_ends() -> None:
    async with running_simulator(start_time=WEDNESDAY_2300_MSK) as sim:
        resting = await place(sim, 2, price="200.00")
        assert (await positions(sim))["blocked"][0]["units"] != "0"
        await sim.advance_clock(49 * 60)  # 23:49, still open
        assert (await state(sim, resting["orderId"]))["executionReportStatus"] == (
            "EXECUTION_REPORT_STATUS_NEW"
        )
        await sim.advance_clock(2 * 60)  # 23:51, closed
        assert (await state(sim, resting["orderId"]))["executionReportStatus"] == (
            "EXECUTION_REPORT_STATUS_CANCELLED"
        )
        assert (await positions(sim))["blocked"][0]["units"] == "0"
        assert (await sim.ok("OrdersService", "GetOrders", {"accountId": sim.account_id}))[
            "orders"
        ] == []


async def test_session_mode_can_be_switched(sim: Any) -> None:
    await sim.set_session_mode("closed")
    assert await refused(sim, order(sim, 1)) == (400, "30097")
    await sim.set_session_mode("calendar")
    await place(sim, 1)


async def test_forced_status_refuses_with_not_available(sim: Any) -> None:
    await sim.set_instrument(
        SBER, tradingStatus="SECURITY_TRADING_STATUS_NOT_AVAILABLE_FOR_TRADING"
    )
    assert await refused(sim, order(sim, 1)) == (400, "30079")
    await sim.set_instrument(SBER, tradingStatus=None)
    await place(sim, 1)


async def test_trading_schedules_agree_with_the_calendar(sim: Any) -> None:
    body = {"exchange": "MOEX", "from": "2026-03-09T00:00:00Z", "to": "2026-03-15T00:00:00Z"}
    got = await sim.ok("InstrumentsService", "TradingSchedules", body)
    [moex] = got["exchanges"]
    days = {d["date"][:10]: d for d in moex["days"]}
    assert [d for d, v in days.items() if v["isTradingDay"]] == [
        "2026-03-09",
        "2026-03-10",
        "2026-03-11",
        "2026-03-12",
        "2026-03-13",
    ]
    wednesday = days["2026-03-11"]
    # 09:50 and 23:50 Moscow
    assert (wednesday["startTime"], wednesday["endTime"]) == (
        "2026-03-11T06:50:00.000Z",
        "2026-03-11T20:50:00.000Z",
    )
    assert wednesday["eveningStartTime"] == "2026-03-11T16:05:00.000Z"
    forts = await sim.ok("InstrumentsService", "TradingSchedules", {**body, "exchange": "FORTS"})
    assert forts["exchanges"][0]["days"][2]["startTime"] == "2026-03-11T05:50:00.000Z"


async def test_holidays_are_closed() -> None:
    tuesday = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    async with running_simulator(start_time=tuesday) as sim:
        await place(sim, 1)
        await sim.set_clock(datetime(2026, 6, 12, 9, 0, tzinfo=UTC))  # Russia Day, a Friday
        assert await refused(sim, order(sim, 1)) == (400, "30097")


async def test_an_injected_clock_drives_the_sessions() -> None:
    clock = SimClock(SATURDAY_NOON)
    async with running_simulator(clock=clock) as sim:
        assert await refused(sim, order(sim, 1)) == (400, "30097")
        clock.advance(2 * 24 * 3600)  # Monday noon
        await place(sim, 1)
        assert (await sim.state())["time"] == "2026-03-16T09:00:00.000Z"
