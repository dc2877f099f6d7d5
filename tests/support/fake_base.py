"""An in-memory Base implementing bot.base_client.api.BaseApi, for engine tests.

It enforces the same rules as the real Base (docs/base-api.md): orders are idempotent on their
client UUID (same content -> the stored order, other content -> 409), a final status never
changes, fills are unique per (order, trade_id) and never add up past the order, task progress is
the sum of its fills. `down = True` makes every call raise BaseUnavailable (an outage).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.base_client.errors import BaseRejected, BaseUnavailable
from bot.base_client.types import (
    FINAL_STATUSES,
    ActiveTasks,
    BaseHealth,
    FillRecorded,
    Instrument,
    NewFill,
    NewOrder,
    OrderRecord,
    OrderUpdate,
    SellBuyTask,
    Spread,
    SyncResult,
    TradingSettings,
)


@dataclass
class _Task:
    id: int
    instrument_id: int
    direction: str
    amount: int
    limit_price: Decimal | None
    active: bool = True
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    disabled_reason: str = ""


class FakeBase:
    def __init__(self, settings: TradingSettings | None = None) -> None:
        self.instruments_by_id: dict[int, Instrument] = {}
        self.tasks: dict[int, _Task] = {}
        self.orders: dict[str, OrderRecord] = {}
        self.fills: dict[tuple[str, str], NewFill] = {}
        self.trading_settings = settings or TradingSettings()
        self.down = False
        self.batches: list[int] = []  # the size of each POST records/ (record_batch)
        self.calls: list[str] = []
        self.synced: list[dict[str, Any]] = []
        self.changed = asyncio.Event()  # set on every successful write
        self.portfolio_snapshot: dict[str, Any] | None = None
        self.quotes: list[dict[str, Any]] = []
        self._next_instrument = 1
        self._next_task = 1

    # -- test helpers ---------------------------------------------------------------------

    def add_instrument(self, **fields: Any) -> Instrument:
        fields.setdefault("id", self._next_instrument)
        fields.setdefault("figi", f"FIGI{fields['id']}")
        fields.setdefault("uid", f"uid-{fields['ticker'].lower()}")
        fields.setdefault("class_code", "TQBR")
        fields.setdefault("name", fields["ticker"])
        fields.setdefault("kind", "share")
        fields.setdefault("lot", 1)
        fields.setdefault("min_price_increment", Decimal("0.01"))
        instrument = Instrument(**fields)
        self.instruments_by_id[instrument.id] = instrument
        self._next_instrument = max(self._next_instrument, instrument.id + 1)
        return instrument

    def add_sellbuy(
        self, instrument: Instrument, direction: str, amount: int, limit: Decimal | None = None
    ) -> int:
        task = _Task(self._next_task, instrument.id, direction, amount, limit)
        self.tasks[task.id] = task
        self._next_task += 1
        return task.id

    def task_fills(self, task_id: int) -> list[NewFill]:
        ids = {o.client_order_id for o in self.orders.values() if o.task_id == task_id}
        return [f for (order, _t), f in self.fills.items() if order in ids]

    def progress(self, task_id: int) -> tuple[int, Decimal | None]:
        fills = self.task_fills(task_id)
        executed = sum(f.quantity for f in fills)
        if not executed:
            return 0, None
        return executed, sum((f.price * f.quantity for f in fills), Decimal(0)) / executed

    def task_orders(self, task_id: int) -> list[OrderRecord]:
        return sorted(
            (o for o in self.orders.values() if o.task_id == task_id),
            key=lambda o: o.created_at or datetime.min.replace(tzinfo=UTC),
        )

    def _check(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise BaseUnavailable(f"{name}: connection refused (fake outage)")

    def _wrote(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def _task_view(self, task: _Task) -> SellBuyTask:
        executed, average = self.progress(task.id)
        return SellBuyTask(
            id=task.id,
            instrument=self.instruments_by_id[task.instrument_id],
            direction=task.direction,  # type: ignore[arg-type]
            amount=task.amount,
            limit_price=task.limit_price,
            active=task.active,
            executed=executed,
            average_price=average,
            created_at=task.created_at,
            open_orders=tuple(
                o for o in self.task_orders(task.id) if o.status not in FINAL_STATUSES
            ),
            disabled_reason=task.disabled_reason,
        )

    # -- BaseApi --------------------------------------------------------------------------

    async def health(self) -> BaseHealth:
        self._check("health")
        return BaseHealth(ok=True, latency_ms=0.1, database="ok")

    async def instrument_by_ticker(self, ticker: str) -> Instrument | None:
        self._check("instrument_by_ticker")
        for instrument in self.instruments_by_id.values():
            if instrument.ticker == ticker and instrument.active:
                return instrument
        return None

    async def instrument(self, instrument_id: int) -> Instrument:
        self._check("instrument")
        if instrument_id not in self.instruments_by_id:
            raise BaseRejected(404, "not_found", "no such instrument")
        return self.instruments_by_id[instrument_id]

    async def instruments(self, **filters: Any) -> list[Instrument]:
        self._check("instruments")
        out = list(self.instruments_by_id.values())
        for name, value in filters.items():
            if value is not None:
                out = [i for i in out if getattr(i, name) == value]
        return out

    async def open_orders(self, task_kind: str | None = None) -> list[OrderRecord]:
        self._check("open_orders")
        return [
            o
            for o in self.orders.values()
            if o.status not in FINAL_STATUSES and task_kind in (None, o.task_kind)
        ]

    async def sync_instruments(
        self, instruments: list[dict[str, Any]], *, complete: bool
    ) -> SyncResult:
        self._check("sync_instruments")
        self.synced = instruments
        created = updated = unchanged = 0
        by_uid = {i.uid: i for i in self.instruments_by_id.values()}
        seen: set[str] = set()
        for item in instruments:
            seen.add(item["uid"])
            if item["uid"] in by_uid:
                unchanged += 1
            else:
                created += 1
                self.add_instrument(
                    ticker=item["ticker"],
                    uid=item["uid"],
                    figi=item["figi"],
                    kind=item["kind"],
                    lot=item["lot"],
                    min_price_increment=Decimal(item["min_price_increment"]),
                )
        deactivated = 0
        if complete:
            for instrument in list(self.instruments_by_id.values()):
                if instrument.uid not in seen and instrument.active:
                    self.instruments_by_id[instrument.id] = replace(instrument, active=False)
                    deactivated += 1
        return SyncResult(created, updated, deactivated, unchanged)

    async def active_tasks(self) -> ActiveTasks:
        self._check("active_tasks")
        return ActiveTasks(
            sellbuy=tuple(self._task_view(t) for t in self.tasks.values() if t.active),
            spreads=(),
        )

    async def create_sellbuy(
        self,
        *,
        instrument_id: int,
        direction: str,
        amount: int,
        limit_price: Decimal | None,
        covered: bool = False,
    ) -> SellBuyTask:
        self._check("create_sellbuy")
        instrument = self.instruments_by_id.get(instrument_id)
        if instrument is None:
            raise BaseRejected(400, "validation_error", "no such instrument")
        if amount <= 0 or amount % instrument.lot:
            raise BaseRejected(400, "validation_error", "Amount must be a whole number of lots.")
        if (
            direction == "sell"
            and instrument.kind == "share"
            and not instrument.short_enabled
            and not covered
        ):
            raise BaseRejected(400, "validation_error", f"{instrument.ticker} cannot be shorted.")
        task_id = self.add_sellbuy(instrument, direction, amount, limit_price)
        self._wrote()
        return self._task_view(self.tasks[task_id])

    async def sellbuy(self, task_id: int) -> SellBuyTask:
        self._check("sellbuy")
        return self._task_view(self.tasks[task_id])

    async def set_sellbuy_active(
        self, task_id: int, active: bool, reason: str | None = None
    ) -> SellBuyTask:
        self._check("set_sellbuy_active")
        self.tasks[task_id].active = active
        self.tasks[task_id].disabled_reason = "" if active else (reason or "")
        self._wrote()
        return self._task_view(self.tasks[task_id])

    async def spread(self, spread_id: int) -> Spread | None:
        """This Base holds no spreads (see set_spread_active)."""
        self._check("spread")
        return None

    async def set_spread_active(
        self, spread_id: int, active: bool, reason: str | None = None
    ) -> Spread:
        """This Base holds no spreads (tests/bot/engine/spreads/harness.py SpreadBase does)."""
        self._check("set_spread_active")
        raise BaseRejected(404, "not_found", f"no spread {spread_id}")

    async def record_order(self, order: NewOrder) -> OrderRecord:
        self._check("record_order")
        instrument = self.instruments_by_id.get(order.instrument)
        if instrument is None:
            raise BaseRejected(400, "validation_error", "no such instrument")
        if order.task_kind == "sellbuy":
            task = self.tasks.get(order.task_id or 0)
            if task is None or task.instrument_id != order.instrument:
                raise BaseRejected(400, "validation_error", "not the task's instrument")
            if task.direction != order.direction:
                raise BaseRejected(400, "validation_error", "not the task's direction")
        if order.price is not None and order.price % instrument.min_price_increment:
            raise BaseRejected(400, "validation_error", "price off the increment")
        existing = self.orders.get(order.client_order_id)
        identity = (
            order.instrument,
            order.direction,
            order.order_type,
            order.price,
            order.lots,
            order.task_kind,
            order.task_id,
            order.leg,
            order.stop_price,
            order.expire_at,
            order.bulk_command,
        )
        if existing is not None:
            old = (
                existing.instrument,
                existing.direction,
                existing.order_type,
                existing.price,
                existing.lots,
                existing.task_kind,
                existing.task_id,
                existing.leg,
                existing.stop_price,
                existing.expire_at,
                existing.bulk_command,
            )
            if old != identity:
                raise BaseRejected(409, "conflict", "same id with different content")
            return existing
        now = datetime.now(UTC)
        record = OrderRecord(
            client_order_id=order.client_order_id,
            instrument=order.instrument,
            direction=order.direction,
            order_type=order.order_type,
            price=order.price,
            lots=order.lots,
            status=order.status,
            task_kind=order.task_kind,
            task_id=order.task_id,
            leg=order.leg,
            created_at=now,
            updated_at=now,
            stop_price=order.stop_price,
            expire_at=order.expire_at,
            bulk_command=order.bulk_command,
        )
        self.orders[order.client_order_id] = record
        self._wrote()
        return record

    async def update_order(self, update: OrderUpdate) -> OrderRecord:
        self._check("update_order")
        record = self.orders.get(update.client_order_id)
        if record is None:
            raise BaseRejected(404, "not_found", "no such order")
        if record.status in FINAL_STATUSES and update.status != record.status:
            raise BaseRejected(409, "conflict", "a final status never changes")
        if update.status == "prepared" and record.status != "prepared":
            raise BaseRejected(409, "conflict", "never back to prepared")
        record = replace(
            record,
            status=update.status,
            broker_order_id=update.broker_order_id or record.broker_order_id,
            lots_executed=max(record.lots_executed, update.lots_executed or 0),
            message=update.message if update.message is not None else record.message,
            updated_at=datetime.now(UTC),
        )
        self.orders[update.client_order_id] = record
        self._wrote()
        return record

    async def order(self, client_order_id: str) -> OrderRecord | None:
        self._check("order")
        return self.orders.get(client_order_id)

    async def record_fill(self, fill: NewFill) -> FillRecorded:
        self._check("record_fill")
        record = self.orders.get(fill.order)
        if record is None:
            raise BaseRejected(404, "not_found", "no such order")
        key = (fill.order, fill.trade_id)
        if key in self.fills:
            old = self.fills[key]
            if (old.quantity, old.price) != (fill.quantity, fill.price):
                raise BaseRejected(409, "conflict", "trade recorded with other figures")
            return FillRecorded(created=False)
        lot = self.instruments_by_id[record.instrument].lot
        already = sum(f.quantity for (o, _t), f in self.fills.items() if o == fill.order)
        if already + fill.quantity > record.lots * lot:
            raise BaseRejected(400, "validation_error", "fills add up past the order")
        self.fills[key] = fill
        lots_filled = (already + fill.quantity) // lot
        if lots_filled > record.lots_executed:
            self.orders[fill.order] = replace(record, lots_executed=lots_filled)
        self._wrote()
        executed, average = self.progress(record.task_id) if record.task_id else (0, None)
        return FillRecorded(created=True, executed=executed, average_price=average)

    async def record_batch(
        self, records: list[tuple[str, dict[str, Any]]]
    ) -> list[tuple[int, dict[str, Any]]]:
        """POST records/ as the Base does it: each record through its own endpoint, in order,
        one answer each; a failure of the store itself (BaseUnavailable) answers 503 for that
        record and those after it."""
        from bot.engine.recorder import send_record

        self._check("record_batch")
        self.batches.append(len(records))
        results: list[tuple[int, dict[str, Any]]] = []
        refused: set[str] = set()
        for kind, data in records:
            owner = str(data.get("order") if kind == "fill" else data.get("client_order_id"))
            if kind in ("fill", "update") and owner in refused:
                results.append((424, {"code": "failed_dependency", "message": "order refused"}))
                continue
            if results and results[-1][0] == 503:
                results.append((503, {"code": "unavailable", "message": "not processed"}))
                continue
            try:
                await send_record(self, kind, data)
            except BaseRejected as exc:
                results.append((exc.status, {"code": exc.code, "message": exc.message}))
                if kind == "order":
                    refused.add(owner)
            except BaseUnavailable as exc:
                results.append((503, {"code": "unavailable", "message": str(exc)}))
            else:
                results.append((200, {}))
        return results

    async def settings(self) -> TradingSettings:
        self._check("settings")
        return self.trading_settings

    # -- the owner's views: the fake keeps what it is sent; stats/chart answer empty ----------

    async def stats(self, period: str) -> dict[str, Any]:
        self._check("stats")
        return {"period": period, "rows": [], "improvement": {}, "spreads": [], "totals": {}}

    async def put_portfolio(self, snapshot: dict[str, Any]) -> None:
        self._check("put_portfolio")
        self.portfolio_snapshot = snapshot

    async def post_quotes(self, series: list[dict[str, Any]]) -> int:
        self._check("post_quotes")
        self.quotes.extend(series)
        return sum(len(s["points"]) for s in series)

    async def chart(self, task_kind: str, task_id: int) -> dict[str, Any] | None:
        self._check("chart")
        return None

    async def orders_missing_commission(self) -> list[OrderRecord]:
        self._check("orders_missing_commission")
        return []

    async def close(self) -> None:
        return None
