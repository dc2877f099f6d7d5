"""Validation of /sell, /buy and /dump: refusals change nothing."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from bot.base_client.types import TradingSettings
from bot.engine import events, text_keys
from bot.engine.interface import SellBuyOrder, UserError
from tests.bot.engine.conftest import EngineFactory, RecordingNotifier, eventually
from tests.bot.engine.fake_broker import FakeBroker
from tests.support.fake_base import FakeBase


async def refused(engine_call: object) -> UserError:
    with pytest.raises(UserError) as err:
        await engine_call  # type: ignore[misc]
    return err.value


@pytest.mark.parametrize(
    ("order", "key", "params"),
    [
        (SellBuyOrder("buy", "NOPE", amount=10), text_keys.UNKNOWN_TICKER, {"ticker": "NOPE"}),
        (SellBuyOrder("buy", "SBER", amount=0), text_keys.NOT_POSITIVE, {"ticker": "SBER"}),
        (
            SellBuyOrder("buy", "SBER", money=Decimal("-5")),
            text_keys.NOT_POSITIVE,
            {"ticker": "SBER"},
        ),
        (
            SellBuyOrder("sell", "SBER", amount=15),
            text_keys.NOT_WHOLE_LOTS,
            {"ticker": "SBER", "amount": "15", "lot": "10"},
        ),
        (
            SellBuyOrder("buy", "SBER", money=Decimal("999.99")),
            text_keys.SUM_BELOW_LOT,
            {"ticker": "SBER", "sum": "999.99", "lot": "10", "lot_price": "1000.00"},
        ),
        (
            SellBuyOrder("buy", "SBER", amount=10, limit_price=Decimal("100.005")),
            text_keys.BAD_LIMIT_PRICE,
            {"ticker": "SBER", "price": "100.005", "increment": "0.01"},
        ),
    ],
)
async def test_bad_orders_are_refused_and_change_nothing(
    make_engine: EngineFactory,
    broker: FakeBroker,
    base: FakeBase,
    order: SellBuyOrder,
    key: str,
    params: dict[str, str],
) -> None:
    engine = make_engine()
    await engine.start()
    error = await refused(engine.start_sellbuy(order))
    assert (error.key, error.params) == (key, params)
    assert base.tasks == {} and broker.posts == [] and engine.jobs() == []


async def test_a_sum_becomes_the_largest_whole_number_of_lots(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase
) -> None:
    engine = make_engine()
    await engine.start()
    # buying: priced at the best bid 100.00, a lot of 10 costs 1000.00
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", money=Decimal("3999.99")))
    assert info.amount == 30
    assert info.task_id is not None and base.tasks[info.task_id].amount == 30
    await eventually(lambda: len(broker.live_orders()) == 1, "order placed")
    assert broker.live_orders()[0].lots == 3


async def test_risk_limits_refuse_a_command_up_front(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase
) -> None:
    base.trading_settings = TradingSettings(max_order_value=Decimal(5000))
    engine = make_engine()
    await engine.start()
    error = await refused(engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=60)))
    assert error.key == text_keys.RISK_ORDER_VALUE
    assert error.params == {"ticker": "SBER", "value": "6000.00", "limit": "5000.00"}

    base.trading_settings = TradingSettings(max_position_value=Decimal(10000))
    broker.positions_pieces["uid-sber"] = 90  # already 9000 RUB worth at 100
    error = await refused(engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20)))
    assert error.key == text_keys.RISK_POSITION_VALUE
    assert error.params["value"] == "11000.00"
    assert base.tasks == {} and broker.posts == []
    # selling reduces the position: allowed
    info = await engine.start_sellbuy(SellBuyOrder("sell", "SBER", amount=20))
    assert info.amount == 20


async def test_risk_refusal_while_running_is_explained(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, notifier: RecordingNotifier
) -> None:
    base.trading_settings = TradingSettings(max_order_value=Decimal(5100))
    engine = make_engine()
    await engine.start()
    await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=50))
    await eventually(lambda: len(broker.live_orders()) == 1, "order placed")
    broker.set_book("uid-sber", "103.00", "103.50")  # 50 x 103 = 5150 > 5100
    await engine.wait_idle()
    assert broker.live_orders() == []
    assert len(broker.orders) == 1, "no order above the limit was sent"
    refusal = notifier.of(events.OrderRefused)
    assert [(r.reason_key, r.params["value"]) for r in refusal] == [
        (text_keys.RISK_ORDER_VALUE, "5150.00")
    ]
    finished = notifier.of(events.JobFinished)[-1]
    assert (finished.outcome, finished.reason_key) == ("failed", text_keys.RISK_ORDER_VALUE)


async def test_dump_closes_a_long_position_by_selling(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase
) -> None:
    broker.positions_pieces["uid-sber"] = 40
    engine = make_engine()
    await engine.start()
    info = await engine.start_dump("sber")
    assert info.title == "sell 40 SBER"
    await eventually(lambda: len(broker.live_orders()) == 1, "order placed")
    order = broker.live_orders()[0]
    assert (order.direction, order.price, order.lots) == ("sell", Decimal("100.50"), 4)
    broker.fill(order, 4)
    await engine.wait_idle()
    assert broker.positions_pieces["uid-sber"] == 0


async def test_dump_buys_back_a_short_and_refuses_without_position(
    make_engine: EngineFactory, broker: FakeBroker
) -> None:
    engine = make_engine()
    await engine.start()
    error = await refused(engine.start_dump("SBER"))
    assert (error.key, error.params) == (text_keys.NO_POSITION, {"ticker": "SBER"})
    broker.positions_pieces["uid-sber"] = -20
    info = await engine.start_dump("SBER")
    assert info.title == "buy 20 SBER"


async def test_commands_refuse_while_the_base_is_down(
    make_engine: EngineFactory, base: FakeBase, broker: FakeBroker
) -> None:
    engine = make_engine()
    await engine.start()
    base.down = True
    for call in (
        engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=10)),
        engine.start_sellbuy_all(),
        engine.start_dump("SBER"),
    ):
        error = await refused(call)
        assert error.key == text_keys.BASE_UNAVAILABLE
    assert broker.posts == []
    health = await engine.health()
    assert not health.base.ok and health.broker.ok and health.mode == "paper"


async def test_health_reports_base_and_broker(make_engine: EngineFactory) -> None:
    engine = make_engine()
    health = await engine.health()
    assert health.base.ok and health.broker.ok
    assert health.base.latency_ms is not None and health.broker.latency_ms is not None
    assert health.account_id == "acc-1"


async def test_an_uncovered_sale_of_a_share_that_cannot_be_shorted_is_refused(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, sber: object
) -> None:
    base.instruments_by_id[sber.id] = dataclasses.replace(sber, short_enabled=False)  # type: ignore[attr-defined]
    broker.positions_pieces["uid-sber"] = 20
    engine = make_engine()
    await engine.start()
    error = await refused(engine.start_sellbuy(SellBuyOrder("sell", "SBER", amount=30)))
    assert (error.key, error.params) == (
        text_keys.NOT_SHORTABLE,
        {"ticker": "SBER", "amount": "30", "position": "20"},
    )
    assert base.tasks == {} and broker.posts == []
    # a sale the position covers is accepted, and the Base is told it is covered
    info = await engine.start_sellbuy(SellBuyOrder("sell", "SBER", amount=20))
    assert info.task_id is not None and base.tasks[info.task_id].amount == 20
    await eventually(lambda: len(broker.live_orders()) == 1, "order placed")


async def test_dump_sells_a_long_of_a_share_that_cannot_be_shorted(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, sber: object
) -> None:
    base.instruments_by_id[sber.id] = dataclasses.replace(sber, short_enabled=False)  # type: ignore[attr-defined]
    broker.positions_pieces["uid-sber"] = 40
    engine = make_engine()
    await engine.start()
    info = await engine.start_dump("SBER")
    assert info.title == "sell 40 SBER"
