"""Writes the engine's records to the Base through the local journal, off the hot path.

`record_order`, `update_order`, `record_fill` and `set_task_active` journal the record (durably)
and return at once; one flusher task sends the journal to the Base in order (an order before its
fills and updates). Every write is idempotent at the Base (orders by client UUID, fills by
(order, trade id)), so sending an entry twice after a crash is harmless.

When the Base stops answering the recorder reports `BaseUnavailable` (once), keeps retrying with
back-off, and reports `BaseRestored` when everything owed has been flushed. While it is down,
`is_down` is true: jobs must not place new orders and commands that start trading are refused.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.base_client.api import BaseApi
from bot.base_client.errors import BaseRejected, BaseUnavailable
from bot.base_client.types import NewFill, NewOrder, OrderUpdate, Spread, parse_time
from bot.engine import events, text_keys
from bot.engine.clock import Clock
from bot.engine.interface import Notifier
from bot.engine.journal import Entry, Journal

log = logging.getLogger(__name__)


class BaseRecorder:
    def __init__(
        self,
        base: BaseApi,
        journal: Journal,
        notifier: Notifier,
        clock: Clock,
        *,
        retry_initial: float = 0.5,
        retry_max: float = 10.0,
        probe_interval: float | None = None,
    ) -> None:
        self._base = base
        self._journal = journal
        self._notifier = notifier
        self._clock = clock
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._probe_interval = probe_interval
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._up = asyncio.Event()
        self._up.set()
        self._down_since: datetime | None = None
        self._flushed_while_down = 0
        self._task: asyncio.Task[None] | None = None
        # client ids of orders the Base refused: their updates and fills are parked with them
        self._parked_orders: set[str] = {
            str(item["data"].get("client_order_id"))
            for item in journal.parked()
            if item.get("kind") == "order"
        }
        if len(journal):
            self._wakeup.set()
        else:
            self._idle.set()

    # -- state ----------------------------------------------------------------------------

    @property
    def is_down(self) -> bool:
        return not self._up.is_set()

    @property
    def pending(self) -> int:
        return len(self._journal)

    async def wait_up(self) -> None:
        await self._up.wait()

    async def wait_flushed(self) -> None:
        """Return when every journaled record has reached the Base."""
        await self._idle.wait()

    async def read_sellbuy_progress(
        self, task_id: int, within: float
    ) -> tuple[int, Decimal | None] | None:
        """Once everything journaled has reached the Base: the sell/buy task's executed pieces
        and average price (sums over its fills, each counted once). None when the Base cannot
        say within `within` seconds."""
        try:
            async with asyncio.timeout(within):
                await self.wait_flushed()
            task = await self._base.sellbuy(task_id)
        except (TimeoutError, BaseUnavailable, BaseRejected) as exc:
            log.warning("progress of sell/buy task %s: %s", task_id, exc)
            return None
        return task.executed, task.average_price

    async def read_spread(self, spread_id: int, within: float) -> Spread | None:
        """Once everything journaled has reached the Base: the active spread as the Base now
        has it (per-leg totals are sums over its fills). None when it cannot say in time."""
        try:
            async with asyncio.timeout(within):
                await self.wait_flushed()
            spread = await self._base.spread(spread_id)
        except (TimeoutError, BaseUnavailable, BaseRejected) as exc:
            log.warning("spread %s from the Base: %s", spread_id, exc)
            return None
        return spread if spread is not None and spread.active else None

    def mark_down(self) -> None:
        """A read elsewhere found the Base unreachable: report it and let the flusher probe."""
        if not self.is_down:
            self._go_down()
            self._wakeup.set()

    # -- writes (journal first, then the Base in the background) ----------------------------

    def record_order(self, order: NewOrder) -> None:
        self._add("order", order.to_json())

    def update_order(self, update: OrderUpdate) -> None:
        self._add("update", {"client_order_id": update.client_order_id, **update.to_json()})

    def record_fill(self, fill: NewFill) -> None:
        self._add("fill", fill.to_json())

    def set_task_active(self, kind: str, task_id: int, active: bool) -> None:
        self._add("task_active", {"kind": kind, "task_id": task_id, "active": active})

    def _add(self, kind: Any, data: dict[str, Any]) -> None:
        self._journal.append(kind, data)
        self._idle.clear()
        self._wakeup.set()

    # -- flusher --------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="base-recorder")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5.0)
            self._task = None

    async def _run(self) -> None:
        delay = self._retry_initial
        while True:
            if self._probe_interval is None:
                await self._wakeup.wait()
            else:
                waiter = asyncio.ensure_future(self._wakeup.wait())
                try:
                    done, _ = await asyncio.wait({waiter}, timeout=self._probe_interval)
                finally:
                    waiter.cancel()
                if not done:
                    # idle: make sure the Base is still there, so jobs stop placing new orders
                    # as soon as it goes away rather than at their next record
                    if not await self._probe():
                        self._go_down()
                        self._wakeup.set()
                    continue
            self._wakeup.clear()
            while True:
                entries = self._journal.pending()
                if not entries:
                    if self.is_down:
                        if await self._probe():
                            self._go_up()
                        else:
                            await self._clock.sleep(delay)
                            delay = min(delay * 2, self._retry_max)
                            continue
                    self._idle.set()
                    break
                entry = entries[0]
                owner = _order_of(entry)
                try:
                    if owner is not None and owner in self._parked_orders:
                        # its order was parked: the Base cannot take this either; keep it with it
                        raise BaseRejected(400, "order_parked", f"order {owner} was refused")
                    await self._send(entry)
                except BaseRejected as exc:
                    if exc.status in _UNAVAILABLE_STATUSES or exc.status >= 500:
                        # not the entry's fault (token rotated, proxy, throttled): the Base is
                        # unusable for now; keep everything and retry, as for an outage
                        if not self.is_down:
                            log.warning("Base refuses service (%s); keeping records locally", exc)
                            self._go_down()
                        await self._clock.sleep(delay)
                        delay = min(delay * 2, self._retry_max)
                        continue
                    log.error("Base refused %s record %s: %s", entry.kind, entry.data, exc)
                    if entry.kind == "order" and owner is not None:
                        self._parked_orders.add(owner)
                    self._journal.park(entry.seq, str(exc))
                    await self._notify(
                        events.Alert(
                            job_id=None,
                            at=self._clock.now(),
                            reason_key=text_keys.BASE_RECORD_REJECTED,
                            params={"kind": entry.kind, "message": exc.message},
                        )
                    )
                    self._after_sent()
                    delay = self._retry_initial
                    continue
                except BaseUnavailable as exc:
                    if not self.is_down:
                        log.warning("Base unavailable (%s); keeping records locally", exc)
                        self._go_down()
                    await self._clock.sleep(delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                except Exception:  # a bug must not stop the flusher; the entry stays journaled
                    log.exception("unexpected error flushing %s record", entry.kind)
                    await self._clock.sleep(delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                self._journal.ack(entry.seq)
                delay = self._retry_initial
                self._after_sent()

    def _after_sent(self) -> None:
        if self.is_down:
            self._flushed_while_down += 1
            if not len(self._journal):
                self._go_up()

    async def _probe(self) -> bool:
        try:
            health = await self._base.health()
        except BaseUnavailable:
            return False
        except Exception:
            log.exception("Base health probe failed")
            return False
        return health.ok

    def _go_down(self) -> None:
        self._up.clear()
        self._down_since = self._clock.now()
        self._flushed_while_down = 0
        self._spawn_notify(
            events.BaseUnavailable(
                job_id=None, at=self._clock.now(), pending_records=len(self._journal)
            )
        )

    def _go_up(self) -> None:
        flushed = self._flushed_while_down
        self._up.set()
        self._down_since = None
        self._flushed_while_down = 0
        self._spawn_notify(
            events.BaseRestored(job_id=None, at=self._clock.now(), flushed_records=flushed)
        )

    def _spawn_notify(self, event: events.Event) -> None:
        asyncio.get_running_loop().create_task(self._notify(event))

    async def _notify(self, event: events.Event) -> None:
        try:
            await self._notifier.notify(event)
        except Exception:
            log.exception("notifier failed")

    async def _send(self, entry: Entry) -> None:
        data = entry.data
        if entry.kind == "order":
            await self._base.record_order(new_order_from_json(data))
        elif entry.kind == "update":
            await self._base.update_order(
                OrderUpdate(
                    client_order_id=data["client_order_id"],
                    status=data["status"],
                    broker_order_id=data.get("broker_order_id"),
                    lots_executed=data.get("lots_executed"),
                    message=data.get("message"),
                )
            )
        elif entry.kind == "fill":
            await self._base.record_fill(
                NewFill(
                    order=data["order"],
                    trade_id=data["trade_id"],
                    quantity=int(data["quantity"]),
                    price=Decimal(data["price"]),
                    executed_at=parse_time(data["executed_at"]),
                )
            )
        elif entry.kind == "task_active":
            if data["kind"] == "sellbuy":
                await self._base.set_sellbuy_active(int(data["task_id"]), bool(data["active"]))
            elif data["kind"] == "spread":
                await self._base.set_spread_active(int(data["task_id"]), bool(data["active"]))
        else:  # pragma: no cover - journal written by this module only
            log.error("unknown journal entry kind %s", entry.kind)


# a 4xx that says the Base cannot serve us now, not that the entry is wrong: keep and retry
_UNAVAILABLE_STATUSES = frozenset({401, 403, 407, 408, 425, 429})


def _order_of(entry: Entry) -> str | None:
    """The client order id an entry belongs to (None for a task switch)."""
    if entry.kind == "fill":
        return str(entry.data.get("order"))
    if entry.kind in ("order", "update"):
        return str(entry.data.get("client_order_id"))
    return None


def new_order_from_json(data: dict[str, Any]) -> NewOrder:
    price = data.get("price")
    stop_price = data.get("stop_price")
    return NewOrder(
        client_order_id=data["client_order_id"],
        instrument=int(data["instrument"]),
        direction=data["direction"],
        order_type=data.get("order_type", "limit"),
        price=None if price is None else Decimal(price),
        lots=int(data["lots"]),
        status=data.get("status", "prepared"),
        task_kind=data.get("task_kind"),
        task_id=data.get("task_id"),
        leg=data.get("leg"),
        stop_price=None if stop_price is None else Decimal(stop_price),
        expire_at=None if data.get("expire_at") is None else parse_time(data["expire_at"]),
        bulk_command=data.get("bulk_command"),
    )
