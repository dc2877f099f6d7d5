"""What the engine reports. The engine never formats text: each transport (Telegram, console,
tests) renders these events through `bot.texts`.

All prices and sums are Decimal; amounts are in pieces (shares or contracts) unless named lots;
times are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

JobKind = Literal["sellbuy", "spread", "stops", "shorts", "nuke", "cancel", "restore", "stash"]
Direction = Literal["buy", "sell"]


@dataclass(frozen=True, slots=True)
class Event:
    job_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class JobStarted(Event):
    kind: JobKind
    title: str  # e.g. "sell 100 SBER" or "sell SiH7/SiM7"; data, not prose
    amount: int


@dataclass(frozen=True, slots=True)
class OrderFilled(Event):
    """A fill of one order of a job. executed/amount are the job's totals after this fill."""

    ticker: str
    direction: Direction
    quantity: int
    price: Decimal
    executed: int
    amount: int
    average_price: Decimal | None
    leg: Literal["far", "near"] | None = None
    average_spread: Decimal | None = None


@dataclass(frozen=True, slots=True)
class SessionWait(Event):
    """No session for the job's instrument(s) now; it waits until `opens_at` (None = unknown)."""

    ticker: str
    opens_at: datetime | None


@dataclass(frozen=True, slots=True)
class RateLimitWait(Event):
    method: str
    seconds: float


@dataclass(frozen=True, slots=True)
class BaseUnavailable(Event):
    """The Base did not answer; the job keeps its records locally and stops placing new orders."""

    pending_records: int


@dataclass(frozen=True, slots=True)
class BaseRestored(Event):
    flushed_records: int


@dataclass(frozen=True, slots=True)
class OrderRefused(Event):
    """A risk check or the broker refused an order; `reason_key` names a text in bot.texts."""

    ticker: str
    reason_key: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Alert(Event):
    """Something the owner must look at now (e.g. a hedge that could not be completed)."""

    reason_key: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Progress(Event):
    """Free-form stage report of a bulk job (e.g. stops placed so far)."""

    done: int
    total: int
    stage_key: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class JobFinished(Event):
    kind: JobKind
    title: str
    outcome: Literal["done", "stopped", "failed"]
    executed: int
    amount: int
    average_price: Decimal | None
    reason_key: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    average_spread: Decimal | None = None


@dataclass(frozen=True, slots=True)
class BulkProgress(Event):
    """A bulk command's progress (one message, edited in place): placed or cancelled so far,
    failed, and the seconds still needed at the broker's rate."""

    kind: JobKind
    done: int
    failed: int
    total: int
    seconds_left: float


@dataclass(frozen=True, slots=True)
class BulkItemFailure:
    """One order a bulk command could not place or cancel, and why (the broker's words)."""

    ticker: str
    direction: Direction | None
    lots: int
    price: Decimal | None
    reason: str


@dataclass(frozen=True, slots=True)
class BulkFinished(Event):
    """A bulk command's summary. /cancel: `done` counts orders and stop orders cancelled,
    `orders_done`/`stops_done` each; `not_sent` = items left when the owner stopped it."""

    kind: JobKind
    outcome: Literal["done", "stopped"]
    done: int
    total: int
    failures: tuple[BulkItemFailure, ...] = ()
    not_sent: int = 0
    orders_done: int = 0
    stops_done: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class StopActivated(Event):
    """One of the account's stop orders fired: the order it became and that order's fate
    (`order_status`: new, partially_filled, filled, cancelled, rejected or unknown)."""

    ticker: str
    direction: Direction
    stop_price: Decimal | None
    lots: int
    order_status: str
    lots_executed: int = 0
    average_price: Decimal | None = None
