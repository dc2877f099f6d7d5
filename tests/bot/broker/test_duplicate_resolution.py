"""30057 (the order id was seen before: the order exists) whose state cannot be read: the
outcome is unknown, never "not sent" (which would let a job send it again under a new id)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.broker.client import TInvestClient
from bot.broker.errors import OrderOutcomeUnknown
from bot.broker.types import OrderDirection
from bot.engine.clock import SystemClock
from bot.engine.journal import Journal
from bot.engine.options import EngineOptions
from bot.engine.orders import OrderDesk, OrderOutcomeLost
from bot.engine.recorder import BaseRecorder
from bot.engine.tinvest_port import TInvestPort
from tests.bot.broker.fakes import FakeBroker, config, error
from tests.bot.engine.conftest import RecordingNotifier
from tests.support.fake_base import FakeBase

ORDER_ID = "5b8f3f5e-0000-4000-8000-000000000057"


def _lost_then_duplicate_and_unreadable() -> FakeBroker:
    """The first PostOrder reaches the broker but its answer is lost; the retry with the same
    key gets 30057; GetOrderState cannot connect."""
    fake = FakeBroker()
    posts: list[str] = []

    def post(body: dict[str, Any], request: httpx.Request) -> httpx.Response:
        posts.append(body["orderId"])
        if len(posts) == 1:
            raise httpx.ReadTimeout("answer lost", request=request)
        return error(400, 3, "30057")

    def unreachable(_body: dict[str, Any], request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    fake.on("OrdersService/PostOrder", post)
    fake.on("OrdersService/GetOrderState", unreachable)
    fake.on("OrdersService/GetOrders", unreachable)
    return fake


async def test_duplicate_id_with_an_unreadable_state_is_an_unknown_outcome() -> None:
    fake = _lost_then_duplicate_and_unreadable()
    client = TInvestClient(config(), http_transport=fake.transport())
    try:
        with pytest.raises(OrderOutcomeUnknown) as caught:
            await client.post_order(
                instrument_id="uid-sber",
                lots=1,
                direction=OrderDirection.BUY,
                order_id=ORDER_ID,
                price=Decimal("100"),
            )
    finally:
        await client.close()
    assert caught.value.request_id == ORDER_ID
    assert len(fake.calls("OrdersService/GetOrderState")) >= 1


async def test_the_desk_keeps_such_an_order_unknown_and_never_sends_another() -> None:
    fake = _lost_then_duplicate_and_unreadable()
    client = TInvestClient(config(), http_transport=fake.transport())
    base = FakeBase()
    sber = base.add_instrument(
        ticker="SBER", uid="uid-sber", lot=10, min_price_increment=Decimal("0.01")
    )
    journal = Journal(None)
    recorder = BaseRecorder(base, journal, RecordingNotifier(), SystemClock())
    desk = OrderDesk(
        TInvestPort(client),
        recorder,
        RecordingNotifier(),
        SystemClock(),
        EngineOptions(resolve_interval=0.001, resolve_attempts=2),
        account_id="acc-1",
        new_id=lambda: ORDER_ID,
    )
    try:
        with pytest.raises(OrderOutcomeLost) as caught:
            await desk.place(
                instrument=sber,
                direction="buy",
                price=Decimal("100"),
                lots=1,
                task_kind=None,
                task_id=None,
            )
    finally:
        await client.close()
    statuses = [e.data["status"] for e in journal.pending() if e.kind == "update"]
    order_ids = {c.body["orderId"] for c in fake.calls("OrdersService/PostOrder")}
    assert caught.value.order.status == "unknown" and not caught.value.order.is_final
    assert "rejected" not in statuses and "cancelled" not in statuses, statuses
    assert order_ids == {ORDER_ID}, "the order was sent again under another id"
