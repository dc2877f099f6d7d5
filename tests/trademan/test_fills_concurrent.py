"""Fills reported at the same moment from several threads (real connections, PostgreSQL)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection, connections

from trademan.base.models import Fill, Instrument, Order, SellBuyTask
from trademan.base.services.fills import FillResult, record_fill

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "concurrent fills need PostgreSQL row locks: set DATABASE_URL=postgres://... "
            f"(this run uses {connection.vendor})"
        )


def run_together(calls: list[Callable[[], FillResult]]) -> list[FillResult | BaseException]:
    """Run the calls in threads released by one barrier; each thread has its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list[FillResult | BaseException] = [RuntimeError("not run")] * len(calls)

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except BaseException as exc:  # reported to the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a fill thread hung"
    return results


def _task_with_orders(share: Instrument, orders: int) -> tuple[SellBuyTask, list[Order]]:
    task = SellBuyTask.objects.create(instrument=share, direction="buy", amount=10 * orders * 10)
    made = [
        Order.objects.create(
            client_order_id=uuid.uuid4(),
            sellbuy=task,
            instrument=share,
            direction="buy",
            order_type="limit",
            price=Decimal("281.35"),
            lots=10,
        )
        for _ in range(orders)
    ]
    return task, made


def test_concurrent_fills_of_one_task_all_count(share: Instrument) -> None:
    task, orders = _task_with_orders(share, 8)
    at = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    calls = [
        (
            lambda o=o, i=i: record_fill(
                client_order_id=o.client_order_id,
                trade_id=f"t{i}",
                quantity=10,
                price=Decimal(281 + i),
                executed_at=at,
            )
        )
        for i, o in enumerate(orders)
    ]
    results = run_together(calls)  # type: ignore[arg-type]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    task.refresh_from_db()
    assert Fill.objects.filter(sellbuy=task).count() == 8
    assert task.executed == 80, "a concurrent fill was lost"
    assert task.executed_value == sum(Decimal(10 * (281 + i)) for i in range(8))


def test_same_trade_reported_concurrently_counts_once(share: Instrument) -> None:
    task, (order,) = _task_with_orders(share, 1)
    at = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)

    def call() -> FillResult:
        return record_fill(
            client_order_id=order.client_order_id,
            trade_id="same",
            quantity=20,
            price=Decimal("281.35"),
            executed_at=at,
        )

    results = run_together([call] * 6)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    created = [r for r in results if isinstance(r, FillResult) and r.created]
    assert len(created) == 1
    task.refresh_from_db()
    assert task.executed == 20 and Fill.objects.count() == 1
