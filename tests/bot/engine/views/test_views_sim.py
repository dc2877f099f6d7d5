"""/portfolio, /orders, /stats and /chart with nothing faked but Telegram: the engine with the real
broker client against the simulator and the real Base (Django live server), through the fake
Telegram session and through the console. The portfolio is checked to the kopeck by hand."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.base_client import BaseClient
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.config import BotConfig
from bot.console import Console
from bot.engine.interface import Notifier, SellBuyOrder
from bot.engine.trader import Engine
from tests.bot.engine.conftest import FAST, RecordingNotifier, eventually
from tests.bot.engine.test_sim_sellbuy import MirrorClock, active
from tests.bot.test_console import Output
from tests.support.fake_telegram import OWNER, Harness, make_harness
from tests.support.sim import DEFAULT_START, SimHandle, running_simulator

pytestmark = pytest.mark.django_db(transaction=True)
SBER, GAZP = "SBER_TQBR", "GAZP_TQBR"


@pytest.fixture
def token(transactional_db: None) -> str:
    from trademan.base.services.accounts import rotate_bot_token

    return rotate_bot_token()


@dataclass
class Stack:
    sim: SimHandle
    base: BaseClient
    engine: Engine
    tg: Harness


@pytest.fixture
async def stack(live_server: Any, token: str, tmp_path: Path) -> AsyncIterator[Stack]:
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
            RecordingNotifier(),
            account_id=sim.account_id,
            mode="paper",
            clock=MirrorClock(DEFAULT_START),
            state_dir=tmp_path,
            options=replace(FAST, poll_interval=0.05),
        )
        tg = await make_harness("en", trader=engine, startup=False)  # type: ignore[arg-type]
        try:
            await engine.start()
            await engine.update_catalogue()
            yield Stack(sim, base, engine, tg)
        finally:
            await tg.outbox.close(timeout=5)
            await engine.close()
            await broker.close()
            await base.close()


def _spread_on_sber() -> int:
    from trademan.base.models import Instrument, Spread

    far = Instrument.objects.filter(kind="future", basic_asset="SBER").order_by("expiration")[0]
    near = Instrument.objects.get(ticker="SBER", class_code="TQBR")
    spread = Spread.objects.create(
        far=far, near=near, direction="sell", amount=1, target_price=Decimal(1000)
    )
    return spread.pk


async def _live_orders(sim: SimHandle, count: int, at: str | None = None) -> None:
    def ready(orders: list[dict[str, Any]]) -> bool:
        live = active(orders)
        prices = {Decimal(str(o["price"])) for o in live}
        return len(live) == count and (at is None or prices == {Decimal(at)})

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not ready((await sim.orders())["orders"]):
        assert loop.time() < deadline, await sim.orders()
        await asyncio.sleep(0.01)


async def _buy_30_sber(stack: Stack) -> int:
    """Buy 30 SBER patiently: 10 at 250.00 and 20 at 250.20, each order placed while the best
    ask was 250.50 (crossing would have paid 250.50)."""
    sim, engine = stack.sim, stack.engine
    await sim.set_money("1000000")
    await sim.set_book(SBER, [("250.00", 50)], [("250.50", 50)])
    info = await engine.start_sellbuy(SellBuyOrder("buy", "SBER", amount=30))
    assert info.task_id is not None
    await _live_orders(sim, 1)
    await engine.views.tick()  # learns the running tasks
    await engine.views._sample()  # the price the job watches goes into the task's series
    await sim.set_book(SBER, [("250.00", 50)], [("250.00", 1), ("250.50", 50)])
    await eventually(lambda: engine.jobs()[0].executed == 10, "first fill")
    await sim.set_book(SBER, [("250.20", 50)], [("250.50", 50)])
    await _live_orders(sim, 1, at="250.2")  # the order followed the bid (the ask still 250.50)
    await sim.set_book(SBER, [("250.20", 50)], [("250.20", 10), ("250.50", 50)])
    await asyncio.wait_for(engine.wait_idle(), 10)
    await engine.recorder.wait_flushed()
    return info.task_id


async def test_views_against_the_simulator_and_the_base(stack: Stack) -> None:
    sim, engine, tg = stack.sim, stack.engine, stack.tg
    task_id = await _buy_30_sber(stack)
    await sim.set_price(SBER, "251.00")

    # /portfolio, by hand: cash 1 000 000 − 2 500.00 − 1.25 (0.05 %) − 5 004.00 − 2.50
    # = 992 492.25; SBER 30 at 251.00 = 7 530.00, bought for 7 504.00: P&L +26.00,
    # 26 / 7 504 = 0.3465 % -> +0.35 %; total 992 492.25 + 7 530.00 = 1 000 022.25;
    # no futures, no shorts: no margin used.
    await tg.send("/portfolio")
    text = "\n".join(tg.replies())
    assert "SBER 30 pcs · 250.1333 → 251" in text, text
    assert "   7,530.00 ₽ · P&L +26.00 ₽ (+0.35 %)" in text
    assert "Cash: 992,492.25 RUB" in text
    assert "Margin: used 0.00 ₽, free 1,000,022.25 ₽ (liquid 1,000,022.25 ₽)" in text
    assert "Total: 1,000,022.25 ₽" in text

    # once SBER is the near leg of a spread, it is shown under the spread with the spread's net
    spread_id = await asyncio.to_thread(_spread_on_sber)
    before = len(tg.replies())
    await tg.send("/portfolio")
    text = "\n".join(tg.replies()[before:])
    assert f"Spread #{spread_id} sell " in text and "/SBER: net P&L +26.00 ₽" in text, text
    assert "  SBER 30 pcs · 250.1333 → 251" in text  # indented under its spread

    # /orders: an order of ours (a limit below the market rests), one placed by hand, a stop
    limit = await engine.start_sellbuy(
        SellBuyOrder("buy", "SBER", amount=10, limit_price=Decimal("249.00"))
    )
    await sim.ok(
        "OrdersService",
        "PostOrder",
        {
            "instrumentId": GAZP,
            "quantity": "1",
            "price": {"units": "165", "nano": 0},
            "direction": "ORDER_DIRECTION_BUY",
            "accountId": sim.account_id,
            "orderType": "ORDER_TYPE_LIMIT",
            "orderId": "6f1c2a8e-0b7d-4c53-9a51-2f3e8d4b7c10",
        },
    )
    await sim.ok(
        "StopOrdersService",
        "PostStopOrder",
        {
            "instrumentId": SBER,
            "quantity": "2",
            "stopPrice": {"units": "240", "nano": 0},
            "direction": "STOP_ORDER_DIRECTION_SELL",
            "accountId": sim.account_id,
            "expirationType": "STOP_ORDER_EXPIRATION_TYPE_GOOD_TILL_CANCEL",
            "stopOrderType": "STOP_ORDER_TYPE_STOP_LOSS",
        },
    )
    await _live_orders(sim, 2)
    await engine.recorder.wait_flushed()
    before = len(tg.replies())
    await tg.send("/orders")
    text = "\n".join(tg.replies()[before:])
    assert "Live orders: 2, stop orders: 1" in text, text
    assert f"buy SBER 0/1 lots @ 249 — sell/buy task #{limit.task_id}" in text
    assert "buy GAZP 0/1 lots @ 165 — not placed by Trademan" in text
    assert "stop stop-loss sell SBER 2 lots at 240" in text
    await engine.stop(limit.job_id)

    # /stats: improvement by hand (0.50 x 10 + 0.30 x 20 = 11.00 RUB on 7 515 RUB that crossing
    # would have cost: 14.6 bp); commission as the broker charged it (1.25 + 2.50): an order
    # filled through the order-state stream learns its commission in the next feed round
    await engine.views.tick()
    await engine.recorder.wait_flushed()
    before = len(tg.replies())
    await tg.send("/stats all")
    text = "\n".join(tg.replies()[before:])
    assert f"sell/buy task #{task_id}: buy SBER — 2 fills, 30 pcs, 7,504.00 ₽" in text, text
    assert "commission 3.75 ₽" in text
    assert "Patience saved 11.00 ₽ (14.6 bp) for all time on 2 fills." in text
    await tg.send("/stats year")
    assert tg.last() == "Usage: /stats [today|week|month|all] (one of: today, week, month, all)."

    # /chart: a PNG of the task's prices with its fills
    await engine.views.tick()  # the quote points go to the Base with the snapshot
    await tg.send(f"/chart sb {task_id}")
    [photo] = tg.session.calls("sendPhoto")
    assert photo.document is not None and photo.document.startswith(b"\x89PNG")
    assert photo.params["caption"] == (
        f"sell/buy task #{task_id} buy 30 SBER: executable price against the target none; 2 fills"
    )
    await tg.send("/chart 99999")
    assert tg.last() == "No spread #99999 in the Base."
    await tg.send("/chart x")
    assert tg.last() == "Usage: /chart N (spread N) or /chart sb N (sell/buy task N)."

    # the dashboard feed: the snapshot in the Base says the same
    snapshot = await stack.base._json("GET", "portfolio/")
    assert snapshot["total"] == "1000022.25"
    assert snapshot["positions"][0]["ticker"] == "SBER"
    assert snapshot["positions"][0]["pnl"] == "26.00"
    chart = await stack.base.chart("sellbuy", task_id)
    assert chart is not None and len(chart["points"]) == 1 and len(chart["fills"]) == 2


async def test_the_console_shows_the_same(stack: Stack, tmp_path: Path) -> None:
    task_id = await _buy_30_sber(stack)
    await stack.engine.views.tick()
    await stack.engine.recorder.wait_flushed()
    await stack.sim.set_price(SBER, "251.00")
    config = BotConfig(  # type: ignore[call-arg]
        _env_file=None, bot_language="ru", telegram_owner_ids=[OWNER], bot_state_dir=tmp_path
    )
    out = Output()

    @dataclass
    class App:
        trader: Engine

        async def close(self) -> None:
            return None  # the fixture closes the engine

    async def factory(config: BotConfig, notifier: Notifier) -> App:
        return App(stack.engine)

    lines = f"/portfolio\n/orders\n/stats all\n/chart sb {task_id}\n/stats год\n"
    console = Console(config, stdin=io.StringIO(lines), stdout=out, trader_factory=factory)  # type: ignore[arg-type]
    assert await console.run(exit_on_eof=True) == 0
    text = out.getvalue()
    assert "SBER 30 шт · 250,1333 → 251" in text, text
    assert "Итого: 1\u00a0000\u00a0022,25 ₽" in text
    assert "Нет ни заявок, ни стоп-заявок." in text
    assert "Терпение сэкономило 11,00 ₽ (14,6 б.п.) за всё время на 2 сделках." in text
    assert f"[chart-sellbuy-{task_id}.png: PNG," in text
    assert (tmp_path / "pictures" / f"chart-sellbuy-{task_id}.png").read_bytes()[:4] == b"\x89PNG"
    assert "Формат: /stats [today|week|month|all]" in text


async def test_portfolio_with_a_future_and_a_short_to_the_kopeck(stack: Stack) -> None:
    """A long future (in points) and a short share, bought and sold by hand at the market; the
    total, computed here by hand, agrees with the broker's own margin attributes."""
    sim, tg = stack.sim, stack.tg
    futures = (await sim.ok("InstrumentsService", "Futures", {}))["instruments"]
    future = next(f for f in futures if f["basicAsset"] == "SBER")
    fid = future["uid"]
    amount = Decimal(str(future["minPriceIncrementAmount"]["units"])) + Decimal(
        future["minPriceIncrementAmount"]["nano"]
    ) / Decimal(10**9)
    increment = Decimal(str(future["minPriceIncrement"]["units"])) + Decimal(
        future["minPriceIncrement"]["nano"]
    ) / Decimal(10**9)
    point = amount / increment  # roubles per point
    ref = Decimal(str((await sim.instrument(fid))["lastPrice"])).quantize(Decimal(1))
    await sim.set_money("1000000")
    await sim.set_book(fid, [(str(ref - 10), 50)], [(str(ref), 50)])
    await sim.set_book(GAZP, [("170.00", 500)], [("170.10", 500)])

    async def market(instrument: str, side: str, lots: int, key: str) -> None:
        await sim.ok(
            "OrdersService",
            "PostOrder",
            {
                "instrumentId": instrument,
                "quantity": str(lots),
                "direction": f"ORDER_DIRECTION_{side}",
                "accountId": sim.account_id,
                "orderType": "ORDER_TYPE_MARKET",
                "orderId": key,
            },
        )

    await market(fid, "BUY", 2, "0d5e3b1c-7a2f-4c8e-9b6d-1f0a2e3c4d51")
    await market(GAZP, "SELL", 10, "0d5e3b1c-7a2f-4c8e-9b6d-1f0a2e3c4d52")
    await sim.set_book(
        fid, [(str(ref + 100), 50)], [(str(ref + 101), 50)], last_price=str(ref + 100)
    )
    await sim.set_book(GAZP, [("167.90", 500)], [("168.10", 500)], last_price="168.00")

    # by hand: the future costs only its commission, 0.05 % of 2 x ref points in roubles; the
    # short brings 100 x 170.00 = 17 000.00 less 8.50
    fee = (2 * ref * point * Decimal("0.0005")).quantize(Decimal("0.01"))
    cash = Decimal(1_000_000) - fee + Decimal("17000.00") - Decimal("8.50")
    future_pnl = (100 * 2 * point).quantize(Decimal("0.01"))  # +100 points on 2 contracts
    short_value = Decimal("-16800.00")  # -100 x 168.00
    short_pnl = Decimal("200.00")  # (168 - 170) x -100
    total = cash + short_value + future_pnl
    margin = await sim.ok("UsersService", "GetMarginAttributes", {"accountId": sim.account_id})
    liquid = Decimal(str(margin["liquidPortfolio"]["units"])) + Decimal(
        margin["liquidPortfolio"]["nano"]
    ) / Decimal(10**9)
    assert liquid.quantize(Decimal("0.01")) == total  # the simulator agrees with the hand sum

    def rub(value: Decimal) -> str:
        return f"{value:,.2f}"

    await tg.send("/portfolio")
    text = "\n".join(tg.replies())
    short = (
        f"GAZP -100 pcs · 170 → 168\n   {rub(short_value)} ₽ · P&L +{rub(short_pnl)} ₽ (+1.18 %)"
    )
    assert short in text, text
    assert f"P&L +{rub(future_pnl)} ₽" in text
    assert f"Cash: {rub(cash)} RUB" in text
    assert f"Total: {rub(total)} ₽" in text
