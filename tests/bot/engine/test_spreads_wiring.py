"""The spread job wired into the Engine (Trader.start_spreads_all, Trader.spread_prices, resume at
start, /stop, the order-state stream), against the simulator and the in-memory Base with spreads
from the spread tests; plus the order desk's `leg` and the recorder's spread deactivation."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.engine import events
from bot.engine.interface import UserError
from bot.engine.journal import Journal
from bot.engine.orders import OrderDesk
from bot.engine.recorder import BaseRecorder
from bot.engine.tinvest_port import TInvestPort
from bot.engine.trader import Engine
from tests.bot.engine.conftest import FAST as UNIT_FAST
from tests.bot.engine.conftest import RecordingNotifier
from tests.bot.engine.fake_broker import ACCOUNT, FakeBroker
from tests.bot.engine.spreads import conftest as spread_fixtures
from tests.bot.engine.spreads.harness import (
    FAST,
    TUNING,
    SimClock,
    World,
    eventually,
    eventually_async,
)
from tests.support.fake_base import FakeBase

D = Decimal
world = spread_fixtures.world  # the simulator, the Base with spreads, SBER/SRM6/SRH6

NEAR_BIDS = [("249.90", 1000)]
NEAR_ASKS = [("250.00", 1000)]
FAR_BIDS = [("25300", 10)]
FAR_ASKS = [("25400", 10)]


async def setup_books(w: World) -> None:
    await w.set_book(w.sber, NEAR_BIDS, NEAR_ASKS)
    await w.set_book(w.far, FAR_BIDS, FAR_ASKS)


async def live_far(w: World) -> list[dict[str, Any]]:
    """The far leg's resting orders (a partly filled one included: after a restart it stays)."""
    live = ("NEW", "PARTIALLYFILL")
    return [o for o in await w.sim_orders(w.far.uid) if str(o["status"]).endswith(live)]


async def fill_far(w: World, lots: int) -> None:
    """Someone buys `lots` at our ask (25400)."""
    await w.set_book(w.far, [("25400", lots), *FAR_BIDS], FAR_ASKS)


async def hedged(w: World, far_pieces: int) -> bool:
    """The simulator holds -far_pieces SRM6 against +100 × far_pieces SBER (ratio 100)."""
    held = await w.positions()
    return held.get("SRM6", 0) == -far_pieces and held.get("SBER", 0) == 100 * far_pieces


def finished(w: World) -> list[events.JobFinished]:
    return [e for e in w.notifier.of(events.JobFinished) if e.kind == "spread"]


async def test_spreads_command_runs_the_spread_to_completion_with_exact_hedges(
    world: World,
) -> None:
    w = world
    switched = w.base.switched
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    engine, _broker = w.engine()
    await engine.start()

    [info] = await engine.start_spreads_all()
    assert (info.kind, info.title, info.amount, info.task_id) == (
        "spread",
        "sell SRM6/SBER",
        5,
        spread_id,
    )
    assert [j.title for j in engine.jobs()] == ["sell SRM6/SBER"]
    assert await engine.start_spreads_all() == []  # already running: nothing started twice

    await eventually_async(lambda: live_far(w), "far order placed", diag=w.notifier.describe)
    await fill_far(w, 2)
    await eventually_async(lambda: hedged(w, 2), "2 hedged", diag=w.notifier.describe)
    await fill_far(w, 3)
    await eventually_async(lambda: hedged(w, 5), "5 hedged", diag=w.notifier.describe)
    await eventually(lambda: bool(finished(w)), "job finished", diag=w.notifier.describe)

    [end] = finished(w)
    assert (end.outcome, end.executed, end.amount) == ("done", 5, 5)
    assert end.average_spread == D("400")  # 25400 − 100 × 250.00
    fills = w.notifier.of(events.OrderFilled)
    assert {f.leg for f in fills} == {"far", "near"}
    assert sum(f.quantity for f in fills if f.leg == "near") == 500
    # every Base order names its leg, and the finished spread is switched off in the Base
    legs = {o.leg for o in w.base.orders.values() if o.task_kind == "spread"}
    assert legs == {"far", "near"}
    await eventually(lambda: switched == [spread_id], "spread deactivated in the Base")
    assert not w.base.spreads[spread_id].active
    with pytest.raises(UserError) as refused:
        await engine.start_spreads_all()
    assert refused.value.key == "no_active_spreads"


async def test_spreads_and_sprices_are_refused_without_spreads_or_base(world: World) -> None:
    w = world
    engine, _broker = w.engine()
    await engine.start()
    for call in (engine.start_spreads_all, engine.spread_prices):
        with pytest.raises(UserError) as none:
            await call()
        assert none.value.key == "no_active_spreads"
    w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    w.base.down = True
    for call in (engine.start_spreads_all, engine.spread_prices):
        with pytest.raises(UserError) as down:
            await call()
        assert down.value.key == "base_unavailable"
    assert engine.jobs() == []


async def test_sprices_prices_both_directions_from_the_books(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    engine, _broker = w.engine()
    await engine.start()
    [quote] = await engine.spread_prices()
    assert (quote.spread_id, quote.far_ticker, quote.near_ticker) == (spread_id, "SRM6", "SBER")
    assert quote.in_session and quote.error_key is None and quote.remaining == 5
    assert quote.sell is not None and quote.buy is not None
    assert quote.sell.spread == D("400") and quote.sell.meets_target  # 25400 − 100 × 250.00
    assert quote.buy.spread == D("310")  # 25300 − 100 × 249.90
    assert engine.jobs() == []  # pricing starts nothing


async def test_a_restarted_engine_resumes_a_half_done_spread_neutral_and_never_overfills(
    world: World,
) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    engine, _broker = w.engine()
    await engine.start()
    await engine.start_spreads_all()
    await eventually_async(lambda: live_far(w), "far order placed", diag=w.notifier.describe)
    await fill_far(w, 2)
    await eventually_async(lambda: hedged(w, 2), "2 hedged", diag=w.notifier.describe)

    await w.kill(engine)  # the process dies with its far order live at the exchange
    await fill_far(w, 1)  # one more far lot fills while nobody watches: 100 SBER unhedged
    held = await w.positions()
    assert (held.get("SRM6"), held.get("SBER")) == (-3, 200)

    engine2, _broker2 = w.engine()
    await engine2.start()  # nobody calls /spreads: the engine resumes it by itself
    assert [j.title for j in engine2.jobs()] == ["sell SRM6/SBER"]
    await eventually_async(
        lambda: hedged(w, 3), "neutral after the restart", diag=w.notifier.describe
    )
    far = await eventually_async(lambda: live_far(w), "far order for the rest")
    assert [int(o["lotsRequested"]) - int(o["lotsExecuted"]) for o in far] == [2]
    await fill_far(w, 2)
    await eventually_async(lambda: hedged(w, 5), "all hedged", diag=w.notifier.describe)
    await eventually(
        lambda: any(e.outcome == "done" for e in finished(w)), "done", diag=w.notifier.describe
    )
    far_orders = await w.sim_orders(w.far.uid)
    assert sum(int(o["lotsExecuted"]) for o in far_orders) == 5
    assert spread_id in w.base.spreads


async def test_a_spread_switched_off_while_the_bot_was_away_has_its_orders_settled(
    world: World,
) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    engine, _broker = w.engine()
    await engine.start()
    await engine.start_spreads_all()
    await eventually_async(lambda: live_far(w), "far order placed", diag=w.notifier.describe)
    await w.kill(engine)  # dies with the far order live
    w.base.spreads[spread_id].active = False  # the owner switches the spread off meanwhile
    await fill_far(w, 1)

    engine2, _broker2 = w.engine()
    await engine2.start()
    assert engine2.jobs() == []  # not resumed: it is off
    assert not await live_far(w)  # its far order was cancelled, nobody would watch it
    assert w.base.leg_progress(spread_id, "far")[0] == 1  # the fill it got is recorded
    [alert] = [a for a in w.notifier.of(events.Alert) if a.reason_key == "reconciled"]
    assert alert.params == {"orders": "1", "fills": "1"}


async def test_stop_waits_for_a_retried_hedge_longer_than_the_stop_timeout(world: World) -> None:
    w = world
    await setup_books(w)
    w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    # sell/buy jobs get 0.3 s to stop; the hedge below needs several retries (back-off 0.05 s
    # to 0.2 s), so it only completes if /stop gives spreads their own, longer time
    engine, broker = w.engine(options=replace(FAST, stop_timeout=0.3))
    await engine.start()
    await engine.start_spreads_all()
    await eventually_async(lambda: live_far(w), "far order placed", diag=w.notifier.describe)
    broker.reject[w.sber.uid] = 8
    await fill_far(w, 2)
    await eventually(
        lambda: any(a.reason_key == "spread_hedge_failed" for a in w.notifier.of(events.Alert)),
        "a hedge failed",
        diag=w.notifier.describe,
    )
    [stopped] = await engine.stop()
    assert stopped.kind == "spread"
    assert await hedged(w, 2), (await w.positions(), w.notifier.describe())
    assert not await live_far(w)
    [end] = finished(w)
    assert (end.outcome, end.executed) == ("stopped", 2), w.notifier.describe()
    assert engine.jobs() == []


async def test_fills_come_from_the_order_state_stream_not_polling(
    world: World, tmp_path: Path
) -> None:
    """One OrderStateStream per engine: with order polling slowed to once a minute, the fill of
    the far order (and of its hedge) is learnt from the stream at once."""
    w = world
    await setup_books(w)
    w.base.add_spread(w.far, w.sber, "sell", amount=2, target="350")
    config = replace(
        BrokerConfig.simulator(token=w.sim.token, account_id=w.sim.account_id),
        rest_url=w.sim.rest_url,
        ws_url=w.sim.ws_url,
    )
    client = TInvestClient(config)
    slow = replace(TUNING, safety_poll_interval=60.0)
    engine = Engine(
        TInvestPort(client),
        w.base,
        w.notifier,
        account_id=w.sim.account_id,
        mode="paper",
        clock=SimClock(),
        state_dir=tmp_path / "stream",
        options=replace(FAST, poll_interval=60.0),
        spread_tuning=slow,
    )
    try:
        await engine.start()
        await eventually(lambda: engine._order_events.healthy, "order-state stream open")
        await engine.start_spreads_all()
        await eventually_async(lambda: live_far(w), "far order placed", diag=w.notifier.describe)
        await fill_far(w, 2)
        await eventually_async(lambda: hedged(w, 2), "hedged", diag=w.notifier.describe)
        await eventually(lambda: bool(finished(w)), "done", diag=w.notifier.describe)
        assert engine._order_events.events > 0
        assert engine._orders.events > 0  # the same stream feeds the sell/buy jobs' watcher
    finally:
        await asyncio.wait_for(engine.close(), 30)
        await client.close()


# ---------------------------------------------------------------- desk leg, recorder spread


class SpreadSwitchBase(FakeBase):
    def __init__(self) -> None:
        super().__init__()
        self.switched: list[tuple[int, bool]] = []

    async def set_spread_active(
        self, spread_id: int, active: bool, reason: str | None = None
    ) -> None:
        self._check("set_spread_active")
        self.switched.append((spread_id, active))


async def test_the_desk_records_the_leg_and_the_recorder_deactivates_spreads(
    tmp_path: Path,
) -> None:
    base = SpreadSwitchBase()
    sber = base.add_instrument(ticker="SBER", uid="uid-sber", lot=10, exchange="MOEX")
    broker = FakeBroker(lot_sizes={"uid-sber": 10})
    broker.set_book("uid-sber", "100.00", "100.50")
    notifier = RecordingNotifier()
    clock = SimClock()
    recorder = BaseRecorder(base, Journal(tmp_path / "j", fsync=False), notifier, clock)
    recorder.start()
    try:
        desk = OrderDesk(broker, recorder, notifier, clock, UNIT_FAST, account_id=ACCOUNT)
        order, _fills = await desk.place(
            instrument=sber,
            direction="buy",
            price=D("100.00"),
            lots=1,
            task_kind="spread",
            task_id=7,
            leg="near",
        )
        recorder.set_task_active("spread", 7, False)
        await asyncio.wait_for(recorder.wait_flushed(), 5)
        assert base.orders[order.client_order_id].leg == "near"
        assert base.switched == [(7, False)]
    finally:
        await recorder.close()


async def test_the_desk_sends_and_records_under_the_callers_client_order_id(
    tmp_path: Path,
) -> None:
    """A spread order's id is the machine's, known before the desk is called: the Base record
    and the broker's idempotency key are that id, so an order whose placement ends in an error
    can be found by it."""
    base = FakeBase()
    sber = base.add_instrument(ticker="SBER", uid="uid-sber", lot=10, exchange="MOEX")
    broker = FakeBroker(lot_sizes={"uid-sber": 10})
    broker.set_book("uid-sber", "100.00", "100.50")
    notifier = RecordingNotifier()
    clock = SimClock()
    recorder = BaseRecorder(base, Journal(tmp_path / "j", fsync=False), notifier, clock)
    recorder.start()
    chosen = "6f1c1a52-5d0e-4a34-9a51-3c3f5bb0c001"
    try:
        desk = OrderDesk(broker, recorder, notifier, clock, UNIT_FAST, account_id=ACCOUNT)
        order, _fills = await desk.place(
            instrument=sber,
            direction="buy",
            price=D("100.00"),
            lots=1,
            task_kind="spread",
            task_id=7,
            leg="far",
            client_order_id=chosen,
        )
        await asyncio.wait_for(recorder.wait_flushed(), 5)
        assert order.client_order_id == chosen
        assert broker.posts == [chosen], f"posted request ids: {broker.posts}"
        assert base.orders[chosen].leg == "far", f"Base orders: {list(base.orders)}"
    finally:
        await recorder.close()
