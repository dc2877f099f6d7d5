"""The spread job against the in-process simulator: the real broker client, the real engine
pieces (desk, recorder with a journal, feeds, calendar, registry) and an in-memory Base that
knows spreads. Proxies can "kill" an engine (its broker and Base calls start failing, as if the
process had died) and hold a chosen order in flight."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.base_client.errors import BaseUnavailable
from bot.base_client.types import (
    FINAL_STATUSES,
    ActiveTasks,
    Instrument,
    OrderRecord,
    Spread,
    TradingSettings,
)
from bot.broker import errors as broker_errors
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.broker.types import OrderBook, OrderState, PostOrderResult
from bot.engine import events
from bot.engine.broker_port import BrokerPort
from bot.engine.jobs import Job
from bot.engine.options import EngineOptions
from bot.engine.sessions import SessionState
from bot.engine.spreads.job import SpreadRun, start_spread
from bot.engine.spreads.legs import SpreadTuning
from bot.engine.spreads.order_events import OrderEventRouter
from bot.engine.tinvest_port import TInvestPort
from bot.engine.trader import Engine
from tests.support.fake_base import FakeBase
from tests.support.sim import DEFAULT_START, SimHandle

_SECOND = timedelta(seconds=1)

FAST = EngineOptions(
    poll_interval=0.02,
    cancel_confirm_timeout=0.5,
    resolve_interval=0.01,
    resolve_attempts=5,
    retry_after_refusal=0.05,
    stop_timeout=10.0,
    base_retry_initial=0.02,
    base_retry_max=0.1,
    catalogue_refresh_at=None,
    journal_fsync=False,
)
TUNING = SpreadTuning(
    hedge_slip_ticks=20,
    hedge_timeout=2.0,
    backoff_base=0.05,
    backoff_max=0.2,
    stop_hedge_attempts=50,
    tick_interval=0.02,
    session_check_interval=0.05,
)
D = Decimal


class SimClock:
    """Engine time on the simulator's (frozen) calendar: its start plus the real time elapsed,
    so sessions read from the simulator's schedule are open; sleeps are real."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self._start = start
        self._t0 = asyncio.get_event_loop().time()

    def now(self) -> datetime:
        return self._start + (asyncio.get_event_loop().time() - self._t0) * _SECOND

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


class Notifier:
    def __init__(self) -> None:
        self.events: list[events.Event] = []
        self.changed = asyncio.Event()

    async def notify(self, event: events.Event) -> None:
        self.events.append(event)
        self.changed.set()
        self.changed = asyncio.Event()

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def describe(self) -> str:
        return "\n".join(repr(e) for e in self.events[-40:])


async def eventually(
    condition: Callable[[], bool], what: str, within: float = 10.0, diag: Callable[[], str] = str
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for: {what}\n{diag()}")
        await asyncio.sleep(0.005)


async def eventually_async(
    condition: Callable[[], Any], what: str, within: float = 10.0, diag: Callable[[], str] = str
) -> Any:
    """Like `eventually` for an async condition; returns its last (truthy) value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = await condition()
        if value:
            return value
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for: {what}\n{diag()}")
        await asyncio.sleep(0.01)


# --------------------------------------------------------------------------- Base with spreads


@dataclass
class _SpreadTask:
    id: int
    far_id: int
    near_id: int
    direction: str
    amount: int
    target: Decimal
    ratio: Decimal
    active: bool = True
    disabled_reason: str = ""


class SpreadBase(FakeBase):
    """FakeBase plus spread tasks (progress per leg from the fills, as the real Base does)."""

    def __init__(self, settings: TradingSettings | None = None) -> None:
        super().__init__(settings)
        self.spreads: dict[int, _SpreadTask] = {}
        self.switched: list[int] = []  # spreads (de)activated through the API, in order
        self._next_spread = 100

    def add_spread(
        self,
        far: Instrument,
        near: Instrument,
        direction: str,
        amount: int,
        target: str,
        ratio: str = "100",
    ) -> int:
        task = _SpreadTask(
            self._next_spread, far.id, near.id, direction, amount, D(target), D(ratio)
        )
        self.spreads[task.id] = task
        self._next_spread += 1
        return task.id

    def leg_of(self, record: OrderRecord) -> str:
        if record.leg:
            return record.leg
        task = self.spreads[record.task_id or 0]
        return "far" if record.instrument == task.far_id else "near"

    def leg_progress(self, spread_id: int, leg: str) -> tuple[int, Decimal | None]:
        ids = {
            o.client_order_id
            for o in self.orders.values()
            if o.task_kind == "spread" and o.task_id == spread_id and self.leg_of(o) == leg
        }
        fills = [f for (order, _t), f in self.fills.items() if order in ids]
        executed = sum(f.quantity for f in fills)
        if not executed:
            return 0, None
        return executed, sum((f.price * f.quantity for f in fills), D(0)) / executed

    def spread_view(self, spread_id: int) -> Spread:
        task = self.spreads[spread_id]
        far_exec, far_avg = self.leg_progress(spread_id, "far")
        near_exec, near_avg = self.leg_progress(spread_id, "near")
        return Spread(
            id=task.id,
            far=self.instruments_by_id[task.far_id],
            near=self.instruments_by_id[task.near_id],
            direction=task.direction,  # type: ignore[arg-type]
            amount=task.amount,
            target_price=task.target,
            ratio=task.ratio,
            ratio_override=None,
            active=task.active,
            far_executed=far_exec,
            far_average=far_avg,
            near_executed=near_exec,
            near_average=near_avg,
            average_spread=None,
            created_at=None,
            open_orders=tuple(
                o
                for o in self.task_orders(spread_id)
                if o.task_kind == "spread" and o.status not in FINAL_STATUSES
            ),
        )

    async def set_spread_active(
        self, spread_id: int, active: bool, reason: str | None = None
    ) -> Spread:
        self._check("set_spread_active")
        self.spreads[spread_id].active = active
        self.spreads[spread_id].disabled_reason = "" if active else (reason or "")
        self.switched.append(spread_id)
        self._wrote()
        return self.spread_view(spread_id)

    async def spread(self, spread_id: int) -> Spread | None:
        self._check("spread")
        return self.spread_view(spread_id) if spread_id in self.spreads else None

    async def active_tasks(self) -> ActiveTasks:
        base = await super().active_tasks()
        spreads = tuple(self.spread_view(i) for i, t in self.spreads.items() if t.active)
        return ActiveTasks(sellbuy=base.sellbuy, spreads=spreads)

    def task_orders(self, task_id: int) -> list[OrderRecord]:
        return sorted(
            (o for o in self.orders.values() if o.task_id == task_id),
            key=lambda o: o.created_at or datetime.min.replace(tzinfo=UTC),
        )


class KillableBase:
    """One engine's view of the shared Base: after `kill()` every call fails (the process is
    gone; its journal on disk is what remains)."""

    def __init__(self, base: SpreadBase) -> None:
        self._base = base
        self.killed = False

    def kill(self) -> None:
        self.killed = True

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._base, name)
        if not callable(target):
            return target

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.killed:
                raise BaseUnavailable(f"{name}: process killed")
            return await target(*args, **kwargs)

        return call


# --------------------------------------------------------------------------- broker proxy


@dataclass
class Hold:
    """Stop the engine at a PostOrder for `instrument_uid`: `forward` decides whether the order
    reaches the exchange first; `reached` is set when it is held (the engine waits forever)."""

    instrument_uid: str
    forward: bool
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    request_id: str = ""


class ProxyBroker(BrokerPort):
    """Forwards to the real port; `kill()` makes every call fail as if the process had died;
    `hold` freezes the engine at a chosen PostOrder; `reject_next` refuses hedges."""

    def __init__(self, inner: TInvestPort) -> None:
        self.inner = inner
        self.killed = False
        self.hold: Hold | None = None
        self.reject: dict[str, int] = {}  # instrument uid -> PostOrders to reject
        self.reject_code: dict[str, str] = {}  # instrument uid -> the code (default 30079)
        # instrument uid -> after a PostOrder on it, this many order-state reads fail
        self.state_fails_after_post: dict[str, int] = {}
        self._state_fails = 0
        self.posted: list[tuple[str, str, int, Decimal, str]] = []  # uid, dir, lots, price, id
        self.post_times: list[tuple[float, str]] = []

    def kill(self) -> None:
        self.killed = True

    def _alive(self) -> None:
        if self.killed:
            raise broker_errors.BrokerConnectionError("process killed")

    async def accounts(self) -> Any:
        self._alive()
        return await self.inner.accounts()

    async def post_limit_order(
        self,
        *,
        account_id: str,
        instrument_id: str,
        direction: Any,
        lots: int,
        price: Decimal,
        request_id: str,
    ) -> PostOrderResult:
        self._alive()
        hold = self.hold
        if hold is not None and hold.instrument_uid == instrument_id and not hold.reached.is_set():
            hold.request_id = request_id
            if hold.forward:
                await self.inner.post_limit_order(
                    account_id=account_id,
                    instrument_id=instrument_id,
                    direction=direction,
                    lots=lots,
                    price=price,
                    request_id=request_id,
                )
            hold.reached.set()
            await asyncio.Event().wait()  # the process "dies" here
        if self.reject.get(instrument_id, 0) > 0:
            self.reject[instrument_id] -= 1
            raise broker_errors.OrderRejected(
                "refused", api_code=self.reject_code.get(instrument_id, "30079")
            )
        self.posted.append((instrument_id, direction, lots, price, request_id))
        self.post_times.append((asyncio.get_running_loop().time(), instrument_id))
        if self.state_fails_after_post.get(instrument_id):
            self._state_fails += self.state_fails_after_post.pop(instrument_id)
        return await self.inner.post_limit_order(
            account_id=account_id,
            instrument_id=instrument_id,
            direction=direction,
            lots=lots,
            price=price,
            request_id=request_id,
        )

    async def cancel_order(self, *, account_id: str, order_id: str) -> None:
        self._alive()
        await self.inner.cancel_order(account_id=account_id, order_id=order_id)

    async def cancel_order_by_request_id(self, *, account_id: str, request_id: str) -> None:
        self._alive()
        await self.inner.cancel_order_by_request_id(account_id=account_id, request_id=request_id)

    def _state_fault(self) -> None:
        if self._state_fails > 0:
            self._state_fails -= 1
            raise broker_errors.BrokerError("internal error", api_code="70001")

    async def order_state(self, *, account_id: str, order_id: str) -> OrderState:
        self._alive()
        self._state_fault()
        return await self.inner.order_state(account_id=account_id, order_id=order_id)

    async def resolve_order(self, *, account_id: str, request_id: str) -> OrderState | None:
        self._alive()
        self._state_fault()
        return await self.inner.resolve_order(account_id=account_id, request_id=request_id)

    async def active_orders(self, *, account_id: str) -> list[OrderState]:
        self._alive()
        return await self.inner.active_orders(account_id=account_id)

    async def order_book(self, instrument_id: str, depth: int = 10) -> OrderBook:
        self._alive()
        return await self.inner.order_book(instrument_id, depth)

    async def positions(self, *, account_id: str) -> Any:
        self._alive()
        return await self.inner.positions(account_id=account_id)

    async def trading_schedules(self, exchange: str, start: datetime, end: datetime) -> Any:
        self._alive()
        return await self.inner.trading_schedules(exchange, start, end)

    async def instruments(self) -> Any:
        self._alive()
        return await self.inner.instruments()

    @property
    def has_book_stream(self) -> bool:
        return self.inner.has_book_stream

    def order_book_stream(self, instrument_id: str, depth: int = 10) -> AsyncIterator[OrderBook]:
        return self.inner.order_book_stream(instrument_id, depth)

    async def close(self) -> None:
        await self.inner.close()


class NoStreamBroker(ProxyBroker):
    """The same broker without a market-data stream: the jobs poll GetOrderBook."""

    @property
    def has_book_stream(self) -> bool:
        return False


# --------------------------------------------------------------------------- the world


class SessionSwitch:
    """Sessions under the test's control (the calendar is the engine's, tested there)."""

    def __init__(self) -> None:
        self.closed: set[str] = set()
        self.opens_at: datetime | None = None

    async def read(self, instrument: Instrument) -> SessionState:
        if instrument.ticker in self.closed:
            return SessionState(open=False, opens_at=self.opens_at)
        return SessionState(open=True, opens_at=None)


@dataclass
class World:
    sim: SimHandle
    base: SpreadBase
    notifier: Notifier
    state_dir: Path
    sber: Instrument
    far: Instrument  # SRM6
    near_future: Instrument  # SRH6
    engines: list[tuple[Engine, ProxyBroker, KillableBase]] = field(default_factory=list)
    sessions: SessionSwitch = field(default_factory=SessionSwitch)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def engine(
        self, *, stream: bool = True, options: EngineOptions = FAST
    ) -> tuple[Engine, ProxyBroker]:
        config = replace(
            BrokerConfig.simulator(token=self.sim.token, account_id=self.sim.account_id),
            rest_url=self.sim.rest_url,
            ws_url=self.sim.ws_url,
        )
        client = TInvestClient(config)
        port = TInvestPort(client)
        broker: ProxyBroker = ProxyBroker(port) if stream else NoStreamBroker(port)
        base = KillableBase(self.base)
        engine = Engine(
            broker,
            base,
            self.notifier,
            account_id=self.sim.account_id,
            mode="paper",
            clock=SimClock(),
            state_dir=self.state_dir,
            options=options,
            spread_tuning=TUNING,
        )
        self.engines.append((engine, broker, base))
        return engine, broker

    def run_spread(
        self,
        engine: Engine,
        spread_id: int,
        tuning: SpreadTuning = TUNING,
        on_run: Callable[[SpreadRun], None] | None = None,
        order_events: OrderEventRouter | None = None,
    ) -> Job:
        ctx = engine._ctx
        registry = engine._registry
        resumed = registry.running_key(f"spread:{spread_id}")
        if resumed is not None:  # the engine resumed it at start (Engine._resume_spreads)
            return resumed
        return start_spread(
            registry,
            ctx,
            self.base.spread_view(spread_id),
            self.base.trading_settings,
            tuning=tuning,
            read_session=self.sessions.read,
            on_run=on_run,
            order_events=order_events,
        )

    async def kill(self, engine: Engine) -> None:
        """The process dies: nothing it does from now reaches the broker or the Base."""
        for e, broker, base in self.engines:
            if e is engine:
                broker.kill()
                base.kill()
        for job in engine._registry.jobs():
            if job.task is not None:
                job.task.cancel()
        await asyncio.wait_for(engine.close(), 30)

    async def positions(self) -> dict[str, int]:
        """Signed pieces traded per ticker at the simulator (from every order's fills)."""
        data = await self.sim.orders()
        lots = {self.sber.uid: self.sber.lot, self.far.uid: 1, self.near_future.uid: 1}
        held: dict[str, int] = {}
        for order in data["orders"]:
            uid = order["instrumentUid"]
            if uid not in lots:
                continue
            sign = 1 if "BUY" in order["direction"] else -1
            held[order["ticker"]] = (
                held.get(order["ticker"], 0) + sign * int(order["lotsExecuted"]) * lots[uid]
            )
        return held

    async def sim_orders(self, uid: str) -> list[dict[str, Any]]:
        data = await self.sim.orders()
        return [o for o in data["orders"] if o.get("instrumentUid") == uid]

    async def set_book(
        self, instrument: Instrument, bids: list[tuple[str, int]], asks: list[tuple[str, int]]
    ) -> None:
        await self.sim.set_book(instrument.uid, bids, asks)
