from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.base_client.types import Instrument, TradingSettings
from bot.engine import events
from bot.engine.options import EngineOptions
from bot.engine.trader import Engine
from tests.bot.engine.fake_broker import ACCOUNT, FakeBroker
from tests.support.fake_base import FakeBase

FAST = EngineOptions(
    poll_interval=0.02,
    cancel_confirm_timeout=0.5,
    resolve_interval=0.01,
    resolve_attempts=5,
    retry_after_refusal=0.05,
    stop_timeout=5.0,
    base_retry_initial=0.02,
    base_retry_max=0.1,
    base_probe_interval=0.05,
    catalogue_refresh_at=None,
    order_move_hold=0.05,
)


class RecordingNotifier:
    def __init__(self) -> None:
        self.events: list[events.Event] = []

    async def notify(self, event: events.Event) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def describe(self) -> str:
        return "\n".join(repr(e) for e in self.events)


async def eventually(
    condition: Callable[[], bool], what: str, within: float = 5.0, diag: Callable[[], str] = str
) -> None:
    """Poll `condition` until true; fail with `what` (and a diagnostic) after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for: {what}\n{diag()}")
        await asyncio.sleep(0.005)


@pytest.fixture
def broker() -> FakeBroker:
    broker = FakeBroker(lot_sizes={"uid-sber": 10})
    broker.set_book("uid-sber", "100.00", "100.50")
    return broker


@pytest.fixture
def base() -> FakeBase:
    base = FakeBase(TradingSettings())
    base.add_instrument(
        ticker="SBER",
        uid="uid-sber",
        lot=10,
        min_price_increment=Decimal("0.01"),
        exchange="MOEX",
        short_enabled=True,
    )
    return base


@pytest.fixture
def sber(base: FakeBase) -> Instrument:
    return next(i for i in base.instruments_by_id.values() if i.ticker == "SBER")


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


EngineFactory = Callable[..., Engine]


@pytest.fixture
async def make_engine(
    broker: FakeBroker, base: FakeBase, notifier: RecordingNotifier
) -> AsyncIterator[EngineFactory]:
    made: list[Engine] = []

    def factory(
        *,
        broker_: Any = None,
        base_: Any = None,
        state_dir: Path | None = None,
        options: EngineOptions = FAST,
    ) -> Engine:
        engine = Engine(
            broker_ or broker,
            base_ or base,
            notifier,
            account_id=ACCOUNT,
            mode="paper",
            state_dir=state_dir,
            options=options,
        )
        made.append(engine)
        return engine

    yield factory
    for engine in made:
        await asyncio.wait_for(engine.close(), 10)
