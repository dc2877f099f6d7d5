"""The engine with the real broker client against the simulator (in-process, loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.base_client.types import Instrument
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.engine import events, text_keys
from bot.engine.interface import SellBuyOrder
from bot.engine.trader import Engine
from tests.bot.engine.conftest import FAST, RecordingNotifier, eventually
from tests.support.fake_base import FakeBase
from tests.support.sim import DEFAULT_START, SimHandle, running_simulator

SBER = "SBER_TQBR"


class MirrorClock:
    """The engine's clock set to the simulator's (frozen) time; sleeps are short real sleeps so
    waiting loops notice when the test moves time."""

    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(min(max(seconds, 0.0), 0.02))


@dataclass
class Rig:
    sim: SimHandle
    base: FakeBase
    notifier: RecordingNotifier
    clock: MirrorClock
    sber: Instrument
    engines: list[Engine]
    clients: list[TInvestClient]

    def client(self) -> TInvestClient:
        client = TInvestClient(
            BrokerConfig(
                token=self.sim.token,
                account_id=self.sim.account_id,
                rest_url=self.sim.rest_url,
                ws_url=self.sim.ws_url,
            )
        )
        self.clients.append(client)
        return client

    def engine(self, *, broker: Any = None, state_dir: Path | None = None, **opts: Any) -> Engine:
        engine = Engine(
            broker or self.client(),
            self.base,
            self.notifier,
            account_id=self.sim.account_id,
            mode="paper",
            clock=self.clock,
            state_dir=state_dir,
            options=replace(FAST, **opts),
        )
        self.engines.append(engine)
        return engine

    async def our_orders(self) -> list[dict[str, Any]]:
        data = await self.sim.orders()
        return [
            o
            for o in data["orders"]
            if o.get("instrumentUid", o.get("uid")) in (None, self.sber.uid)
        ]

    async def book(self, bids: list[tuple[str, int]], asks: list[tuple[str, int]]) -> None:
        await self.sim.set_book(SBER, bids, asks)


async def _rig(start: datetime = DEFAULT_START) -> AsyncIterator[Rig]:
    async with running_simulator(start_time=start) as sim:
        info = await sim.instrument(SBER)
        base = FakeBase()
        sber = base.add_instrument(
            ticker="SBER",
            uid=info["uid"],
            figi=info["figi"],
            lot=int(info["lot"]),
            min_price_increment=Decimal(info["minPriceIncrement"]),
            exchange="MOEX_PLUS",
            short_enabled=True,
        )
        rig = Rig(sim, base, RecordingNotifier(), MirrorClock(start), sber, [], [])
        try:
            yield rig
        finally:
            for engine in rig.engines:
                await asyncio.wait_for(engine.close(), 10)
            for client in rig.clients:
                await client.close()


@pytest.fixture
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    start = getattr(request, "param", DEFAULT_START)
    async for value in _rig(start):
        yield value


def active(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    live = ("EXECUTION_REPORT_STATUS_NEW", "EXECUTION_REPORT_STATUS_PARTIALLYFILL")
    return [o for o in orders if o.get("status", o.get("executionReportStatus")) in live]


async def test_buy_fills_in_steps_as_the_book_moves(rig: Rig) -> None:
    await rig.book([("250.00", 50)], [("250.50", 50)])
    engine = rig.engine()
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=50))
    assert info.task_id is not None

    async def live() -> list[dict[str, Any]]:
        return active(await rig.our_orders())

    orders: list[dict[str, Any]] = []

    async def one_live_at(price: str) -> bool:
        nonlocal orders
        orders = await live()
        return len(orders) == 1 and Decimal(str(orders[0]["price"])) == Decimal(price)

    await _until(lambda: one_live_at("250.00"), "an order at the best bid", rig)
    # someone sells 2 lots at our price: a partial fill
    await rig.book([("250.00", 50)], [("250.00", 2), ("250.50", 50)])
    await eventually(
        lambda: engine.jobs()[0].executed == 20, "partial fill seen", diag=rig.notifier.describe
    )
    # the best bid moves up: the order follows with what is left
    await rig.book([("250.10", 50)], [("250.50", 50)])
    await _until(lambda: one_live_at("250.10"), "order moved to 250.10", rig)
    assert int(orders[0]["lotsRequested"]) == 3
    # the rest trades
    await rig.book([("250.10", 50)], [("250.10", 10), ("250.50", 50)])
    await asyncio.wait_for(engine.wait_idle(), 10)

    await engine.recorder.wait_flushed()
    executed, average = rig.base.progress(info.task_id)
    assert executed == 50
    assert average == (Decimal("250.00") * 20 + Decimal("250.10") * 30) / 50
    account = await rig.sim.account()
    held = _position(account, rig.sber.uid)
    assert held == 50, account
    finished = rig.notifier.of(events.JobFinished)
    assert [(f.outcome, f.executed) for f in finished] == [("done", 50)]


async def test_limit_price_is_never_crossed(rig: Rig) -> None:
    await rig.book([("250.00", 50)], [("250.50", 50)])
    engine = rig.engine()
    await engine.start()
    await engine.start_sellbuy(
        SellBuyOrder("buy", "SBER", amount=20, limit_price=Decimal("250.05"))
    )
    await _until(lambda: _has_live(rig, "250.00"), "order at the bid", rig)
    await rig.book([("250.30", 50)], [("250.50", 50)])  # the bid runs past the limit
    await _until(lambda: _has_live(rig, "250.05"), "order parked at the limit", rig)
    prices = {Decimal(str(o["price"])) for o in await rig.our_orders()}
    assert max(prices) == Decimal("250.05")
    await engine.stop()


async def test_stop_cancels_the_live_order(rig: Rig) -> None:
    await rig.book([("250.00", 50)], [("250.50", 50)])
    engine = rig.engine()
    await engine.start()
    await engine.start_sellbuy(SellBuyOrder("sell", "SBER", amount=20), allow_short=20)
    await _until(lambda: _has_live(rig, "250.50"), "sell order at the ask", rig)
    await engine.stop()
    assert active(await rig.our_orders()) == []
    finished = rig.notifier.of(events.JobFinished)[-1]
    assert (finished.outcome, finished.reason_key) == ("stopped", text_keys.STOPPED_BY_OWNER)


async def test_lost_post_order_answer_gives_exactly_one_order(rig: Rig) -> None:
    await rig.book([("250.00", 50)], [("250.50", 50)])
    await rig.sim.faults(losePostOrder=1)
    engine = rig.engine()
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=30))
    await _until(lambda: _has_live(rig, "250.00"), "order known", rig)
    await rig.book([("250.00", 50)], [("250.00", 10), ("250.50", 50)])
    await asyncio.wait_for(engine.wait_idle(), 10)
    orders = await rig.our_orders()
    assert len(orders) == 1, orders
    await engine.recorder.wait_flushed()
    assert info.task_id is not None
    assert rig.base.progress(info.task_id)[0] == 30
    assert _position(await rig.sim.account(), rig.sber.uid) == 30


async def test_restart_resumes_without_over_buying(rig: Rig, tmp_path: Path) -> None:
    await rig.book([("250.00", 50)], [("250.50", 50)])
    first = rig.engine(state_dir=tmp_path, stop_timeout=0.2)
    await first.start()
    info = await first.start_sellbuy(SellBuyOrder("buy", "SBER", amount=50))
    assert info.task_id is not None
    await _until(lambda: _has_live(rig, "250.00"), "first order", rig)
    await rig.book([("250.00", 50)], [("250.00", 2), ("250.50", 50)])
    await eventually(lambda: first.jobs()[0].executed == 20, "partial fill")
    # a crash: the first engine's job is cancelled without any cleanup reaching the broker
    for job in first._registry.jobs():
        assert job.task is not None
        first._ctx.desk._broker = _Dead()  # type: ignore[assignment]
        job.task.cancel()
    await asyncio.sleep(0)
    await rig.book([("250.00", 50)], [("250.00", 1), ("250.50", 50)])  # a fill while down

    second = rig.engine(state_dir=tmp_path)
    await second.start()
    await eventually(lambda: len(second.jobs()) == 1, "job resumed", diag=rig.notifier.describe)
    await eventually(lambda: second.jobs()[0].executed == 30, "missed fill recorded")
    await rig.book([("250.00", 50)], [("250.00", 10), ("250.50", 50)])
    await asyncio.wait_for(second.wait_idle(), 10)
    assert _position(await rig.sim.account(), rig.sber.uid) == 50, "no over-buying"
    await second.recorder.wait_flushed()
    assert rig.base.progress(info.task_id)[0] == 50


async def test_base_outage_and_return(rig: Rig, tmp_path: Path) -> None:
    await rig.book([("250.00", 50)], [("250.50", 50)])
    engine = rig.engine(state_dir=tmp_path)
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=50))
    assert info.task_id is not None
    await _until(lambda: _has_live(rig, "250.00"), "first order", rig)
    await engine.recorder.wait_flushed()

    rig.base.down = True
    await eventually(lambda: engine.recorder.is_down, "outage noticed")
    await rig.book([("250.00", 50)], [("250.00", 2), ("250.50", 50)])  # a fill while it is down
    await eventually(lambda: engine.jobs()[0].executed == 20, "fill counted locally")
    await rig.book([("250.20", 50)], [("250.50", 50)])  # the bid moves: no new order now
    # once the job has seen the new book and gone round a few times: still the one order
    feed = engine._feeds._feeds[rig.sber.uid]
    await eventually(
        lambda: feed.book is not None and feed.book.best_bid == Decimal("250.20"),
        "engine has the new book",
    )
    rounds = engine._registry.jobs()[0].rounds
    await eventually(lambda: engine._registry.jobs()[0].rounds >= rounds + 3, "job went round")
    assert len(await rig.our_orders()) == 1
    assert rig.base.progress(info.task_id)[0] == 0 and engine.recorder.pending >= 1

    rig.base.down = False
    await eventually(lambda: bool(rig.notifier.of(events.BaseRestored)), "Base back")
    assert rig.base.progress(info.task_id)[0] == 20, "nothing lost"
    await _until(lambda: _has_live(rig, "250.20"), "order moved after the outage", rig)
    await rig.book([("250.20", 50)], [("250.20", 10), ("250.50", 50)])
    await asyncio.wait_for(engine.wait_idle(), 10)
    await engine.recorder.wait_flushed()
    assert rig.base.progress(info.task_id)[0] == 50
    assert _position(await rig.sim.account(), rig.sber.uid) == 50


EARLY = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # 05:00 Moscow: shares are closed


@pytest.mark.parametrize("rig", [EARLY], indirect=True)
async def test_waits_for_the_session_then_trades(rig: Rig) -> None:
    engine = rig.engine()
    await engine.start()
    await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=10))
    await eventually(lambda: bool(rig.notifier.of(events.SessionWait)), "session wait")
    wait = rig.notifier.of(events.SessionWait)[0]
    assert wait.opens_at is not None and wait.opens_at > EARLY
    assert engine.jobs()[0].state == "waiting"
    assert await rig.our_orders() == [], "no order outside the session"
    opens = wait.opens_at + timedelta(minutes=1)
    await rig.sim.set_clock(opens)
    rig.clock.moment = opens
    await rig.book([("250.00", 50)], [("250.50", 50)])
    await _until(lambda: _has_live(rig, "250.00"), "order once open", rig)
    await engine.stop()


class _Dead:
    def __getattr__(self, name: str) -> Any:
        async def hang(*args: Any, **kwargs: Any) -> Any:
            await asyncio.Event().wait()

        return hang


def _position(account: Any, uid: str) -> int:
    for item in account.get("positions", account.get("securities", [])):
        if uid in (item.get("instrumentUid"), item.get("uid")):
            return int(item.get("balance", item.get("quantity", 0)))
    return 0


async def _has_live(rig: Rig, price: str) -> bool:
    live = active(await rig.our_orders())
    return len(live) == 1 and Decimal(str(live[0]["price"])) == Decimal(price)


async def _until(check: Any, what: str, rig: Rig, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            pytest.fail(
                f"timed out: {what}\norders: {await rig.sim.orders()}\n{rig.notifier.describe()}"
            )
        await asyncio.sleep(0.01)
