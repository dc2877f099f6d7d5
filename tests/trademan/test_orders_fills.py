"""Orders (idempotent on the client UUID, status transitions) and fills (atomic, idempotent)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from trademan.base.models import Fill, Instrument, Order, SellBuyTask, Spread
from trademan.base.services.errors import ConflictError, NotFoundError
from trademan.base.services.fills import record_fill
from trademan.base.services.orders import OrderRequest, record_order, update_order
from trademan.base.services.tasks import save_sellbuy, save_spread

pytestmark = pytest.mark.django_db


def sellbuy_order(task: SellBuyTask, lots: int = 10, **kw: object) -> Order:
    request = OrderRequest(
        client_order_id=uuid.uuid4(),
        instrument_id=task.instrument_id,
        direction=task.direction,
        order_type="limit",
        price=Decimal("281.35"),
        lots=lots,
        task_kind="sellbuy",
        task_id=task.pk,
        **kw,  # type: ignore[arg-type]
    )
    order, created = record_order(request)
    assert created
    return order


def spread_order(spread: Spread, leg: str, lots: int, price: str) -> Order:
    far = leg == "far"
    direction = spread.direction if far else ("buy" if spread.direction == "sell" else "sell")
    order, _ = record_order(
        OrderRequest(
            client_order_id=uuid.uuid4(),
            instrument_id=spread.far_id if far else spread.near_id,
            direction=direction,
            order_type="limit",
            price=Decimal(price),
            lots=lots,
            task_kind="spread",
            task_id=spread.pk,
            leg=leg,
        )
    )
    return order


# --- orders ---------------------------------------------------------------------------------


def test_order_recording_is_idempotent(sellbuy: SellBuyTask) -> None:
    request = OrderRequest(
        client_order_id=uuid.uuid4(),
        instrument_id=sellbuy.instrument_id,
        direction="buy",
        order_type="limit",
        price=Decimal("281.35"),
        lots=2,
        task_kind="sellbuy",
        task_id=sellbuy.pk,
    )
    first, created = record_order(request)
    again, created_again = record_order(request)
    assert created and not created_again and first.pk == again.pk
    assert Order.objects.count() == 1
    with pytest.raises(ConflictError):
        record_order(replace(request, lots=3))
    assert Order.objects.get().lots == 2


def test_order_must_match_its_task(sellbuy: SellBuyTask, future_far: Instrument) -> None:
    with pytest.raises(ValidationError) as exc:
        record_order(
            OrderRequest(
                client_order_id=uuid.uuid4(),
                instrument_id=future_far.pk,
                direction="sell",
                order_type="limit",
                price=Decimal("281.3"),
                lots=1,
                task_kind="sellbuy",
                task_id=sellbuy.pk,
            )
        )
    fields = exc.value.message_dict
    assert fields["instrument"] == ["The order's instrument is not the task's."]
    assert fields["direction"] == ["The order's direction is not the task's."]


def test_order_price_on_increment_and_limit_needs_price(sellbuy: SellBuyTask) -> None:
    base = {
        "client_order_id": uuid.uuid4(),
        "instrument_id": sellbuy.instrument_id,
        "direction": "buy",
        "order_type": "limit",
        "lots": 1,
        "task_kind": "sellbuy",
        "task_id": sellbuy.pk,
    }
    with pytest.raises(ValidationError) as exc:
        record_order(OrderRequest(**base, price=Decimal("281.355")))  # type: ignore[arg-type]
    assert "not a multiple of the price increment 0.01" in exc.value.message_dict["price"][0]
    with pytest.raises(ValidationError) as exc:
        record_order(OrderRequest(**base))  # type: ignore[arg-type]
    assert exc.value.message_dict["price"] == ["A limit order needs a price."]
    market = {**base, "order_type": "market"}
    order, _ = record_order(OrderRequest(**market))  # type: ignore[arg-type]
    assert order.price is None


def test_spread_order_leg_and_direction(spread: Spread) -> None:
    far = spread_order(spread, "far", 1, "30000")
    near = spread_order(spread, "near", 10, "280.5")
    assert (far.direction, near.direction) == ("sell", "buy")
    with pytest.raises(ValidationError) as exc:
        record_order(
            OrderRequest(
                client_order_id=uuid.uuid4(),
                instrument_id=spread.near_id,
                direction="sell",
                order_type="market",
                lots=1,
                task_kind="spread",
                task_id=spread.pk,
                leg="near",
            )
        )
    assert exc.value.message_dict["direction"] == ["The near leg of this spread must buy."]


def test_final_status_never_goes_back(sellbuy: SellBuyTask) -> None:
    order = sellbuy_order(sellbuy)
    update_order(order.client_order_id, status="sent", broker_order_id="B-1")
    update_order(order.client_order_id, status="filled", lots_executed=10)
    for status in ("new", "partially_filled", "cancelled", "unknown", "prepared"):
        with pytest.raises(ConflictError):
            update_order(order.client_order_id, status=status)
    order.refresh_from_db()
    assert order.status == "filled" and order.broker_order_id == "B-1"
    # repeating the final status is harmless
    assert update_order(order.client_order_id, status="filled").status == "filled"


def test_unknown_resolves_to_anything(sellbuy: SellBuyTask) -> None:
    for final in ("filled", "cancelled", "rejected", "new", "prepared"):
        order = sellbuy_order(sellbuy)
        update_order(order.client_order_id, status="unknown")
        assert update_order(order.client_order_id, status=final).status == final


def test_order_update_checks(sellbuy: SellBuyTask) -> None:
    order = sellbuy_order(sellbuy, lots=5)
    with pytest.raises(ValidationError) as exc:
        update_order(order.client_order_id, lots_executed=6)
    assert "between 0 and the order's 5 lots" in exc.value.message_dict["lots_executed"][0]
    update_order(order.client_order_id, broker_order_id="B-1")
    with pytest.raises(ConflictError):
        update_order(order.client_order_id, broker_order_id="B-2")
    with pytest.raises(NotFoundError):
        update_order(uuid.uuid4(), status="sent")


# --- fills ----------------------------------------------------------------------------------


def test_fill_progress_and_average(sellbuy: SellBuyTask, now: datetime) -> None:
    order = sellbuy_order(sellbuy)
    record_fill(
        client_order_id=order.client_order_id,
        trade_id="t1",
        quantity=30,
        price=Decimal("281.30"),
        executed_at=now,
    )
    result = record_fill(
        client_order_id=order.client_order_id,
        trade_id="t2",
        quantity=10,
        price=Decimal("281.70"),
        executed_at=now,
    )
    task = result.task
    assert isinstance(task, SellBuyTask)
    assert task.executed == 40 and task.active
    assert task.average_price == Decimal("281.4")  # (30*281.30 + 10*281.70) / 40
    order.refresh_from_db()
    assert order.lots_executed == 4


def test_same_trade_twice_counts_once(sellbuy: SellBuyTask, now: datetime) -> None:
    order = sellbuy_order(sellbuy)
    kwargs = {
        "client_order_id": order.client_order_id,
        "trade_id": "t1",
        "quantity": 20,
        "price": Decimal("281.35"),
        "executed_at": now,
    }
    first = record_fill(**kwargs)  # type: ignore[arg-type]
    second = record_fill(**kwargs)  # type: ignore[arg-type]
    assert first.created and not second.created and first.fill.pk == second.fill.pk
    sellbuy.refresh_from_db()
    assert sellbuy.executed == 20 and Fill.objects.count() == 1
    with pytest.raises(ConflictError):
        record_fill(**{**kwargs, "quantity": 10})  # type: ignore[arg-type]


def test_task_inactive_when_amount_done(sellbuy: SellBuyTask, now: datetime) -> None:
    order = sellbuy_order(sellbuy)
    result = record_fill(
        client_order_id=order.client_order_id,
        trade_id="t1",
        quantity=100,
        price=Decimal("281.35"),
        executed_at=now,
    )
    assert result.task is not None and result.task.active is False
    sellbuy.refresh_from_db()
    assert sellbuy.executed == 100 and not sellbuy.active


def test_fill_cannot_exceed_order(sellbuy: SellBuyTask, now: datetime) -> None:
    order = sellbuy_order(sellbuy, lots=2)
    with pytest.raises(ValidationError) as exc:
        record_fill(
            client_order_id=order.client_order_id,
            trade_id="t1",
            quantity=30,
            price=Decimal("281.35"),
            executed_at=now,
        )
    assert "for 20 pieces" in exc.value.message_dict["quantity"][0]
    assert not Fill.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("quantity", 0, "Quantity must be greater than zero."),
        ("price", Decimal(0), "Price must be greater than zero."),
        ("trade_id", " ", "A fill needs the broker's trade id."),
        ("executed_at", datetime(2026, 1, 1, 10, 0), "The time must carry a time zone."),
    ],
)
def test_fill_validation(
    sellbuy: SellBuyTask, now: datetime, field: str, value: object, expected: str
) -> None:
    order = sellbuy_order(sellbuy)
    kwargs = {
        "client_order_id": order.client_order_id,
        "trade_id": "t1",
        "quantity": 10,
        "price": Decimal("281.35"),
        "executed_at": now,
        field: value,
    }
    with pytest.raises(ValidationError) as exc:
        record_fill(**kwargs)  # type: ignore[arg-type]
    assert exc.value.message_dict[field] == [expected]


def test_fill_for_unknown_order(now: datetime, db: None) -> None:
    with pytest.raises(NotFoundError):
        record_fill(
            client_order_id=uuid.uuid4(),
            trade_id="t",
            quantity=1,
            price=Decimal(1),
            executed_at=now,
        )


def test_spread_progress_per_leg_and_average_spread(spread: Spread, now: datetime) -> None:
    far = spread_order(spread, "far", 2, "30000")
    near = spread_order(spread, "near", 20, "280.5")
    record_fill(
        client_order_id=far.client_order_id,
        trade_id="f1",
        quantity=1,
        price=Decimal("30000"),
        executed_at=now,
    )
    record_fill(
        client_order_id=near.client_order_id,
        trade_id="n1",
        quantity=100,
        price=Decimal("280.50"),
        executed_at=now,
    )
    spread.refresh_from_db()
    assert (spread.far_executed, spread.near_executed) == (1, 100)
    assert spread.far_average == Decimal(30000) and spread.near_average == Decimal("280.5")
    assert spread.average_spread == Decimal("1950")  # 30000 - 100 x 280.50
    assert spread.active
    record_fill(
        client_order_id=far.client_order_id,
        trade_id="f2",
        quantity=1,
        price=Decimal("30010"),
        executed_at=now,
    )
    spread.refresh_from_db()
    assert spread.active, "the near leg is not hedged yet"
    record_fill(
        client_order_id=near.client_order_id,
        trade_id="n2",
        quantity=100,
        price=Decimal("280.60"),
        executed_at=now,
    )
    spread.refresh_from_db()
    assert not spread.active and spread.average_spread == Decimal("1950")


def test_counters_equal_fills(spread: Spread, sellbuy: SellBuyTask, now: datetime) -> None:
    order = sellbuy_order(sellbuy)
    for i, price in enumerate(["281.01", "281.02", "281.03"]):
        record_fill(
            client_order_id=order.client_order_id,
            trade_id=f"t{i}",
            quantity=10,
            price=Decimal(price),
            executed_at=now,
        )
    sellbuy.refresh_from_db()
    fills = list(Fill.objects.filter(order__sellbuy=sellbuy))
    assert sellbuy.executed == sum(f.quantity for f in fills) == 30
    assert sellbuy.executed_value == sum(f.quantity * f.price for f in fills)


def test_sent_order_never_goes_back_to_prepared(sellbuy: SellBuyTask) -> None:
    order = sellbuy_order(sellbuy)
    update_order(order.client_order_id, status="sent")
    with pytest.raises(ConflictError):
        update_order(order.client_order_id, status="prepared")
    order.refresh_from_db()
    assert order.status == "sent"


def test_editing_a_task_keeps_fills_recorded_since_it_was_read(
    sellbuy: SellBuyTask, spread: Spread, now: datetime
) -> None:
    """The admin form edits a copy read before the save; the fills recorded in between stay."""
    stale_task = SellBuyTask.objects.get(pk=sellbuy.pk)
    stale_spread = Spread.objects.get(pk=spread.pk)
    order = sellbuy_order(sellbuy)
    record_fill(
        client_order_id=order.client_order_id,
        trade_id="t1",
        quantity=30,
        price=Decimal("281.30"),
        executed_at=now,
    )
    far = spread_order(spread, "far", 1, "100000")
    record_fill(
        client_order_id=far.client_order_id,
        trade_id="f1",
        quantity=1,
        price=Decimal("100000"),
        executed_at=now,
    )
    stale_task.amount = 200
    save_sellbuy(stale_task)
    stale_spread.amount = 4
    save_spread(stale_spread)
    task = SellBuyTask.objects.get(pk=sellbuy.pk)
    assert (task.amount, task.executed, task.average_price) == (200, 30, Decimal("281.3"))
    saved = Spread.objects.get(pk=spread.pk)
    assert (saved.amount, saved.far_executed, saved.far_average) == (4, 1, Decimal("100000"))
