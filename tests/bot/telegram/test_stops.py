"""The stop-order commands through the dispatcher and the fake Telegram session, with the real
engine and broker client against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from bot.base_client.types import TradingSettings
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.engine import events
from bot.engine.stops.desk import StopsTuning
from bot.engine.trader import Engine
from bot.telegram.confirm import Confirmations
from simulator.orders import STOP_ACTIVE
from tests.bot.engine.conftest import FAST, eventually
from tests.support.fake_stops_base import StopsBase
from tests.support.fake_telegram import OWNER, Harness, make_harness
from tests.support.sim import DEFAULT_START, SimHandle, running_simulator


class Forward:
    """The engine's notifier, forwarding to the harness's TelegramNotifier once it exists."""

    def __init__(self) -> None:
        self.target: Any = None
        self.events: list[events.Event] = []

    async def notify(self, event: events.Event) -> None:
        self.events.append(event)
        if self.target is not None:
            await self.target.notify(event)


class Clock:
    def now(self) -> Any:
        return DEFAULT_START

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(min(max(seconds, 0.0), 0.02))


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Rig:
    def __init__(self, sim: SimHandle, tg: Harness, forward: Forward, base: StopsBase) -> None:
        self.sim = sim
        self.tg = tg
        self.forward = forward
        self.base = base

    def active(self) -> list[Any]:
        return [
            s for s in self.sim.simulator.exchange.stop_orders.values() if s.status == STOP_ACTIVE
        ]

    async def finished(self, count: int = 1) -> None:
        await eventually(
            lambda: (
                len([e for e in self.forward.events if isinstance(e, events.BulkFinished)]) >= count
            ),
            "bulk command finished",
            within=20,
            diag=self.tg.session.transcript,
        )
        await self.tg.outbox.join()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with running_simulator(start_time=DEFAULT_START) as sim:
        base = StopsBase(TradingSettings(bulk_confirm_threshold=1000))
        shares = [s for s in sim.simulator.exchange.catalogue.shares if s.api_trade_available]
        base.lists["whitelist"] = [
            base.add_instrument(
                ticker=s.ticker,
                uid=s.uid,
                figi=s.figi,
                lot=s.lot,
                min_price_increment=s.min_price_increment,
                short_enabled=s.short_enabled,
                exchange="MOEX",
            )
            for s in shares[:12]
        ]
        client = TInvestClient(
            BrokerConfig(
                token=sim.token,
                account_id=sim.account_id,
                rest_url=sim.rest_url,
                ws_url=sim.ws_url,
                rate_limit_time_scale=0.0005,
            )
        )
        forward = Forward()
        engine = Engine(
            client,
            base,
            forward,
            account_id=sim.account_id,
            mode="paper",
            clock=Clock(),
            options=replace(FAST, journal_fsync=False),
            stops_tuning=StopsTuning(retry_pause=0.01, progress_interval=0.0, poll_interval=0.05),
        )
        tg = await make_harness("en", trader=engine)  # type: ignore[arg-type]
        forward.target = tg.trader.notifier  # type: ignore[attr-defined]
        await engine.start()
        try:
            yield Rig(sim, tg, forward, base)
        finally:
            await asyncio.wait_for(engine.close(), 10)
            await tg.outbox.close(timeout=5)
            await client.close()


async def test_stops_shows_the_plan_runs_and_edits_one_progress_message(rig: Rig) -> None:
    await rig.tg.send("/stops")
    await rig.finished()
    placed = len(rig.active())
    assert placed > 12
    text = rig.tg.session.transcript()
    assert f"/stops: {placed} stop orders on 12 instruments" in text
    assert f"B1 /stops finished: placed {placed} of {placed}" in text
    progress = [
        r
        for r in rig.tg.session.sent(OWNER)
        if "placed" in (r.text or "")
        and "of" in (r.text or "")
        and "finished" not in (r.text or "")
    ]
    assert len(progress) == 1, "progress is one message"
    edits = rig.tg.session.calls("editMessageText")
    assert edits and {e.params["message_id"] for e in edits} == {progress[0].result["message_id"]}


async def test_shorts_asks_first_and_an_expired_confirmation_sends_nothing(rig: Rig) -> None:
    ticks = Ticks()
    rig.tg.dp["confirmations"] = Confirmations(ttl=60, clock=ticks)
    await rig.tg.send("/shorts")
    question = rig.tg.session.sent(OWNER)[-1]
    assert "Confirm within" in (question.text or "")
    assert not rig.active(), "nothing is sent before confirmation"
    ticks.now += 61
    await rig.tg.press(question.buttons()[0][1], question.result)
    await asyncio.sleep(0.1)
    assert not rig.active()


async def test_cancel_asks_runs_once_and_leaves_nothing(rig: Rig) -> None:
    await rig.tg.send("/stops")
    await rig.finished()
    count = len(rig.active())
    await rig.tg.send("/cancel")
    question = rig.tg.session.sent(OWNER)[-1]
    assert f"cancel 0 orders and {count} stop orders" in (question.text or "")
    yes = question.buttons()[0][1]
    await rig.tg.press(yes, question.result)
    await rig.finished(2)
    assert rig.active() == []
    assert f"cancelled 0 orders and {count} stop orders" in rig.tg.session.transcript()
    await rig.tg.press(yes, question.result)  # a double press runs nothing
    assert rig.tg.last() == "This question was already answered."


async def test_nuke_bad_input_gets_the_syntax_and_changes_nothing(rig: Rig) -> None:
    await rig.tg.send("/nuke SBER")
    assert rig.tg.last() == "Usage: /nuke TICKER SUM, e.g. /nuke SBER 400000"
    await rig.tg.send("/nuke SBER -5")
    assert not rig.active()


async def test_help_and_menu_name_the_stop_commands() -> None:
    tg = await make_harness("en")
    try:
        await tg.send("/help")
        assert "/nuke TICKER SUM — four buy stops at 100, 99, 95, 93 % of the price" in (
            tg.replies()
        )
        assert tg.last().startswith("Numbers:")
        [menu] = tg.session.calls("setMyCommands")
        described = {c["command"]: c["description"] for c in menu.params["commands"]}
        assert described["cancel"] == "cancel every order and stop order"
    finally:
        await tg.outbox.close(timeout=5)


async def test_two_restore_questions_confirmed_one_after_the_other_place_the_stash_once(
    rig: Rig,
) -> None:
    """Found by `make chaos`'s reasoning about a crash mid-/restore: a plan made while other
    restored orders were not yet placed must not place them again when it runs."""
    await rig.tg.send("/stops")
    await rig.finished()
    stashed = sorted((s.instrument.ticker, s.stop_price, s.lots) for s in rig.active())
    await rig.tg.send("/stash")
    await rig.tg.send("/cancel")
    question = rig.tg.session.sent(OWNER)[-1]
    await rig.tg.press(question.buttons()[0][1], question.result)
    await rig.finished(2)
    assert rig.active() == []
    await rig.tg.send("/restore")
    first = rig.tg.session.sent(OWNER)[-1]
    await rig.tg.send("/restore")
    second = rig.tg.session.sent(OWNER)[-1]
    assert first is not second
    await rig.tg.press(first.buttons()[0][1], first.result)
    await rig.finished(3)
    await rig.tg.press(second.buttons()[0][1], second.result)  # planned before the first ran
    await rig.finished(4)
    again = sorted((s.instrument.ticker, s.stop_price, s.lots) for s in rig.active())
    assert again == stashed, "the stash is placed once, whatever the number of questions"
    assert "B4 /restore finished: placed 0 of 0" in rig.tg.session.transcript()
