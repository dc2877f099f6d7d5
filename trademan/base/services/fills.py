"""Recording fills: atomic, idempotent per (order, trade id), safe when concurrent.

The order row and then the task row are locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite
serialises writers), so two fills of one task never lose an update; the task's counters are
recomputed from its fills in the same transaction, so they always equal the fills."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trademan.base.models import Fill, Leg, Order, SellBuyTask, Spread
from trademan.base.services.errors import ConflictError
from trademan.base.services.orders import lock_order
from trademan.base.services.rules import ErrorList
from trademan.base.services.tasks import lock_sellbuy, lock_spread


@dataclass(frozen=True, slots=True)
class FillResult:
    fill: Fill
    created: bool
    order: Order
    task: SellBuyTask | Spread | None


def _sum(rows: list[tuple[int, Decimal]]) -> tuple[int, Decimal]:
    quantity = sum(q for q, _ in rows)
    value = sum((q * p for q, p in rows), Decimal(0))
    return quantity, value


def refresh_sellbuy_progress(task: SellBuyTask) -> None:
    rows = list(Fill.objects.filter(sellbuy=task).values_list("quantity", "price"))
    task.executed, task.executed_value = _sum(rows)
    if task.done:
        task.active = False
    task.save(update_fields=["executed", "executed_value", "active", "updated_at"])


def refresh_spread_progress(spread: Spread) -> None:
    rows = list(Fill.objects.filter(spread=spread).values_list("leg", "quantity", "price"))
    spread.far_executed, spread.far_value = _sum([(q, p) for leg, q, p in rows if leg == Leg.FAR])
    spread.near_executed, spread.near_value = _sum(
        [(q, p) for leg, q, p in rows if leg == Leg.NEAR]
    )
    if spread.done:
        spread.active = False
    spread.save(
        update_fields=[
            "far_executed",
            "far_value",
            "near_executed",
            "near_value",
            "active",
            "updated_at",
        ]
    )


def _validate(trade_id: str, quantity: int, price: Decimal, executed_at: datetime) -> None:
    errors = ErrorList()
    if not trade_id.strip():
        errors.add("trade_id", _("A fill needs the broker's trade id."))
    if quantity <= 0:
        errors.add("quantity", _("Quantity must be greater than zero."))
    if price <= 0:
        errors.add("price", _("Price must be greater than zero."))
    if timezone.is_naive(executed_at):
        errors.add("executed_at", _("The time must carry a time zone."))
    errors.raise_if_any()


@transaction.atomic
def record_fill(
    *,
    client_order_id: uuid.UUID,
    trade_id: str,
    quantity: int,
    price: Decimal,
    executed_at: datetime,
) -> FillResult:
    """Record one trade of an order; the same (order, trade_id) twice counts once (the second
    call returns the stored fill with created=False; different content is a ConflictError)."""
    _validate(trade_id, quantity, price, executed_at)
    order = lock_order(client_order_id)
    task: SellBuyTask | Spread | None = None
    if order.sellbuy_id:
        task = lock_sellbuy(order.sellbuy_id)
    elif order.spread_id:
        task = lock_spread(order.spread_id)
    existing = Fill.objects.filter(order=order, trade_id=trade_id).first()
    if existing is not None:
        if existing.quantity != quantity or existing.price != price:
            raise ConflictError(
                _("Trade %(trade)s of this order is already recorded with other figures.")
                % {"trade": trade_id}
            )
        return FillResult(existing, False, order, task)
    lot = order.instrument.lot
    already = sum(Fill.objects.filter(order=order).values_list("quantity", flat=True))
    if already + quantity > order.lots * lot:
        errors = ErrorList()
        errors.add(
            "quantity",
            _(
                "The order is for %(pieces)s pieces; with this fill its fills would add up to "
                "%(total)s."
            )
            % {"pieces": order.lots * lot, "total": already + quantity},
        )
        errors.raise_if_any()
    fill = Fill.objects.create(
        order=order,
        trade_id=trade_id,
        quantity=quantity,
        price=price,
        executed_at=executed_at,
        sellbuy_id=order.sellbuy_id,
        spread_id=order.spread_id,
        leg=order.leg,
    )
    lots_filled = (already + quantity) // lot
    if lots_filled > order.lots_executed:
        order.lots_executed = lots_filled
        order.save(update_fields=["lots_executed", "updated_at"])
    if isinstance(task, SellBuyTask):
        refresh_sellbuy_progress(task)
    elif isinstance(task, Spread):
        refresh_spread_progress(task)
    return FillResult(fill, True, order, task)
