"""Money safety of /sell, /buy and /dump: a sale that opens a short is asked first, /dump of what
a spread's leg holds is asked first, a sum to buy is a budget never overspent."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from bot.base_client.types import ActiveTasks, Instrument, Spread
from bot.engine import events, text_keys
from bot.engine.interface import NeedsConfirmation, SellBuyOrder, UserError
from bot.engine.sellbuy import core
from tests.bot.engine.conftest import EngineFactory, RecordingNotifier, eventually
from tests.bot.engine.fake_broker import FakeBroker
from tests.support.fake_base import FakeBase

D = Decimal


async def asked(call: object) -> NeedsConfirmation:
    with pytest.raises(NeedsConfirmation) as err:
        await call  # type: ignore[misc]
    return err.value


# -- shorts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "amount", "short"),
    [(0, 10, 10), (-10, 20, 20), (30, 50, 20), (30, 30, 0), (30, 20, 0), (-10, 0, 0)],
)
def test_short_increase(position: int, amount: int, short: int) -> None:
    assert core.short_increase(position, "sell", amount) == short
    assert core.short_increase(position, "buy", amount) == 0


async def test_a_sale_of_what_is_not_held_asks_first_and_changes_nothing(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase
) -> None:
    engine = make_engine()
    await engine.start()
    question = await asked(engine.start_sellbuy(SellBuyOrder("sell", "SBER", amount=10)))
    assert question.key == text_keys.SHORT_NEEDS_CONSENT and question.consent == 10
    assert question.params == {
        "ticker": "SBER",
        "amount": "10",
        "position": "0",
        "short": "10",
        "after": "-10",
    }
    assert base.tasks == {} and broker.posts == [] and engine.jobs() == []
    # the owner agreed to a short of 10: it starts
    info = await engine.start_sellbuy(SellBuyOrder("sell", "SBER", amount=10), allow_short=10)
    assert info.amount == 10
    await eventually(lambda: len(broker.live_orders()) == 1, "order placed")
    await engine.stop()


async def test_a_sale_increasing_a_short_asks_and_agreeing_to_less_asks_again(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase
) -> None:
    broker.positions_pieces["uid-sber"] = 30
    engine = make_engine()
    await engine.start()
    question = await asked(engine.start_sellbuy(SellBuyOrder("sell", "SBER", amount=50)))
    assert question.consent == 20 and question.params["after"] == "-20"
    broker.positions_pieces["uid-sber"] = 20  # sold meanwhile: the short would be bigger
    again = await asked(
        engine.start_sellbuy(SellBuyOrder("sell", "SBER", amount=50), allow_short=20)
    )
    assert again.consent == 30
    assert base.tasks == {}
    # a covered sale and a buy are not asked
    broker.positions_pieces["uid-sber"] = 50
    await engine.start_sellbuy(SellBuyOrder("sell", "SBER", amount=50))
    await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=10))
    assert len(base.tasks) == 2
    await engine.stop()


async def test_dump_of_a_short_is_not_asked(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase
) -> None:
    broker.positions_pieces["uid-sber"] = -30
    engine = make_engine()
    await engine.start()
    info = await engine.start_dump("SBER")
    assert info.title == "buy 30 SBER"
    await engine.stop()


# -- /dump and the spreads' legs ---------------------------------------------------------------


class BaseWithSpread(FakeBase):
    """One active spread selling a future against SBER: its near leg bought `near` pieces."""

    spread: Spread

    async def active_tasks(self) -> ActiveTasks:
        tasks = await super().active_tasks()
        return ActiveTasks(sellbuy=tasks.sellbuy, spreads=(self.spread,))


def with_spread(base: FakeBase, sber: Instrument, near: int) -> BaseWithSpread:
    spread_base = BaseWithSpread(base.trading_settings)
    spread_base.__dict__.update(base.__dict__)
    far = dataclasses.replace(sber, id=900, ticker="SRM6", uid="uid-srm6", kind="future", lot=1)
    spread_base.spread = Spread(
        id=5,
        far=far,
        near=sber,
        direction="sell",
        amount=1,
        target_price=D(350),
        ratio=D(100),
        ratio_override=None,
        active=True,
        far_executed=near // 100,
        far_average=D(25400),
        near_executed=near,
        near_average=D(250),
        average_spread=None,
        created_at=None,
    )
    return spread_base


async def test_dump_of_a_spread_leg_asks_first(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, sber: Instrument
) -> None:
    broker.positions_pieces["uid-sber"] = 150  # 100 hedge spread S5, 50 are the owner's
    spread_base = with_spread(base, sber, near=100)
    engine = make_engine(base_=spread_base)
    await engine.start()
    question = await asked(engine.start_dump("SBER"))
    assert question.key == text_keys.DUMP_SPREAD_LEG and question.consent == 100
    assert question.params == {
        "ticker": "SBER",
        "position": "150",
        "pieces": "100",
        "spreads": "S5",
    }
    assert spread_base.tasks == {} and broker.posts == []
    info = await engine.start_dump("SBER", allow_spread_legs=100)
    assert info.title == "sell 150 SBER"
    await engine.stop()


def test_what_a_dump_takes_from_the_legs() -> None:
    legs = [core.LegHolding(5, 100), core.LegHolding(6, -40)]
    assert core.dumped_from_legs(150, legs) == 100
    assert core.dumped_from_legs(60, legs) == 60
    assert core.dumped_from_legs(-30, legs) == 30
    assert core.dumped_from_legs(-30, [core.LegHolding(5, 100)]) == 0


# -- buying by sum -------------------------------------------------------------------------------


async def test_a_sum_to_buy_is_a_budget_the_fills_never_exceed(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, notifier: RecordingNotifier
) -> None:
    engine = make_engine()
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", money=D(10000)))
    assert info.amount == 100  # 10 lots of 10 at the bid of 100.00
    await eventually(lambda: len(broker.live_orders()) == 1, "first order")
    first = broker.live_orders()[0]
    assert (first.price, first.lots) == (D("100.00"), 10)
    broker.fill(first, 3)  # 3,000 spent
    broker.set_book("uid-sber", "105.00", "105.50")  # the price rises
    await eventually(
        lambda: any(o.price == D("105.00") for o in broker.live_orders()),
        "order moved to the new bid",
        diag=notifier.describe,
    )
    second = broker.live_orders()[0]
    assert second.lots == 6, "7,000 left pays for 6 lots at 1,050, not the 7 left of the amount"
    broker.fill(second, 6)
    await engine.wait_idle()
    spent = sum((t.price * t.quantity * 10 for o in broker.orders.values() for t in o.trades), D(0))
    assert spent == D(9300) and spent <= D(10000)
    finished = notifier.of(events.JobFinished)[-1]
    assert (finished.outcome, finished.executed, finished.amount) == ("done", 90, 100)
    [budget] = [a for a in notifier.of(events.Alert) if a.reason_key == text_keys.BUDGET_SPENT]
    assert budget.params == {
        "ticker": "SBER",
        "executed": "90",
        "amount": "100",
        "budget": "10000",
        "spent": "9300.00",
        "left": "700.00",
    }
    assert info.task_id is not None and not base.tasks[info.task_id].active


def test_budget_lots() -> None:
    sber = Instrument(
        id=1,
        figi="F",
        uid="u",
        ticker="SBER",
        class_code="TQBR",
        name="SBER",
        kind="share",
        lot=10,
        min_price_increment=D("0.01"),
    )
    assert core.budget_lots(sber, D(10000), D(3000), D(105), 7) == 6
    assert core.budget_lots(sber, D(10000), D(3000), D(90), 7) == 7  # never past the amount
    assert core.budget_lots(sber, D(10000), D(9300), D(105), 1) == 0


# -- a task the broker refuses for good ----------------------------------------------------------


async def test_a_task_refused_for_good_is_switched_off_with_the_reason(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase, notifier: RecordingNotifier
) -> None:
    broker.reject_next = "30099"  # the price is outside the instrument's limits
    engine = make_engine()
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20, limit_price=D(1)))
    await engine.wait_idle()
    await engine.recorder.wait_flushed()
    assert info.task_id is not None
    task = base.tasks[info.task_id]
    assert not task.active
    assert task.disabled_reason == (
        "broker refused (30099): the price is outside the instrument's limits"
    )
    [alert] = [a for a in notifier.of(events.Alert) if a.reason_key == text_keys.TASK_SWITCHED_OFF]
    assert alert.params["code"] == "30099"
    posts = len(broker.posts)
    # /sellbuy no longer starts it
    with pytest.raises(UserError) as err:
        await engine.start_sellbuy_all()
    assert err.value.key == text_keys.NO_ACTIVE_TASKS and len(broker.posts) == posts


async def test_a_task_refused_for_a_passing_reason_stays_on(
    make_engine: EngineFactory, broker: FakeBroker, base: FakeBase
) -> None:
    broker.reject_next = "30034"  # not enough money: a deposit or a sale changes it
    engine = make_engine()
    await engine.start()
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=20))
    await engine.wait_idle()
    await engine.recorder.wait_flushed()
    assert info.task_id is not None and base.tasks[info.task_id].active
    [again] = await engine.start_sellbuy_all()
    assert again.task_id == info.task_id
    await engine.stop()


# -- no churn: a sell/buy order does not chase a flickering price --------------------------------


async def test_a_flickering_best_bid_never_moves_the_order(
    make_engine: EngineFactory, broker: FakeBroker, notifier: RecordingNotifier
) -> None:
    from dataclasses import replace

    from tests.bot.engine.conftest import FAST

    engine = make_engine(options=replace(FAST, order_move_hold=3600.0))
    await engine.start()
    await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=50))
    await eventually(lambda: len(broker.live_orders()) == 1, "first order")
    for _ in range(30):  # a better bid appears and goes, again and again
        reads = broker.book_reads
        broker.set_book("uid-sber", "100.10", "100.50")
        await eventually(lambda r=reads: broker.book_reads > r, "engine read the book")
        reads = broker.book_reads
        broker.set_book("uid-sber", "100.00", "100.50")
        await eventually(lambda r=reads: broker.book_reads > r, "engine read the book")
    assert len(broker.posts) == 1, "the order stayed where it stood"
    await engine.stop()


async def test_orders_per_minute_are_bounded(
    make_engine: EngineFactory, broker: FakeBroker, notifier: RecordingNotifier
) -> None:
    from dataclasses import replace

    from tests.bot.engine.conftest import FAST

    engine = make_engine(options=replace(FAST, order_move_hold=0.0, order_moves_per_minute=3))
    await engine.start()
    await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=50))
    await eventually(lambda: len(broker.live_orders()) == 1, "first order")
    for step in range(1, 6):  # the best bid climbs five times
        bid = D("100.00") + D("0.01") * step
        reads = broker.book_reads
        broker.set_book("uid-sber", bid, "100.50")
        await eventually(lambda r=reads: broker.book_reads > r + 2, "engine read the book")
    assert len(broker.posts) == 3, "one order and two moves: the minute's budget is spent"
    assert len(broker.live_orders()) == 1
    await engine.stop()
