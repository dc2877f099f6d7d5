"""The Base client against the real Base (Django live server on loopback, token auth)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from bot.base_client import (
    BaseClient,
    BaseRejected,
    BaseUnavailable,
    NewFill,
    NewOrder,
    OrderUpdate,
)
from bot.broker.types import Instrument as BrokerInstrument
from bot.broker.types import InstrumentKind
from bot.engine.catalogue import to_base

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token(transactional_db: None) -> str:
    from trademan.base.services.accounts import rotate_bot_token

    return rotate_bot_token()


@pytest.fixture
def sber_id(transactional_db: None) -> int:
    from trademan.base.models import Instrument, InstrumentKind

    return Instrument.objects.create(
        figi="BBG004730N88",
        uid="uid-sber",
        ticker="SBER",
        class_code="TQBR",
        name="Sber",
        kind=InstrumentKind.SHARE,
        lot=10,
        min_price_increment=Decimal("0.01"),
        currency="rub",
        api_trade_available=True,
        buy_available=True,
        sell_available=True,
        short_enabled=True,
        exchange="MOEX",
        active=True,
    ).pk


@pytest.fixture
async def client(live_server: Any, token: str) -> Any:
    async with BaseClient(live_server.url, token) as c:
        yield c


async def test_health_and_auth(live_server: Any, client: BaseClient) -> None:
    health = await client.health()
    assert health.ok and health.database == "ok" and health.latency_ms > 0
    async with BaseClient(live_server.url, "wrong") as bad:
        with pytest.raises(BaseRejected) as err:
            await bad.settings()
    assert err.value.status == 401


async def test_unreachable_base_is_unavailable() -> None:
    async with BaseClient("http://127.0.0.1:9", "t", timeout=2.0) as client:
        with pytest.raises(BaseUnavailable):
            await client.settings()


async def test_task_orders_and_fills_round_trip(client: BaseClient, sber_id: int) -> None:
    instrument = await client.instrument_by_ticker("SBER")
    assert instrument is not None and instrument.id == sber_id and instrument.lot == 10
    assert await client.instrument_by_ticker("NOPE") is None

    with pytest.raises(BaseRejected) as err:
        await client.create_sellbuy(
            instrument_id=sber_id, direction="buy", amount=15, limit_price=None
        )
    assert err.value.status == 400 and err.value.message

    task = await client.create_sellbuy(
        instrument_id=sber_id, direction="buy", amount=50, limit_price=Decimal("101.00")
    )
    assert (task.amount, task.limit_price, task.executed) == (50, Decimal("101.00"), 0)

    # a share that cannot be shorted: only a sale covered by a long position is accepted
    from trademan.base.models import Instrument

    await sync_to_async(Instrument.objects.filter(pk=sber_id).update)(short_enabled=False)
    with pytest.raises(BaseRejected) as short:
        await client.create_sellbuy(
            instrument_id=sber_id, direction="sell", amount=10, limit_price=None
        )
    assert short.value.status == 400 and "SBER" in short.value.message
    covered = await client.create_sellbuy(
        instrument_id=sber_id, direction="sell", amount=10, limit_price=None, covered=True
    )
    assert covered.amount == 10

    order = NewOrder(
        client_order_id=str(uuid.uuid4()),
        instrument=sber_id,
        direction="buy",
        order_type="limit",
        price=Decimal("100.50"),
        lots=5,
        task_kind="sellbuy",
        task_id=task.id,
    )
    first = await client.record_order(order)
    again = await client.record_order(order)  # idempotent
    assert first.client_order_id == again.client_order_id == order.client_order_id
    with pytest.raises(BaseRejected) as conflict:
        await client.record_order(dataclasses.replace(order, lots=4))
    assert conflict.value.status == 409

    updated = await client.update_order(
        OrderUpdate(order.client_order_id, status="new", broker_order_id="X1", lots_executed=0)
    )
    assert (updated.status, updated.broker_order_id) == ("new", "X1")

    fill = NewFill(
        order=order.client_order_id,
        trade_id="T1",
        quantity=20,
        price=Decimal("100.50"),
        executed_at=datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
    )
    recorded = await client.record_fill(fill)
    duplicate = await client.record_fill(fill)
    assert recorded.created and not duplicate.created
    assert recorded.executed == 20 and recorded.average_price == Decimal("100.50")

    active = await client.active_tasks()
    mine = next(t for t in active.sellbuy if t.id == task.id)
    assert mine.executed == 20
    assert [o.client_order_id for o in mine.open_orders] == [order.client_order_id]
    assert mine.open_orders[0].lots_executed == 2

    settings = await client.settings()
    assert settings.max_order_value > 0


async def test_active_tasks_304_until_a_write_and_one_spread_by_id(
    client: BaseClient, sber_id: int
) -> None:
    from trademan.base.models import Instrument, InstrumentKind, Spread

    first = await client.active_tasks()
    assert await client.active_tasks() is first  # 304: the kept answer
    task = await client.create_sellbuy(
        instrument_id=sber_id, direction="buy", amount=10, limit_price=None
    )
    changed = await client.active_tasks()
    assert [t.id for t in changed.sellbuy] == [task.id]

    def make_spread() -> int:
        sber = Instrument.objects.get(pk=sber_id)
        future = Instrument.objects.create(
            figi="FUTSBRF",
            uid="uid-srm7",
            ticker="SRM7",
            class_code="SPBFUT",
            kind=InstrumentKind.FUTURE,
            lot=1,
            min_price_increment=Decimal(1),
            min_price_increment_amount=Decimal(1),
            basic_asset="SBER",
            basic_asset_size=Decimal(100),
            exchange="FORTS",
        )
        spread = Spread.objects.create(
            far=future, near=sber, direction="sell", amount=1, target_price=Decimal(50)
        )
        return spread.pk

    spread_id = await sync_to_async(make_spread)()
    spread = await client.spread(spread_id)
    assert spread is not None and spread.id == spread_id and spread.ratio == Decimal(100)
    assert [s.id for s in (await client.active_tasks()).spreads] == [spread_id]
    assert await client.spread(spread_id + 1000) is None


async def test_catalogue_payload_is_accepted_by_the_base(client: BaseClient) -> None:
    share = BrokerInstrument(
        kind=InstrumentKind.SHARE,
        figi="F1",
        uid="u-share",
        ticker="GAZP",
        class_code="TQBR",
        name="Gazprom",
        lot=10,
        currency="RUB",
        min_price_increment=Decimal("0.01"),
        api_trade_available=True,
        exchange="MOEX_PLUS",
    )
    future = BrokerInstrument(
        kind=InstrumentKind.FUTURES,
        figi="F2",
        uid="u-fut",
        ticker="GZZ6",
        class_code="SPBFUT",
        name="GAZR-12.26",
        lot=1,
        currency="RUB",
        min_price_increment=Decimal(1),
        min_price_increment_amount=Decimal(1),
        basic_asset="GAZP",
        basic_asset_size=Decimal(100),
        expiration_date=datetime(2026, 12, 18, 15, 0, tzinfo=UTC),
        exchange="FORTS_EVENING",
    )
    payload = [to_base(share), to_base(future)]
    result = await client.sync_instruments([p for p in payload if p], complete=True)
    assert (result.created, result.deactivated) == (2, 0)
    again = await client.sync_instruments([p for p in payload if p], complete=True)
    assert (again.created, again.unchanged) == (0, 2)
    gz = await client.instrument_by_ticker("GZZ6")
    assert gz is not None and gz.kind == "future" and gz.basic_asset_size == Decimal(100)


async def test_a_burst_of_journal_records_reaches_the_base_in_batches(
    client: BaseClient, sber_id: int, tmp_path: Any
) -> None:
    """After an outage the journal holds hundreds of records: the recorder sends them in a few
    requests (POST records/), every record counted once, even when a batch is sent twice."""
    from bot.base_client import NewFill, NewOrder, OrderUpdate
    from bot.engine.clock import SystemClock
    from bot.engine.journal import Journal
    from bot.engine.recorder import BaseRecorder
    from tests.bot.engine.conftest import RecordingNotifier
    from trademan.base.models import Fill, SellBuyTask

    task = await client.create_sellbuy(
        instrument_id=sber_id, direction="buy", amount=10_000, limit_price=None
    )
    requests: list[int] = []
    real = client.record_batch

    async def counted(records: Any) -> Any:
        requests.append(len(records))
        return await real(records)

    client.record_batch = counted  # type: ignore[method-assign]
    journal = Journal(tmp_path, fsync=False)
    recorder = BaseRecorder(client, journal, RecordingNotifier(), SystemClock())
    orders = 100  # 300 records: order, update, fill each
    for n in range(orders):
        cid = str(uuid.uuid4())
        recorder.record_order(
            NewOrder(
                cid, sber_id, "buy", "limit", Decimal("100.00"), 1, "prepared", "sellbuy", task.id
            )
        )
        recorder.update_order(OrderUpdate(cid, "filled", broker_order_id=f"B{n}", lots_executed=1))
        recorder.record_fill(NewFill(cid, f"T{n}", 10, Decimal("100.00"), datetime.now(UTC)))
    recorder.start()
    await recorder.wait_flushed()
    await recorder.close()
    assert requests == [100, 100, 100]
    assert await sync_to_async(Fill.objects.count)() == orders
    stored = await sync_to_async(SellBuyTask.objects.get)(pk=task.id)
    assert stored.executed == orders * 10
    again = [
        (kind, data)
        for kind, data in [
            (
                "fill",
                {
                    "order": cid,
                    "trade_id": f"T{orders - 1}",
                    "quantity": 10,
                    "price": "100.00",
                    "executed_at": datetime.now(UTC).isoformat(),
                },
            )
        ]
    ]
    assert (await real(again))[0][0] == 200  # the same trade again: recorded once
    assert await sync_to_async(Fill.objects.count)() == orders
