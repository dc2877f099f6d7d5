"""The order lifecycle.

created (journaled as "prepared" before it is sent) -> sent -> new | partially_filled | filled |
cancelled | rejected, and unknown when a request's answer was lost. An unknown order is resolved
by asking the broker for it by our request id (GetOrderState by request id, then GetOrders);
if the broker has never seen it, the SAME request (same idempotency key) is sent again, so a lost
answer can never produce two orders. Fills are recorded once each (per broker trade id).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from bot.base_client.types import (
    FINAL_STATUSES,
    Instrument,
    NewFill,
    NewOrder,
    OrderRecord,
    OrderUpdate,
)
from bot.base_client.types import OrderStatus as RecordStatus
from bot.broker import errors as broker_errors
from bot.broker.types import OrderState, OrderStatus, PostOrderResult
from bot.engine import events, text_keys
from bot.engine.broker_port import BrokerPort
from bot.engine.clock import Clock
from bot.engine.events import Direction
from bot.engine.interface import Notifier
from bot.engine.options import EngineOptions
from bot.engine.recorder import BaseRecorder

log = logging.getLogger(__name__)

_STATUS: dict[OrderStatus, RecordStatus] = {
    OrderStatus.NEW: "new",
    OrderStatus.PARTIALLY_FILLED: "partially_filled",
    OrderStatus.FILL: "filled",
    OrderStatus.CANCELLED: "cancelled",
    OrderStatus.REJECTED: "rejected",
    OrderStatus.UNSPECIFIED: "sent",
}

# API codes meaning "not now: the session is closed / trading is off for the instrument"
SESSION_CODES = frozenset({"30097", "30092", "30098", "30079"})


@dataclass(frozen=True, slots=True)
class Fill:
    client_order_id: str
    trade_id: str
    lots: int
    pieces: int
    price: Decimal
    at: datetime


@dataclass(eq=False)
class TrackedOrder:
    client_order_id: str
    instrument: Instrument
    direction: Direction
    price: Decimal
    lots: int
    task_kind: str | None = None
    task_id: int | None = None
    broker_order_id: str | None = None
    status: RecordStatus = "prepared"
    lots_executed: int = 0
    message: str = ""
    seen_trades: set[str] = field(default_factory=set)
    lots_recorded: int = 0  # lots covered by recorded fills
    commission: Decimal | None = None  # RUB charged so far (the broker's executedCommission)

    @classmethod
    def from_record(
        cls, record: OrderRecord, instrument: Instrument, *, lots_executed: int = 0
    ) -> TrackedOrder:
        """An order the Base holds (after a restart), to be asked of the broker. No trade of it
        is counted as seen: its fills are learnt again (idempotent by trade id)."""
        return cls(
            client_order_id=record.client_order_id,
            instrument=instrument,
            direction=record.direction,
            price=record.price or Decimal(0),
            lots=record.lots,
            task_kind=record.task_kind,
            task_id=record.task_id,
            broker_order_id=record.broker_order_id,
            status=record.status,
            lots_executed=lots_executed,
        )

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def lots_left(self) -> int:
        """Lots that may still fill (0 once final)."""
        return 0 if self.is_final else max(self.lots - self.lots_executed, 0)


class OrderRefusedByBroker(Exception):
    """The broker rejected the order: nothing is live. `session` is true when the reason is a
    closed session (try again later)."""

    def __init__(self, error: broker_errors.BrokerError, order: TrackedOrder) -> None:
        super().__init__(str(error))
        self.error = error
        self.order = order
        self.session = (error.api_code or "") in SESSION_CODES

    def params(self) -> dict[str, str]:
        return {
            "ticker": self.order.instrument.ticker,
            "message": self.error.user_message(),
            "code": self.error.api_code or "",
        }


class OrderNotSent(Exception):
    """The job stopped while an order's outcome was being resolved, and the broker had never
    seen it: it was not placed (and is recorded as such)."""


class OrderOutcomeLost(Exception):
    """The job stopped while an order's outcome could not be learnt (every question to the
    broker failed). The order may be live: it stays `unknown` (in the Base too), a cancel by
    request id was attempted, and the next start resolves it. Never "not sent"."""

    def __init__(self, order: TrackedOrder) -> None:
        super().__init__(order.client_order_id)
        self.order = order


class _Unreachable:
    """`_resolve` could not get an answer (every attempt errored): the outcome is unknown."""


UNREACHABLE = _Unreachable()
NOT_FOUND = None  # the broker says it has never seen the request id: it was not placed
Resolution = OrderState | None | _Unreachable
UNKNOWN_ROUNDS = 3  # rounds of `_resolve` (with back-off) before the desk hands the order back


class CancelNotConfirmed(Exception):
    """The broker did not confirm a cancel: the order may still be live."""


class OrderDesk:
    """Places, follows and cancels orders for jobs; shared by all jobs of an engine."""

    def __init__(
        self,
        broker: BrokerPort,
        recorder: BaseRecorder,
        notifier: Notifier,
        clock: Clock,
        options: EngineOptions,
        *,
        account_id: str,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self._broker = broker
        self._recorder = recorder
        self._notifier = notifier
        self._clock = clock
        self._options = options
        self._account_id = account_id
        self._new_id = new_id or (lambda: str(uuid.uuid4()))

    # -- placing --------------------------------------------------------------------------

    async def place(
        self,
        *,
        instrument: Instrument,
        direction: Direction,
        price: Decimal,
        lots: int,
        task_kind: str | None,
        task_id: int | None,
        job_id: str | None = None,
        stop: asyncio.Event | None = None,
        leg: Literal["far", "near"] | None = None,
        client_order_id: str | None = None,
        opposite_price: Decimal | None = None,
    ) -> tuple[TrackedOrder, list[Fill]]:
        """Record (journal) then send one limit order. Returns the order and any fills it got at
        once. Raises OrderRefusedByBroker when the broker rejected it (nothing live). `leg`
        names a spread order's leg in the Base record. `client_order_id` (the idempotency key)
        is the caller's when it must know the id before the call returns; a new one otherwise.
        `opposite_price` (best ask buying, best bid selling, when the order is placed) goes into
        the record: /stats measures the price improvement against it."""
        order = TrackedOrder(
            client_order_id=client_order_id or self._new_id(),
            instrument=instrument,
            direction=direction,
            price=price,
            lots=lots,
            task_kind=task_kind,
            task_id=task_id,
        )
        self._recorder.record_order(
            NewOrder(
                client_order_id=order.client_order_id,
                instrument=instrument.id,
                direction=direction,
                order_type="limit",
                price=price,
                lots=lots,
                status="prepared",
                task_kind=task_kind,  # type: ignore[arg-type]
                task_id=task_id,
                leg=leg,
                opposite_price=opposite_price,
            )
        )
        fills = await self._send(order, job_id, stop)
        return order, fills

    async def _send(
        self, order: TrackedOrder, job_id: str | None, stop: asyncio.Event | None
    ) -> list[Fill]:
        """Send (or re-send with the same id) until the outcome is known."""
        while True:
            try:
                result = await self._broker.post_limit_order(
                    account_id=self._account_id,
                    instrument_id=order.instrument.uid or order.instrument.figi,
                    direction=order.direction,
                    lots=order.lots,
                    price=order.price,
                    request_id=order.client_order_id,
                )
            except broker_errors.OrderRejected as exc:
                self._set_status(order, "rejected", message=exc.user_message())
                raise OrderRefusedByBroker(exc, order) from exc
            except broker_errors.BrokerConnectionError as exc:
                if exc.method not in (None, "", "PostOrder"):
                    # a follow-up read failed (e.g. resolving a duplicate id): the order request
                    # itself may have been placed, so its outcome is unknown
                    state = await self._unknown_outcome(order, exc, job_id, stop)
                    if state is None:
                        continue
                    return self._apply(order, state)
                # the transport raises this for PostOrder only when no attempt left the host:
                # nothing reached the broker, the order was simply not sent
                self._set_status(order, "rejected", message=exc.user_message())
                raise OrderRefusedByBroker(exc, order) from exc
            except broker_errors.BrokerError as exc:
                # the request may have reached the broker: find out, never guess
                state = await self._unknown_outcome(order, exc, job_id, stop)
                if state is None:
                    continue  # never seen: send the same request again (same idempotency key)
                return self._apply(order, state)
            return await self._accepted(order, result)

    async def _unknown_outcome(
        self,
        order: TrackedOrder,
        exc: broker_errors.BrokerError,
        job_id: str | None,
        stop: asyncio.Event | None,
    ) -> OrderState | None:
        """Record the order `unknown`, then learn its fate by request id: its state, or None
        when the broker definitely never saw it (send it again with the same key). When no
        answer can be had (every question failed, a few rounds with back-off) — or at once when
        stopping — raise OrderOutcomeLost: the order stays `unknown` and tracked, never final;
        the caller follows it (by request id) until the broker answers."""
        log.warning("order %s outcome unknown: %s", order.client_order_id, exc)
        self._set_status(order, "unknown", message=exc.user_message())
        await self._notify(
            events.Alert(
                job_id=job_id,
                at=self._clock.now(),
                reason_key=text_keys.ORDER_OUTCOME_UNKNOWN,
                params={
                    "ticker": order.instrument.ticker,
                    "client_order_id": order.client_order_id,
                },
            )
        )
        delay = self._options.resolve_interval
        for _round in range(UNKNOWN_ROUNDS):
            found = await self._resolve(order)
            if not isinstance(found, _Unreachable):
                if found is None and stop is not None and stop.is_set():
                    self.mark_not_sent(order)
                    raise OrderNotSent(order.client_order_id) from exc
                return found
            if stop is not None and stop.is_set():
                break
            if stop is None:
                await self._clock.sleep(delay)
            else:
                await wait_or_stop(stop, delay, self._clock)
            delay *= 2
        if stop is not None and stop.is_set():
            await self._cancel_by_request_id(order)
        raise OrderOutcomeLost(order) from exc

    async def _cancel_by_request_id(self, order: TrackedOrder) -> None:
        """Best effort while stopping with an unresolved order: CancelOrder with orderIdType
        REQUEST. The order stays `unknown` either way."""
        try:
            await self._broker.cancel_order_by_request_id(
                account_id=self._account_id, request_id=order.client_order_id
            )
        except broker_errors.BrokerError as exc:
            log.warning("cancel %s by request id: %s", order.client_order_id, exc)

    async def _accepted(self, order: TrackedOrder, result: PostOrderResult) -> list[Fill]:
        order.broker_order_id = result.order_id or order.broker_order_id
        status = _STATUS.get(result.status, "sent")
        if status == "rejected":
            self._set_status(order, "rejected", message=result.message)
            error = broker_errors.OrderRejected(result.message or "rejected")
            raise OrderRefusedByBroker(error, order)
        # accepted: the order is tracked from now on, whatever the follow-up read does
        now_status: RecordStatus = "sent" if status in FINAL_STATUSES else status
        self._set_status(order, now_status, lots_executed=result.lots_executed)
        if result.lots_executed > order.lots_recorded or status in FINAL_STATUSES:
            # fills came at once: read them (with trade ids and prices) from the order state
            try:
                return await self.sync(order)
            except broker_errors.BrokerError as exc:
                # the order is live and known by its broker id: polling picks the fills up
                log.warning("order %s: state after placing: %s", order.client_order_id, exc)
        return []

    async def _resolve(self, order: TrackedOrder) -> Resolution:
        """The order's state by request id; NOT_FOUND (None) when the broker twice said it has
        never seen it; UNREACHABLE when no definitive answer came (the outcome is unknown)."""
        not_found = 0
        for _attempt in range(max(self._options.resolve_attempts, 1)):
            try:
                state = await self._broker.resolve_order(
                    account_id=self._account_id, request_id=order.client_order_id
                )
            except broker_errors.BrokerError as exc:
                log.warning("resolving %s: %s", order.client_order_id, exc)
            else:
                if state is not None:
                    return state
                not_found += 1
                if not_found >= 2:  # asked twice, never seen: it did not arrive
                    return NOT_FOUND
            await self._clock.sleep(self._options.resolve_interval)
        return NOT_FOUND if not_found else UNREACHABLE

    # -- following ------------------------------------------------------------------------

    async def sync(self, order: TrackedOrder) -> list[Fill]:
        """Ask the broker for the order's state; record new fills and status changes."""
        if order.broker_order_id:
            state = await self._broker.order_state(
                account_id=self._account_id, order_id=order.broker_order_id
            )
        else:
            found = await self._broker.resolve_order(
                account_id=self._account_id, request_id=order.client_order_id
            )
            if found is None:
                return []
            state = found
        return self._apply(order, state)

    def adopt(self, order: TrackedOrder, state: OrderState) -> list[Fill]:
        """Apply a state learnt elsewhere (start-up reconciliation, order stream)."""
        return self._apply(order, state)

    def _apply(self, order: TrackedOrder, state: OrderState) -> list[Fill]:
        if state.order_id:
            order.broker_order_id = state.order_id
        fills: list[Fill] = []
        now = self._clock.now()
        lot = order.instrument.lot
        for trade in state.trades:
            if trade.trade_id in order.seen_trades or trade.quantity <= 0:
                continue
            if any(f.trade_id == trade.trade_id for f in fills):
                continue
            fills.append(
                Fill(
                    client_order_id=order.client_order_id,
                    trade_id=trade.trade_id,
                    lots=trade.quantity,
                    pieces=trade.quantity * lot,
                    price=trade.price,
                    at=trade.time or now,
                )
            )
        missing = state.lots_executed - order.lots_recorded - sum(f.lots for f in fills)
        if missing > 0 and state.is_final:
            # a finished order whose trade details are missing (or short): record the rest as one
            # fill keyed by the final executed lots, so asking again never counts it twice. (While
            # the order lives, trade details may still arrive: wait for them.)
            price = _average_price(state, lot, order.price) or order.price
            trade_id = f"{state.order_id or order.client_order_id}:lots:{state.lots_executed}"
            if trade_id not in order.seen_trades:
                fills.append(
                    Fill(
                        client_order_id=order.client_order_id,
                        trade_id=trade_id,
                        lots=missing,
                        pieces=missing * lot,
                        price=price,
                        at=now,
                    )
                )
        for fill in fills:
            # journaled first: a journal write error leaves the trade unseen, so the next
            # state read records it (never lost, never counted twice)
            self._recorder.record_fill(
                NewFill(
                    order=fill.client_order_id,
                    trade_id=fill.trade_id,
                    quantity=fill.pieces,
                    price=fill.price,
                    executed_at=fill.at,
                )
            )
            order.seen_trades.add(fill.trade_id)
            order.lots_recorded += fill.lots
        status = _STATUS.get(state.status, order.status)
        if status == "sent" and order.status not in ("prepared", "unknown"):
            status = order.status
        if status == "new" and order.status == "partially_filled":
            status = order.status  # a stale (pushed) state: never step back
        lots = max(state.lots_executed, order.lots_executed)
        charged = state.executed_commission
        commission = charged.amount if charged is not None and charged.amount > 0 else None
        self._set_status(order, status, lots_executed=lots, commission=commission)
        return fills

    def mark_unknown(self, order: TrackedOrder, message: str) -> None:
        """The broker could not be asked about a recorded order: it may be live. It stays
        open (counted as in flight) until the broker answers; never final."""
        if not order.is_final:
            self._set_status(order, "unknown", message=message)

    def mark_not_sent(self, order: TrackedOrder) -> None:
        """A recorded order the broker has never seen (asked by request id): it was not sent."""
        self._set_status(order, "cancelled", message="not sent")

    # -- cancelling -----------------------------------------------------------------------

    async def cancel(self, order: TrackedOrder, *, job_id: str | None = None) -> list[Fill]:
        """Cancel and wait until the broker confirms the order is final. Returns fills that
        happened meanwhile. Raises CancelNotConfirmed if it cannot be confirmed."""
        if order.is_final:
            return []
        fills: list[Fill] = []
        if order.broker_order_id is None:
            try:
                fills += await self.sync(order)  # it may have been found by now
            except broker_errors.BrokerError:
                # its fate is still unknown: cancel it by our request id where the broker port
                # can; it stays unknown (resolved at the next read or start), never final
                await self._cancel_by_request_id(order)
                raise
            if order.broker_order_id is None:
                # the broker has never seen it: nothing to cancel
                self._set_status(order, "cancelled", message="not placed")
                return fills
        deadline_attempts = 3
        last_error = ""
        for _attempt in range(deadline_attempts):
            try:
                await self._broker.cancel_order(
                    account_id=self._account_id, order_id=order.broker_order_id or ""
                )
            except (broker_errors.NotFound, broker_errors.InvalidArgument) as exc:
                # already filled or cancelled (e.g. 30059): the state will say
                last_error = exc.user_message()
            except broker_errors.BrokerError as exc:
                last_error = exc.user_message()
                log.warning("cancel %s: %s", order.client_order_id, exc)
            waited = 0.0
            while waited <= self._options.cancel_confirm_timeout:
                try:
                    fills += await self.sync(order)
                except broker_errors.BrokerError as exc:
                    last_error = exc.user_message()
                if order.is_final:
                    return fills
                await self._clock.sleep(self._options.poll_interval)
                waited += self._options.poll_interval
        await self._notify(
            events.Alert(
                job_id=job_id,
                at=self._clock.now(),
                reason_key=text_keys.CANCEL_FAILED,
                params={
                    "ticker": order.instrument.ticker,
                    "client_order_id": order.client_order_id,
                    "message": last_error,
                },
            )
        )
        raise CancelNotConfirmed(order.client_order_id)

    # -- helpers --------------------------------------------------------------------------

    def _set_status(
        self,
        order: TrackedOrder,
        status: RecordStatus,
        *,
        lots_executed: int | None = None,
        message: str | None = None,
        commission: Decimal | None = None,
    ) -> None:
        if order.is_final and status != order.status:
            return  # a final status never goes back
        changed = status != order.status
        if commission is not None and commission != order.commission:
            order.commission = commission
            changed = True
        if lots_executed is not None and lots_executed != order.lots_executed:
            order.lots_executed = lots_executed
            changed = True
        if message is not None and message != order.message:
            order.message = message
            changed = True
        if not changed:
            return
        order.status = status
        self._recorder.update_order(
            OrderUpdate(
                client_order_id=order.client_order_id,
                status=status,
                broker_order_id=order.broker_order_id,
                # the Base counts executed lots only as far as recorded fills cover them, so
                # that after a restart its lots_executed never claims fills it does not hold
                lots_executed=min(order.lots_executed, order.lots_recorded),
                message=message,
                commission=order.commission,
            )
        )

    async def _notify(self, event: events.Event) -> None:
        try:
            await self._notifier.notify(event)
        except Exception:
            log.exception("notifier failed")


def _average_price(state: OrderState, lot: int, reference: Decimal) -> Decimal | None:
    """Average fill price per piece from an order state without trade details.

    averagePositionPrice is per piece. executedOrderPrice is read two ways: the simulator (and
    what the broker is reported to send) gives the average price of one instrument, while the
    API reference calls it "the average price times the number of lots". Of the per-piece
    readings (as is, per lot, per piece of the whole order) the one nearest the order's own
    limit price is taken: a limit order fills at or near its limit, and the readings differ by
    a factor of the lots traded."""
    if state.average_position_price is not None and state.average_position_price.amount:
        return state.average_position_price.amount
    executed = state.executed_order_price
    if executed is None or not executed.amount or not state.lots_executed:
        return None
    readings = [executed.amount]
    readings.append(executed.amount / state.lots_executed)
    if lot > 1:
        readings.append(executed.amount / (state.lots_executed * lot))
    if reference <= 0:
        return readings[0]
    return min(readings, key=lambda price: abs(price - reference))


async def wait_or_stop(stop: asyncio.Event, seconds: float, clock: Clock) -> bool:
    """Sleep `seconds` on `clock` unless `stop` is set first; True when stopped."""
    if stop.is_set():
        return True
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        stopper.cancel()
    return stop.is_set()
