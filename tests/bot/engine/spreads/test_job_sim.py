"""The spread job against the simulator: far order management, exact hedges, failures,
stream fallback, kills and restarts."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from decimal import Decimal

from bot.engine import events
from bot.engine.spreads.job import SpreadRun, resume_spreads
from bot.engine.spreads.machine import HEDGE_FAILED, HEDGE_RESTORED, LEFT_UNHEDGED
from bot.engine.spreads.order_events import OrderEventRouter
from bot.engine.spreads.prices import engine_spread_prices
from tests.bot.engine.spreads.harness import FAST, TUNING, Hold, World, eventually, eventually_async

D = Decimal

# SBER near book (lots of 10 shares) and SRM6 far book (1 contract = 100 shares).
NEAR_BIDS = [("249.90", 1000)]
NEAR_ASKS = [("250.00", 1000)]
FAR_BIDS = [("25300", 10)]
FAR_ASKS = [("25400", 10)]


async def setup_books(w: World) -> None:
    await w.set_book(w.sber, NEAR_BIDS, NEAR_ASKS)
    await w.set_book(w.far, FAR_BIDS, FAR_ASKS)


LIVE = ("NEW", "PARTIALLYFILL")


async def live_far(w: World) -> list[dict[str, object]]:
    """The far leg's resting orders (a partly filled one included: after a restart it stays)."""
    return [o for o in await w.sim_orders(w.far.uid) if str(o["status"]).endswith(LIVE)]


async def fill_far(w: World, lots: int, price: str = "25400") -> None:
    """Someone buys `lots` at our ask: a bid crossing our resting sell."""
    await w.set_book(w.far, [(price, lots), *FAR_BIDS], FAR_ASKS)


async def hedged(w: World, far_pieces: int) -> bool:
    held = await w.positions()
    return held.get("SRM6", 0) == -far_pieces and held.get("SBER", 0) == 100 * far_pieces


async def test_spread_filled_in_steps_with_exact_hedges(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    engine, _broker = w.engine()
    await engine.start()
    job = w.run_spread(engine, spread_id)

    far = await eventually_async(lambda: live_far(w), "far order placed", diag=w.notifier.describe)
    assert len(far) == 1 and far[0]["price"] == "25400" and far[0]["lotsRequested"] == 5
    assert "SELL" in str(far[0]["direction"])

    for step, lots in enumerate((2, 1, 2), start=1):
        done = sum((2, 1, 2)[:step])
        await fill_far(w, lots)
        await eventually_async(
            lambda done=done: hedged(w, done),
            f"hedged after {done} far pieces",
            diag=w.notifier.describe,
        )
        sber_orders = await w.sim_orders(w.sber.uid)
        assert sum(int(o["lotsRequested"]) for o in sber_orders) == done * 10, sber_orders
        assert sum(int(o["lotsExecuted"]) for o in sber_orders) == done * 10

    await eventually(lambda: bool(w.notifier.of(events.JobFinished)), "job finished")
    finished = w.notifier.of(events.JobFinished)[0]
    assert (finished.outcome, finished.executed, finished.amount) == ("done", 5, 5)
    assert finished.average_spread == D("400")  # 25400 − 100 × 250.00
    assert job.executed == 5
    # progress through the Base, per leg
    await eventually(
        lambda: w.base.leg_progress(spread_id, "near")[0] == 500, "near fills in the Base"
    )
    assert w.base.leg_progress(spread_id, "far") == (5, D("25400"))
    assert w.base.leg_progress(spread_id, "near") == (500, D("250.00"))
    fills = w.notifier.of(events.OrderFilled)
    far_fills = [(f.quantity, f.executed, f.amount) for f in fills if f.leg == "far"]
    assert far_fills == [(2, 2, 5), (1, 3, 5), (2, 5, 5)]
    near_fills = [(f.quantity, f.executed, f.amount) for f in fills if f.leg == "near"]
    assert near_fills == [(200, 200, 500), (100, 300, 500), (200, 500, 500)]
    assert fills[-1].average_spread == D("400")
    # never a second far order at once, never more than the amount
    far_orders = await w.sim_orders(w.far.uid)
    assert sum(int(o["lotsExecuted"]) for o in far_orders) == 5


async def test_far_order_pulled_when_the_spread_moves_away_and_placed_again(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=3, target="350")
    engine, _broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    first = (await eventually_async(lambda: live_far(w), "far order placed"))[0]

    # SBER asks jump: 25400 − 100 × 250.60 = 340 < 350
    await w.set_book(w.sber, NEAR_BIDS, [("250.60", 1000)])
    await eventually_async(lambda: _none(live_far(w)), "far order pulled", diag=w.notifier.describe)
    cancelled = [o for o in await w.sim_orders(w.far.uid) if o["orderId"] == first["orderId"]]
    assert "CANCELLED" in str(cancelled[0]["status"])

    # back to 250.00: placed again, once
    await w.set_book(w.sber, NEAR_BIDS, NEAR_ASKS)
    again = await eventually_async(lambda: live_far(w), "far order placed again")
    assert len(again) == 1 and again[0]["orderId"] != first["orderId"]

    # the far best ask moves down to 25390: the order follows it
    await w.set_book(w.far, FAR_BIDS, [("25390", 5), *FAR_ASKS])
    moved = await eventually_async(
        lambda: _priced(live_far(w), "25390"), "far order moved to 25390", diag=w.notifier.describe
    )
    assert len(moved) == 1
    assert len(await live_far(w)) == 1


async def _none(rows: object) -> bool:
    return not await rows  # type: ignore[misc]


async def _priced(rows: object, price: str) -> list[dict[str, object]]:
    found = await rows  # type: ignore[misc]
    return [o for o in found if o["price"] == price]


async def test_partial_fills_and_a_rejected_hedge_retried(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=4, target="350")
    engine, broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    await eventually_async(lambda: live_far(w), "far order placed")

    broker.reject[w.sber.uid] = 2  # the next two hedges are refused
    await fill_far(w, 1)
    await eventually_async(lambda: hedged(w, 1), "hedged after retries", diag=w.notifier.describe)
    await eventually(
        lambda: any(a.reason_key == HEDGE_RESTORED for a in w.notifier.of(events.Alert)),
        "the job knows it is hedged again",
        diag=w.notifier.describe,
    )
    alerts = w.notifier.of(events.Alert)
    keys = [a.reason_key for a in alerts]
    assert keys.count(HEDGE_FAILED) == 2 and keys[-1] == HEDGE_RESTORED, keys
    assert alerts[0].params["ticker"] == "SBER" and alerts[0].params["lots"] == "10"
    # the far leg stopped growing while unhedged, then came back for the rest
    far = await eventually_async(lambda: live_far(w), "far order back after the hedge")
    assert far[0]["lotsRequested"] == 3
    await fill_far(w, 3)
    await eventually_async(lambda: hedged(w, 4), "all hedged")
    await eventually(lambda: bool(w.notifier.of(events.JobFinished)), "finished")
    assert w.notifier.of(events.JobFinished)[0].outcome == "done"
    sber_orders = await w.sim_orders(w.sber.uid)
    assert sum(int(o["lotsExecuted"]) for o in sber_orders) == 40


async def test_stop_pulls_the_far_order_and_leaves_the_position_hedged(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    engine, _broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    await eventually_async(lambda: live_far(w), "far order placed")
    await fill_far(w, 2)
    await engine.stop()
    assert not await live_far(w)
    assert await hedged(w, 2)
    finished = w.notifier.of(events.JobFinished)
    assert len(finished) == 1 and finished[0].outcome == "stopped"
    assert finished[0].executed == 2


async def test_stream_disconnect_falls_back_to_polling(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=2, target="350")
    engine, _broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    await eventually_async(lambda: live_far(w), "far order placed")
    await w.sim.faults(disconnectStreams=True)
    await w.set_book(w.sber, NEAR_BIDS, [("250.60", 1000)])
    await eventually_async(lambda: _none(live_far(w)), "pulled after the disconnect")
    await w.set_book(w.sber, NEAR_BIDS, NEAR_ASKS)
    await eventually_async(lambda: live_far(w), "placed again from polled books")
    await fill_far(w, 2)
    await eventually_async(lambda: hedged(w, 2), "hedged")


async def test_polling_only_broker_trades_the_spread(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=2, target="350")
    engine, _broker = w.engine(stream=False)
    await engine.start()
    w.run_spread(engine, spread_id)
    await eventually_async(lambda: live_far(w), "far order placed")
    await fill_far(w, 2)
    await eventually_async(lambda: hedged(w, 2), "hedged")
    await eventually(lambda: bool(w.notifier.of(events.JobFinished)), "finished")


async def test_session_closed_waits_and_resumes(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=2, target="350")
    w.sessions.closed.add("SBER")
    engine, _broker = w.engine()
    await engine.start()
    job = w.run_spread(engine, spread_id)
    await eventually(lambda: bool(w.notifier.of(events.SessionWait)), "session wait reported")
    wait = w.notifier.of(events.SessionWait)[0]
    assert wait.ticker == "SBER" and job.state == "waiting"
    assert not await live_far(w)
    w.sessions.closed.clear()
    await eventually_async(lambda: live_far(w), "far order once both legs trade")
    assert job.state == "running"


# --------------------------------------------------------------------------- kill and restart


async def _finish_after_restart(w: World, spread_id: int, done: int, amount: int) -> None:
    """A second engine (same journal, same Base) takes the spread over: it ends neutral, does
    the rest, and never trades more than the amount."""
    engine2, _broker2 = w.engine()
    await engine2.start()
    w.run_spread(engine2, spread_id)
    await eventually_async(
        lambda: hedged(w, done), f"neutral after the restart at {done}", diag=w.notifier.describe
    )
    far = await eventually_async(lambda: live_far(w), "far order for the rest")
    assert len(far) == 1 and int(far[0]["lotsRequested"]) - int(far[0]["lotsExecuted"]) == (
        amount - done
    )
    await fill_far(w, amount - done)
    await eventually_async(lambda: hedged(w, amount), "all hedged", diag=w.notifier.describe)
    await eventually(
        lambda: any(f.outcome == "done" for f in w.notifier.of(events.JobFinished)),
        "the restarted job finished",
        diag=w.notifier.describe,
    )
    far_orders = await w.sim_orders(w.far.uid)
    assert sum(int(o["lotsExecuted"]) for o in far_orders) == amount
    sber_orders = await w.sim_orders(w.sber.uid)
    assert sum(int(o["lotsExecuted"]) for o in sber_orders) == amount * 10
    assert not [o for o in far_orders + sber_orders if str(o["status"]).endswith(LIVE)]
    await eventually(
        lambda: w.base.leg_progress(spread_id, "near")[0] == amount * 100, "Base has every fill"
    )
    assert w.base.leg_progress(spread_id, "far")[0] == amount


async def test_killed_after_a_far_fill_before_the_hedge(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    engine, _broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    await eventually_async(lambda: live_far(w), "far order placed")
    await w.kill(engine)
    await fill_far(w, 2)  # the far order fills while nobody watches
    assert (await w.positions()).get("SBER", 0) == 0
    await _finish_after_restart(w, spread_id, done=2, amount=5)
    # the partly filled far order still stood at the right price: adopted and kept, never
    # pulled and placed again for its last 3 lots
    assert len(await w.sim_orders(w.far.uid)) == 1


async def test_killed_during_the_hedge_after_it_reached_the_exchange(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    engine, broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    await eventually_async(lambda: live_far(w), "far order placed")
    hold = Hold(w.sber.uid, forward=True)
    broker.hold = hold
    await fill_far(w, 2)
    await asyncio.wait_for(hold.reached.wait(), 10)
    await w.kill(engine)  # the answer of the hedge never came back
    assert await hedged(w, 2)  # the exchange has it
    await _finish_after_restart(w, spread_id, done=2, amount=5)
    hedges = [o for o in await w.sim_orders(w.sber.uid) if o["requestId"] == hold.request_id]
    assert len(hedges) == 1, "the held hedge was adopted, not sent again"


async def test_killed_during_the_hedge_before_it_was_sent(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    engine, broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    await eventually_async(lambda: live_far(w), "far order placed")
    hold = Hold(w.sber.uid, forward=False)
    broker.hold = hold
    await fill_far(w, 3)
    await asyncio.wait_for(hold.reached.wait(), 10)
    await w.kill(engine)
    assert (await w.positions()).get("SBER", 0) == 0
    left = [a for a in w.notifier.of(events.Alert) if a.reason_key == LEFT_UNHEDGED]
    assert [a.params for a in left] == [{"ticker": "SBER", "pieces": "300"}]
    await _finish_after_restart(w, spread_id, done=3, amount=5)
    never_sent = [o for o in w.base.orders.values() if o.client_order_id == hold.request_id]
    assert [o.status for o in never_sent] == ["cancelled"], "recorded but never sent"


# --------------------------------------------------------------------------- other shapes


async def test_buying_a_future_against_a_nearer_future(world: World) -> None:
    w = world
    near = w.near_future
    await w.set_book(near, [("25050", 20)], [("25060", 20)])
    await w.set_book(w.far, FAR_BIDS, FAR_ASKS)
    # buy far at its bid 25300, sell SRH6 down its bids at 25050: spread 250 ≤ 260
    spread_id = w.base.add_spread(w.far, near, "buy", amount=3, target="260", ratio="1")
    engine, _broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    far = await eventually_async(lambda: live_far(w), "far buy order placed")
    assert far[0]["price"] == "25300" and "BUY" in str(far[0]["direction"])
    await w.set_book(w.far, FAR_BIDS, [("25300", 3), *FAR_ASKS])  # a seller hits our bid

    async def neutral() -> bool:
        held = await w.positions()
        return held.get("SRM6", 0) == 3 and held.get("SRH6", 0) == -3

    await eventually_async(neutral, "bought far, sold near", diag=w.notifier.describe)
    await eventually(lambda: bool(w.notifier.of(events.JobFinished)), "finished")
    finished = w.notifier.of(events.JobFinished)[0]
    assert finished.outcome == "done" and finished.average_spread == D("250")


async def test_sprices_data_from_the_simulator(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=2, target="350")
    engine, _broker = w.engine()
    await engine.start()
    (quote,) = await engine_spread_prices(engine._ctx, [w.base.spread_view(spread_id)])
    assert quote.in_session and quote.error_key is None
    assert quote.sell is not None and quote.buy is not None
    assert quote.sell.spread == D("400") and quote.sell.meets_target  # 25400 − 100 × 250.00
    assert quote.buy.spread == D("310")  # 25300 − 100 × 249.90
    assert (quote.far_ticker, quote.near_ticker, quote.remaining) == ("SRM6", "SBER", 2)


async def test_an_order_event_hedges_without_waiting_for_the_poll(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=2, target="350")
    # polling the order state once an hour: only the order event can reveal the fill in time
    engine, _broker = w.engine(options=replace(FAST, poll_interval=3600.0))
    await engine.start()
    runs: list[SpreadRun] = []
    w.run_spread(engine, spread_id, on_run=runs.append)
    far = (await eventually_async(lambda: live_far(w), "far order placed"))[0]
    await fill_far(w, 2)
    runs[0].order_event(str(far["requestId"]))
    await eventually_async(lambda: hedged(w, 2), "hedged on the order event")


async def test_order_state_stream_reveals_fills_without_polling(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=3, target="350")
    engine, broker = w.engine(options=replace(FAST, poll_interval=3600.0))
    await engine.start()
    router = OrderEventRouter()
    client = broker.inner.client
    follow = asyncio.create_task(router.run(lambda: client.order_state_stream(w.sim.account_id)))
    try:
        w.run_spread(engine, spread_id, order_events=router)
        await eventually_async(lambda: live_far(w), "far order placed")
        await fill_far(w, 1)
        await eventually_async(lambda: hedged(w, 1), "hedged from the stream event")
        await fill_far(w, 2)
        await eventually_async(lambda: hedged(w, 3), "hedged again")
        await eventually(lambda: bool(w.notifier.of(events.JobFinished)), "finished")
        assert router.events > 0
    finally:
        follow.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follow


async def test_base_outage_holds_the_far_leg_but_hedges_go_on(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=4, target="350")
    engine, _broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    await eventually_async(lambda: live_far(w), "far order placed")
    w.base.down = True
    await fill_far(w, 1)  # its records cannot reach the Base: the recorder goes down
    await eventually_async(lambda: hedged(w, 1), "hedged while the Base is down")
    await eventually(lambda: engine.recorder.is_down, "the engine knows the Base is down")
    await eventually_async(lambda: _none(live_far(w)), "no far order while the Base is down")
    w.base.down = False
    far = await eventually_async(lambda: live_far(w), "far order back with the Base")
    assert int(far[0]["lotsRequested"]) == 3
    await eventually(
        lambda: w.base.leg_progress(spread_id, "near")[0] == 100, "journaled fills flushed"
    )


async def test_hedge_whose_state_cannot_be_read_is_resolved_not_sent_twice(world: World) -> None:
    w = world
    await setup_books(w)
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=2, target="350")
    engine, broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    await eventually_async(lambda: live_far(w), "far order placed")
    # the hedge is accepted and filled at once, but reading its state fails: the placement
    # ends in an error although the order exists
    broker.state_fails_after_post[w.sber.uid] = 1
    await fill_far(w, 1)
    await eventually_async(lambda: hedged(w, 1), "hedged", diag=w.notifier.describe)
    await fill_far(w, 1)
    await eventually_async(lambda: hedged(w, 2), "hedged again", diag=w.notifier.describe)
    await eventually(lambda: bool(w.notifier.of(events.JobFinished)), "finished")
    assert w.notifier.of(events.JobFinished)[0].outcome == "done"
    sber_orders = await w.sim_orders(w.sber.uid)
    assert len(sber_orders) == 2, "the hedge that ended in an error was not sent again"
    assert sum(int(o["lotsExecuted"]) for o in sber_orders) == 20


async def test_far_orders_kept_under_the_max_value_of_one_order(world: World) -> None:
    w = world
    await setup_books(w)
    w.base.trading_settings = replace(w.base.trading_settings, max_order_value=D("60000"))
    spread_id = w.base.add_spread(w.far, w.sber, "sell", amount=5, target="350")
    engine, _broker = w.engine()
    await engine.start()
    w.run_spread(engine, spread_id)
    far = await eventually_async(lambda: live_far(w), "far order placed", diag=w.notifier.describe)
    assert int(far[0]["lotsRequested"]) == 2  # 2 × 25 400 ≤ 60 000 < 3 × 25 400
    await fill_far(w, 2)
    await eventually_async(lambda: hedged(w, 2), "hedged")
    far = await eventually_async(lambda: _unfilled(live_far(w)), "next far order")
    assert int(far[0]["lotsRequested"]) == 2


async def _unfilled(rows: object) -> list[dict[str, object]]:
    found = await rows  # type: ignore[misc]
    return [o for o in found if int(o["lotsExecuted"]) == 0]


async def test_resume_picks_running_open_or_unbalanced_spreads(world: World) -> None:
    w = world
    await setup_books(w)
    engine, _broker = w.engine()
    await engine.start()
    idle = w.base.spread_view(w.base.add_spread(w.far, w.sber, "sell", amount=2, target="9999"))
    running = w.base.spread_view(w.base.add_spread(w.far, w.sber, "sell", amount=2, target="9999"))
    # the Base says two far pieces were sold and nothing bought on the near leg
    unbalanced = replace(
        w.base.spread_view(w.base.add_spread(w.far, w.sber, "sell", amount=2, target="9999")),
        far_executed=2,
        far_average=D("25400"),
    )
    jobs = await resume_spreads(
        engine._registry,
        engine._ctx,
        [idle, running, unbalanced],
        w.base.trading_settings,
        running={running.id},
        tuning=TUNING,
    )
    assert sorted(j.key for j in jobs) == sorted(
        [f"spread:{running.id}", f"spread:{unbalanced.id}"]
    )
    # the unbalanced one hedges at once: 2 contracts × 100 shares
    await eventually_async(
        lambda: _sber_bought(w, 200), "the imbalance hedged", diag=w.notifier.describe
    )


async def _sber_bought(w: World, pieces: int) -> bool:
    return (await w.positions()).get("SBER", 0) == pieces
