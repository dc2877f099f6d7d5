"""The whole engine path with nothing faked: the real broker client against the simulator and
the real Base (Django live server) through the Base client."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.base_client import BaseClient
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.engine import events
from bot.engine.interface import SellBuyOrder
from bot.engine.trader import Engine
from tests.bot.engine.conftest import FAST, RecordingNotifier, eventually
from tests.bot.engine.test_sim_sellbuy import MirrorClock, active
from tests.support.sim import DEFAULT_START, running_simulator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token(transactional_db: None) -> str:
    from trademan.base.services.accounts import rotate_bot_token

    return rotate_bot_token()


async def test_catalogue_then_buy_with_progress_in_the_base(
    live_server: Any, token: str, tmp_path: Path
) -> None:
    notifier = RecordingNotifier()
    async with running_simulator(start_time=DEFAULT_START) as sim:
        broker = TInvestClient(
            BrokerConfig(
                token=sim.token,
                account_id=sim.account_id,
                rest_url=sim.rest_url,
                ws_url=sim.ws_url,
            )
        )
        base = BaseClient(live_server.url, token)
        engine = Engine(
            broker,
            base,
            notifier,
            account_id=sim.account_id,
            mode="paper",
            clock=MirrorClock(DEFAULT_START),
            state_dir=tmp_path,
            options=replace(FAST, poll_interval=0.05),
        )
        try:
            await engine.start()
            health = await engine.health()
            assert health.base.ok and health.broker.ok, health

            update = await engine.update_catalogue()
            assert update.created > 100 and update.details["shares"] > 50
            assert update.details["futures"] > 10

            await sim.set_book("SBER_TQBR", [("250.00", 50)], [("250.50", 50)])
            info = await engine.start_sellbuy(
                SellBuyOrder("buy", "SBER", money=Decimal("7600"))  # 3 lots of 10 at 250
            )
            assert info.amount == 30 and info.task_id is not None

            async def one_live() -> bool:
                return len(active((await sim.orders())["orders"])) == 1

            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while not await one_live():
                assert loop.time() < deadline, notifier.describe()
                await asyncio.sleep(0.01)
            await sim.set_book("SBER_TQBR", [("250.00", 50)], [("250.00", 1), ("250.50", 50)])
            await eventually(lambda: engine.jobs()[0].executed == 10, "first fill")
            await sim.set_book("SBER_TQBR", [("250.20", 50)], [("250.50", 50)])
            await sim.set_book("SBER_TQBR", [("250.20", 50)], [("250.20", 10), ("250.50", 50)])
            await asyncio.wait_for(engine.wait_idle(), 10)
            await engine.recorder.wait_flushed()

            task = await base.sellbuy(info.task_id)
            assert task.executed == 30
            expected = (Decimal("250.00") * 10 + Decimal("250.20") * 20) / 30
            assert task.average_price == expected.quantize(Decimal("0.000001"))
            assert not task.active
            finished = notifier.of(events.JobFinished)
            assert [(f.outcome, f.executed) for f in finished] == [("done", 30)]
        finally:
            await engine.close()
            await broker.close()
            await base.close()


async def test_nuke_stop_orders_are_recorded_in_the_base(
    live_server: Any, token: str, tmp_path: Path
) -> None:
    """Stop orders reach the real Base through the recorder: type, stop price, expiry, the bulk
    command and the broker's stop-order id; /cancel marks them cancelled."""
    from asgiref.sync import sync_to_async

    from trademan.base.models import Order

    notifier = RecordingNotifier()
    async with running_simulator(start_time=DEFAULT_START) as sim:
        broker = TInvestClient(
            BrokerConfig(
                token=sim.token,
                account_id=sim.account_id,
                rest_url=sim.rest_url,
                ws_url=sim.ws_url,
                rate_limit_time_scale=0.0005,
            )
        )
        base = BaseClient(live_server.url, token)
        engine = Engine(
            broker,
            base,
            notifier,
            account_id=sim.account_id,
            mode="paper",
            clock=MirrorClock(DEFAULT_START),
            state_dir=tmp_path,
            options=replace(FAST, poll_interval=0.05),
        )
        try:
            await engine.start()
            await engine.update_catalogue()
            plan = await engine.stops.plan_nuke("SBER", Decimal(400000))
            assert plan.count == 4
            engine.stops.run(plan)
            await eventually(lambda: notifier.of(events.BulkFinished), "nuke placed")
            await engine.recorder.wait_flushed()

            def stored() -> list[Order]:
                return list(Order.objects.order_by("stop_price"))

            rows = await sync_to_async(stored)()
            placed = {s["stopOrderId"]: s for s in (await sim.orders())["stopOrders"]}
            assert len(rows) == 4 and len(placed) == 4
            want = sorted(o.stop_price for o in plan.orders)
            assert [r.stop_price for r in rows] == want
            for row in rows:
                assert row.order_type == "take_profit" and row.bulk_command == "nuke"
                assert row.status == "new" and row.broker_order_id in placed
                assert row.expire_at == plan.expire_at and row.sellbuy_id is None

            await engine.stops.run_cancel()
            await eventually(lambda: len(notifier.of(events.BulkFinished)) == 2, "cancelled")
            await engine.recorder.wait_flushed()
            rows = await sync_to_async(stored)()
            assert {r.status for r in rows} == {"cancelled"}
        finally:
            await engine.close()
            await broker.close()
            await base.close()
