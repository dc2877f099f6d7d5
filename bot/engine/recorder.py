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
from bot.base_client.types import (
    FINAL_STATUSES,
    NewFill,
    NewOrder,
    OrderUpdate,
    Spread,
    parse_time,
)
from bot.engine import events, text_keys
from bot.engine.clock import Clock
from bot.engine.interface import Notifier
from bot.engine.journal import Entry, Journal

log = logging.getLogger(__name__)

# records per request to POST records/ (the Base accepts up to 500)
BATCH_SIZE = 100


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
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._base = base
        self._journal = journal
        self._notifier = notifier
        self._clock = clock
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._probe_interval = probe_interval
        # records sent per request (POST records/); 1 = one request per record (the single
        # endpoints), also the fallback for a Base without the batch endpoint
        self._batch_size = max(1, batch_size)
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._up = asyncio.Event()
        self._up.set()
        self._down_since: datetime | None = None
        self._flushed_while_down = 0
        self._task: asyncio.Task[None] | None = None
        # set (and replaced) each time an entry leaves the journal
        self._progress = asyncio.Event()
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

    def mark(self) -> int:
        """The journal's position now: what has been journaled up to this moment."""
        return self._journal.last_seq

    async def wait_flushed_through(self, mark: int) -> None:
        """Return once every record journaled up to `mark` (see `mark`) has reached the Base
        (or been parked); records journaled later do not hold it up."""
        while not self._journal.flushed_through(mark):
            await self._progress.wait()

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

    def set_task_active(
        self, kind: str, task_id: int, active: bool, reason: str | None = None
    ) -> None:
        """Switch a task on or off in the Base; `reason` (switching off) shows in the admin."""
        data: dict[str, Any] = {"kind": kind, "task_id": task_id, "active": active}
        if reason:
            data["reason"] = reason
        self._add("task_active", data)

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
                if self._batch_size > 1:
                    outcome = await self._flush_batch(entries[: self._batch_size])
                    if outcome == "sent":
                        delay = self._retry_initial
                        continue
                    if outcome == "retry":
                        await self._clock.sleep(delay)
                        delay = min(delay * 2, self._retry_max)
                        continue
                    # "single": a Base without the batch endpoint; one record at a time
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
                    await self._park(entry, exc)
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

    async def _flush_batch(self, entries: list[Entry]) -> str:
        """Send up to `batch_size` records in one request. Returns "sent" (every record was
        answered: acked or parked), "retry" (the Base is unusable now; everything unanswered
        stays journaled) or "single" (no batch endpoint: fall back to one record a request)."""
        to_send: list[Entry] = []
        for entry in entries:
            owner = _order_of(entry)
            if owner is not None and owner in self._parked_orders:
                if to_send:  # keep the journal's order: send what is before it first
                    break
                # its order was parked: the Base cannot take this either; keep it with it
                await self._park(
                    entry, BaseRejected(400, "order_parked", f"order {owner} was refused")
                )
                return "sent"
            to_send.append(entry)
        try:
            results = await self._base.record_batch([(e.kind, e.data) for e in to_send])
        except BaseRejected as exc:
            if exc.status in (404, 405):
                log.warning("the Base has no batch endpoint (%s); one record a request", exc)
                self._batch_size = 1
                return "single"
            if exc.status == 400:  # the batch as a whole refused: find the culprit one by one
                log.warning("Base refused a batch (%s); sending one record", exc)
                return "single"
            if exc.status in _UNAVAILABLE_STATUSES or exc.status >= 500:
                if not self.is_down:
                    log.warning("Base refuses the batch (%s); keeping records locally", exc)
                    self._go_down()
                return "retry"
            raise
        except BaseUnavailable as exc:
            if not self.is_down:
                log.warning("Base unavailable (%s); keeping records locally", exc)
                self._go_down()
            return "retry"
        except Exception:  # a bug must not stop the flusher; the entries stay journaled
            log.exception("unexpected error flushing a batch of %d records", len(to_send))
            return "retry"
        acked: list[int] = []
        stopped = False
        for entry, (status, answer) in zip(to_send, results, strict=True):
            if 200 <= status < 300:
                acked.append(entry.seq)
                continue
            if status in _UNAVAILABLE_STATUSES or status >= 500 or status == 0:
                stopped = True  # this one and the rest stay journaled (all idempotent)
                break
            self._journal.ack_many(acked)  # keep the order: what came before is done
            self._count_sent(len(acked))
            acked = []
            await self._park(
                entry,
                BaseRejected(
                    status, str(answer.get("code", status)), str(answer.get("message", ""))
                ),
            )
        self._journal.ack_many(acked)
        self._count_sent(len(acked))
        if stopped:
            if not self.is_down:
                log.warning("Base could not record part of a batch; keeping it locally")
                self._go_down()
            return "retry"
        return "sent"

    async def _stale_update(self, entry: Entry, exc: BaseRejected) -> bool:
        """A 409 for a status update the Base has already gone past: the order is final there,
        with the same broker id (e.g. "sent" journaled after the fill, when a lost PostOrder
        answer came back late). Nothing to keep or tell the owner about."""
        if entry.kind != "update" or exc.status != 409:
            return False
        if entry.data.get("status") in FINAL_STATUSES:
            return False
        try:
            stored = await self._base.order(str(entry.data.get("client_order_id")))
        except (BaseUnavailable, BaseRejected):
            return False
        if stored is None or not stored.is_final:
            return False
        broker_id = entry.data.get("broker_order_id")
        if broker_id and stored.broker_order_id and broker_id != stored.broker_order_id:
            return False
        log.info(
            "stale %s update of order %s: the Base has it %s already",
            entry.data.get("status"),
            stored.client_order_id,
            stored.status,
        )
        return True

    async def _park(self, entry: Entry, exc: BaseRejected) -> None:
        if await self._stale_update(entry, exc):
            self._journal.ack(entry.seq)
            self._after_sent()
            return
        log.error("Base refused %s record %s: %s", entry.kind, entry.data, exc)
        owner = _order_of(entry)
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

    def _count_sent(self, count: int) -> None:
        if count:
            self._after_sent(count)

    def _after_sent(self, count: int = 1) -> None:
        self._progress.set()
        self._progress = asyncio.Event()
        if self.is_down:
            self._flushed_while_down += count
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
        await send_record(self._base, entry.kind, entry.data)


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
        opposite_price=_opt_decimal(data.get("opposite_price")),
        stop_price=None if stop_price is None else Decimal(stop_price),
        expire_at=None if data.get("expire_at") is None else parse_time(data["expire_at"]),
        bulk_command=data.get("bulk_command"),
    )


def _opt_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def send_record(base: BaseApi, kind: str, data: dict[str, Any]) -> None:
    """One journal record through its own endpoint."""
    if kind == "order":
        await base.record_order(new_order_from_json(data))
    elif kind == "update":
        await base.update_order(
            OrderUpdate(
                client_order_id=data["client_order_id"],
                status=data["status"],
                broker_order_id=data.get("broker_order_id"),
                lots_executed=data.get("lots_executed"),
                message=data.get("message"),
                commission=_opt_decimal(data.get("commission")),
            )
        )
    elif kind == "fill":
        await base.record_fill(
            NewFill(
                order=data["order"],
                trade_id=data["trade_id"],
                quantity=int(data["quantity"]),
                price=Decimal(data["price"]),
                executed_at=parse_time(data["executed_at"]),
            )
        )
    elif kind == "task_active":
        task_id, active, reason = int(data["task_id"]), bool(data["active"]), data.get("reason")
        if data["kind"] == "sellbuy":
            await base.set_sellbuy_active(task_id, active, reason)
        elif data["kind"] == "spread":
            await base.set_spread_active(task_id, active, reason)
    else:  # pragma: no cover - journal written by this module only
        log.error("unknown journal entry kind %s", kind)
