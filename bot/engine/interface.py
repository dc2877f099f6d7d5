"""The boundary between the engine and its transports (Telegram, console, tests).

Transports call a `Trader` and receive `events.Event`s through a `Notifier`. The engine knows
nothing of aiogram. Errors a user can trigger are raised as `UserError` with a text key and
parameters, rendered by `bot.texts`; nothing is changed when one is raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol

from bot.engine.events import Direction, Event, JobKind
from bot.engine.scanners.report import DividendReport, ScanReport
from bot.engine.spreads.prices import SideQuote, SpreadQuote
from bot.engine.stops.plan import CancelPlan, StashResult, StopPlan

if TYPE_CHECKING:
    from bot.engine.tape.whatif import WhatIfResult

if TYPE_CHECKING:
    from bot.engine.views.desk import ViewsDesk

__all__ = [
    "CatalogueUpdate",
    "ComponentHealth",
    "DividendReport",
    "Health",
    "JobInfo",
    "NeedsConfirmation",
    "Notifier",
    "ScanReport",
    "SellBuyOrder",
    "SideQuote",
    "SpreadQuote",
    "StopsCommands",
    "Trader",
    "UserError",
]


class Notifier(Protocol):
    async def notify(self, event: Event) -> None:
        """Deliver one event. Must not raise and must not block trading for long."""


class UserError(Exception):
    """A refusal explained to the owner: `key` names a text in bot.texts; params fill it in."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = {name: str(value) for name, value in params.items()}


class NeedsConfirmation(UserError):
    """The command would do something the owner must agree to first (a sale that opens a short,
    /dump of what a spread's leg holds). Nothing was changed. The transport shows the text of
    `key` with Confirm / Cancel and, on Confirm, repeats the call allowing `consent` (pieces):
    if things got worse meanwhile, the engine asks again."""

    def __init__(self, key: str, *, consent: int, **params: object) -> None:
        super().__init__(key, **params)
        self.consent = consent


@dataclass(frozen=True, slots=True)
class JobInfo:
    job_id: str
    kind: JobKind
    title: str
    executed: int
    amount: int
    average_price: Decimal | None
    state: Literal["running", "waiting", "stopping"]
    started_at: datetime
    task_id: int | None = None


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    ok: bool
    latency_ms: float | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Health:
    mode: Literal["paper", "live"]
    base: ComponentHealth
    broker: ComponentHealth
    account_id: str | None = None


@dataclass(frozen=True, slots=True)
class SellBuyOrder:
    """A parsed /sell or /buy: exactly one of `amount` (pieces) and `money` (roubles) is set."""

    direction: Direction
    ticker: str
    amount: int | None = None
    money: Decimal | None = None
    limit_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CatalogueUpdate:
    created: int
    updated: int
    deactivated: int
    unchanged: int
    details: dict[str, int] = field(default_factory=dict)


class StopsCommands(Protocol):
    """The stop-order family (bot.engine.stops.desk.StopsDesk). Plans send nothing; `run` and
    `run_cancel` start bulk jobs (ids "B1", "B2"... in /tasks; /stop stops them)."""

    async def plan_bulk(self, kind: Literal["stops", "shorts"]) -> StopPlan: ...

    async def plan_nuke(self, ticker: str, money: Decimal) -> StopPlan: ...

    async def plan_restore(self) -> StopPlan: ...

    async def plan_cancel(self) -> CancelPlan: ...

    def run(self, plan: StopPlan) -> JobInfo: ...

    async def run_cancel(self) -> JobInfo:
        """Stop every job, then cancel every order and stop order (works without the Base)."""
        ...

    async def stash(self) -> StashResult: ...


class Trader(Protocol):
    """What the Telegram layer and the console may ask of the engine."""

    async def health(self) -> Health: ...

    def jobs(self) -> list[JobInfo]: ...

    async def stop(self, job_id: str | None = None) -> list[JobInfo]:
        """Stop one job or all; their live orders are cancelled and progress saved. Works with
        the Base down. Raises UserError('job_not_found') for an unknown id."""
        ...

    async def start_sellbuy_all(self) -> list[JobInfo]:
        """Run every active sell/buy task from the Base (refuses when the Base is down)."""
        ...

    async def start_sellbuy(self, order: SellBuyOrder, *, allow_short: int = 0) -> JobInfo:
        """Create a sell/buy task in the Base and run it (UserError on bad input). A sale that
        would open or increase a short by more than `allow_short` pieces raises
        NeedsConfirmation (consent: the short's pieces)."""
        ...

    async def start_dump(self, ticker: str, *, allow_spread_legs: int = 0) -> JobInfo:
        """Close the position in `ticker` with the sell/buy mechanism. When more than
        `allow_spread_legs` pieces of it are held by active spreads' legs, raises
        NeedsConfirmation (consent: those pieces)."""
        ...

    async def start_spreads_all(self) -> list[JobInfo]:
        """Run every active spread from the Base not already running (/spreads). Refuses with
        UserError('base_unavailable') when the Base is down and UserError('no_active_spreads')
        when it has none. Each job reports fills per leg (OrderFilled.leg, average_spread)."""
        ...

    async def spread_prices(self) -> list[SpreadQuote]:
        """/sprices: every active spread priced in both directions now (for one far lot and for
        the amount left), or when both legs open. Same refusals as start_spreads_all."""
        ...

    async def update_catalogue(self) -> CatalogueUpdate: ...

    async def scan(self, rate: Decimal | None = None) -> ScanReport:
        """/scan: pairs whose annual return on the broker's margin beats `rate` % (None: the
        trading settings' scan rate), best first. Refuses without the Base."""
        ...

    async def dividend_scan(self, top: int = 50) -> DividendReport:
        """/dscan: the dividends futures prices imply, the `top` highest yields first."""
        ...

    async def whatif(self, spread_id: int, target: Decimal, days: int = 1) -> WhatIfResult:
        """/whatif: spread `spread_id` with `target` replayed over the last `days` recorded days
        (bot.engine.tape). UserError 'tape.*' when it cannot run."""
        ...

    @property
    def stops(self) -> StopsCommands:
        """/stops, /shorts, /nuke, /cancel, /stash, /restore."""

    @property
    def views(self) -> ViewsDesk:
        """/portfolio, /orders, /stats, /chart (bot.engine.views.desk.ViewsDesk)."""
        ...

    async def wait_idle(self) -> None:
        """Return when no job is running (console --exit-on-eof and tests)."""
        ...

    async def close(self) -> None:
        """Stop every job cleanly and release connections."""
        ...
