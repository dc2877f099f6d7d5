"""Recording orders (idempotent on the client UUID) and their status from the broker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trademan.base.models import (
    FINAL_ORDER_STATUSES,
    STOP_ORDER_TYPES,
    BulkCommand,
    Direction,
    Instrument,
    Leg,
    Order,
    OrderStatus,
    OrderType,
    SellBuyTask,
    Spread,
    TaskKind,
)
from trademan.base.services.errors import ConflictError, NotFoundError
from trademan.base.services.rules import ErrorList, check_direction, check_price


@dataclass(frozen=True, slots=True)
class OrderRequest:
    client_order_id: uuid.UUID
    instrument_id: int
    direction: str
    order_type: str
    lots: int
    price: Decimal | None = None
    task_kind: str | None = None
    task_id: int | None = None
    leg: str | None = None
    status: str = OrderStatus.PREPARED
    broker_order_id: str | None = None
    message: str = ""
    opposite_price: Decimal | None = None
    # stop orders only
    stop_price: Decimal | None = None
    expire_at: datetime | None = None
    bulk_command: str | None = None


def _has_price(order_type: str) -> bool:
    return order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)


def _dec(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).normalize()


def _identity(order: Order) -> tuple[object, ...]:
    price = order.price if _has_price(order.order_type) else None
    return (
        order.task_kind,
        order.task_id,
        order.leg or None,
        order.instrument_id,
        order.direction,
        order.order_type,
        _dec(price),
        order.lots,
        _dec(order.stop_price),
        order.expire_at,
        order.bulk_command or None,
    )


def _build(request: OrderRequest) -> Order:
    """Validate the request against its task and instrument; returns an unsaved Order."""
    errors = ErrorList()
    instrument = Instrument.objects.filter(pk=request.instrument_id).first()
    if instrument is None:
        errors.add("instrument", _("No instrument #%(id)s.") % {"id": request.instrument_id})
        errors.raise_if_any()
    assert instrument is not None
    check_direction(errors, request.direction)
    if request.order_type not in OrderType.values:
        errors.add(
            "order_type",
            _("Order type must be limit, market, take_profit, stop_loss or stop_limit."),
        )
    if request.status not in OrderStatus.values:
        errors.add("status", _("Unknown status %(status)s.") % {"status": request.status})
    if request.lots <= 0:
        errors.add("lots", _("Lots must be greater than zero."))
    if _has_price(request.order_type):
        if request.price is None and request.order_type == OrderType.LIMIT:
            errors.add("price", _("A limit order needs a price."))
        elif request.price is None:
            errors.add("price", _("A stop-limit order needs a price."))
        else:
            check_price(errors, "price", request.price, instrument)
    is_stop = request.order_type in STOP_ORDER_TYPES
    if is_stop:
        if request.stop_price is None:
            errors.add("stop_price", _("A stop order needs a stop price."))
        else:
            check_price(errors, "stop_price", request.stop_price, instrument)
        if request.task_kind is not None:
            errors.add("task_kind", _("A stop order belongs to no task."))
    else:
        for name, value in (
            ("stop_price", request.stop_price),
            ("expire_at", request.expire_at),
            ("bulk_command", request.bulk_command),
        ):
            if value:
                errors.add(name, _("Only a stop order has a %(field)s.") % {"field": name})
    if request.bulk_command and request.bulk_command not in BulkCommand.values:
        errors.add(
            "bulk_command",
            _("Unknown bulk command %(command)s.") % {"command": request.bulk_command},
        )
    order = Order(
        client_order_id=request.client_order_id,
        broker_order_id=request.broker_order_id or None,
        instrument=instrument,
        direction=request.direction,
        order_type=request.order_type,
        price=request.price if _has_price(request.order_type) else None,
        lots=request.lots,
        status=request.status,
        message=request.message,
        opposite_price=request.opposite_price,
        stop_price=request.stop_price if is_stop else None,
        expire_at=request.expire_at if is_stop else None,
        bulk_command=(request.bulk_command or "") if is_stop else "",
    )
    if request.task_kind is None:
        if request.task_id is not None or request.leg:
            errors.add("task_kind", _("task_id and leg need a task_kind."))
    elif request.task_kind == TaskKind.SELLBUY:
        task = SellBuyTask.objects.filter(pk=request.task_id or 0).first()
        if task is None:
            errors.add("task_id", _("No sell/buy task #%(id)s.") % {"id": request.task_id})
        else:
            order.sellbuy = task
            if request.leg:
                errors.add("leg", _("A sell/buy task has no legs."))
            if task.instrument_id != instrument.pk:
                errors.add("instrument", _("The order's instrument is not the task's."))
            if task.direction != request.direction:
                errors.add("direction", _("The order's direction is not the task's."))
    elif request.task_kind == TaskKind.SPREAD:
        spread = Spread.objects.filter(pk=request.task_id or 0).first()
        if spread is None:
            errors.add("task_id", _("No spread #%(id)s.") % {"id": request.task_id})
        elif request.leg not in Leg.values:
            errors.add("leg", _("A spread order needs leg far or near."))
        else:
            order.spread = spread
            order.leg = str(request.leg)
            far_direction = Direction(spread.direction)
            if request.leg == Leg.FAR:
                leg_instrument, leg_direction = spread.far_id, far_direction
            else:
                leg_instrument, leg_direction = spread.near_id, far_direction.opposite
            if leg_instrument != instrument.pk:
                errors.add("instrument", _("The order's instrument is not that spread leg's."))
            if request.direction != leg_direction:
                errors.add(
                    "direction",
                    _("The %(leg)s leg of this spread must %(direction)s.")
                    % {"leg": request.leg, "direction": leg_direction.value},
                )
    else:
        errors.add("task_kind", _("task_kind must be sellbuy or spread."))
    errors.raise_if_any()
    return order


def record_order(request: OrderRequest) -> tuple[Order, bool]:
    """Store an order before it is sent. Returns (order, created). The same client id with the
    same content returns the stored order; with different content raises ConflictError."""
    order = _build(request)
    existing = Order.objects.filter(client_order_id=request.client_order_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                order.save()
            return order, True
        except IntegrityError:
            existing = Order.objects.filter(client_order_id=request.client_order_id).first()
            if existing is None:
                raise
    if _identity(existing) != _identity(order):
        raise ConflictError(
            _("Order %(id)s is already recorded with different content.")
            % {"id": request.client_order_id}
        )
    return existing, False


def lock_order(client_order_id: uuid.UUID) -> Order:
    """The order row, locked until the transaction ends (with its instrument); NotFoundError."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("instrument")
        .filter(client_order_id=client_order_id)
        .first()
    )
    if order is None:
        raise NotFoundError(_("No order %(id)s.") % {"id": client_order_id})
    return order


def check_transition(current: str, new: str) -> None:
    """A final status never changes; no order goes back to 'prepared' (except from 'unknown': the
    broker never saw it, so it may be sent again with the same id); 'unknown' can resolve to
    anything. Raises ConflictError."""
    if current == new:
        return
    if current in FINAL_ORDER_STATUSES:
        raise ConflictError(
            _("The order is already %(current)s; a final status never changes (to %(new)s).")
            % {"current": current, "new": new}
        )
    if new == OrderStatus.PREPARED and current != OrderStatus.UNKNOWN:
        raise ConflictError(_("An order never goes back to prepared."))


@transaction.atomic
def update_order(
    client_order_id: uuid.UUID,
    *,
    status: str | None = None,
    broker_order_id: str | None = None,
    lots_executed: int | None = None,
    message: str | None = None,
    commission: Decimal | None = None,
) -> Order:
    order = lock_order(client_order_id)
    errors = ErrorList()
    if status is not None and status not in OrderStatus.values:
        errors.add("status", _("Unknown status %(status)s.") % {"status": status})
    if lots_executed is not None and not 0 <= lots_executed <= order.lots:
        errors.add(
            "lots_executed",
            _("Lots executed must be between 0 and the order's %(lots)s lots.")
            % {"lots": order.lots},
        )
    if commission is not None and commission < 0:
        errors.add("commission", _("Must not be negative."))
    errors.raise_if_any()
    if status is not None:
        check_transition(order.status, status)
        order.status = status
    if broker_order_id:
        if order.broker_order_id and order.broker_order_id != broker_order_id:
            raise ConflictError(
                _("The order already has broker id %(id)s.") % {"id": order.broker_order_id}
            )
        order.broker_order_id = broker_order_id
    if lots_executed is not None:
        order.lots_executed = max(order.lots_executed, lots_executed)
    if message is not None:
        order.message = message
    if commission is not None:
        order.commission = commission
    order.save()
    return order
