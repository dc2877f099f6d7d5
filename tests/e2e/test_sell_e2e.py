"""End to end: the simulator, the Base and the bot as real processes on loopback; the bot polls
a fake Telegram Bot API. The owner syncs the catalogue, sells one lot of SBER, the market trades
at the bot's price, and the summary arrives and the Base holds the records."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.processes import wait_ready
from tests.e2e.stack import Stack, running_stack
from tests.support.fake_bot_api import running_bot_api

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

OWNER = 777001
TELEGRAM_TOKEN = "123456:e2e-test-token"
STRANGER = 424242
TICKER = "SBER"


async def test_sell_one_lot_end_to_end(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        await sell_one_lot(stack)


async def sell_one_lot(stack: Stack) -> None:
    sim_url, base_url, base_token = stack.sim_url, stack.base_url, stack.base_token
    async with running_bot_api(TELEGRAM_TOKEN) as api:
        bot = stack.start(
            "bot",
            ["-m", "bot", "run"],
            stack.bot_env(
                TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
                TELEGRAM_OWNER_IDS=str(OWNER),
                TELEGRAM_API_URL=api.url,
            ),
        )

        async def polling() -> bool:
            return "setMyCommands" in api.methods()

        await wait_ready(bot, polling, timeout=120)
        api.push_text(STRANGER, "/sell 10 SBER")  # ignored: not an owner

        api.push_text(OWNER, "/update")
        update = await api.wait_for_text("Catalogue updated:", timeout=120)
        assert "new" in update.text

        headers = {"Authorization": f"Token {base_token}"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as base_api:
            instrument = (await base_api.get(f"instruments/by-ticker/{TICKER}/")).json()
        lot = int(instrument["lot"])

        api.push_text(OWNER, f"/sell {lot} {TICKER}")
        # nothing is held: the sale opens a short, so the bot asks first; the owner confirms
        question = await api.wait_for_text("opens a short", timeout=60)
        markup = question.params["reply_markup"]
        if isinstance(markup, str):
            markup = json.loads(markup)
        api.press(OWNER, markup["inline_keyboard"][0][0]["callback_data"], question.result)
        started = await api.wait_for_text("Started #", timeout=60)
        job_id = started.text.split("Started #", 1)[1].split(":", 1)[0]

        async with httpx.AsyncClient(base_url=sim_url, timeout=10) as control:

            async def our_order() -> dict[str, Any] | None:
                orders = (await control.get("/control/orders")).json()["orders"]
                live = [
                    o
                    for o in orders
                    if o["ticker"] == TICKER
                    and o["direction"] == "ORDER_DIRECTION_SELL"
                    and o["status"]
                    in ("EXECUTION_REPORT_STATUS_NEW", "EXECUTION_REPORT_STATUS_PARTIALLYFILL")
                ]
                return live[0] if live else None

            found: list[dict[str, Any]] = []

            async def order_placed() -> bool:
                order = await our_order()
                if order is not None:
                    found.append(order)
                return order is not None

            await wait_ready(bot, order_placed, timeout=60)
            order = found[-1]
            price = Decimal(str(order["price"]))
            # the market trades at the bot's price: its resting order is filled there
            moved = await control.post(
                "/control/price", json={"instrumentId": order["instrumentUid"], "price": str(price)}
            )
            assert moved.status_code == 200, moved.text

        summary = await api.wait_for_text(f"✅ #{job_id}", timeout=60)
        shown_price = format(price.normalize(), "f")
        expected = f"✅ #{job_id} sell {lot} {TICKER} done: [{lot}/{lot}] avg {shown_price}"
        assert expected in summary.text.splitlines(), api.transcript()
        assert f"#{job_id} sold {lot} {TICKER} @ {shown_price} — [{lot}/{lot}]" in api.transcript()

        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as base_api:
            tasks = (await base_api.get("sellbuy/")).json()["results"]
            orders = (await base_api.get("orders/", params={"task_kind": "sellbuy"})).json()[
                "results"
            ]
        [task] = [t for t in tasks if t["instrument"]["ticker"] == TICKER]
        assert task["direction"] == "sell"
        assert task["amount"] == lot
        assert task["executed"] == lot
        assert Decimal(task["average_price"]) == price
        filled = [o for o in orders if o["status"] == "filled"]
        assert len(filled) == 1, orders
        assert Decimal(filled[0]["price"]) == price
        assert filled[0]["lots_executed"] == 1

        api.push_text(OWNER, "/tasks")
        await api.wait_for_text("No running tasks.", timeout=30)
        assert all(int(c.params["chat_id"]) == OWNER for c in api.sent()), api.transcript()
        assert len([t for t in tasks if t["instrument"]["ticker"] == TICKER]) == 1
        # the running bot keeps the heartbeat its container's health check reads
        assert (stack.tmp / "state" / "heartbeat").is_file()

    assert bot.stop() == 0, bot.output()  # SIGTERM: jobs stopped cleanly, exit 0
    assert "Traceback" not in bot.output(), bot.output()
    assert TELEGRAM_TOKEN not in bot.output()
    assert base_token not in bot.output()


async def test_run_with_a_token_telegram_refuses_exits_with_a_message(tmp_path: Path) -> None:
    async with (
        running_stack(tmp_path) as stack,
        running_bot_api("999:the-real-token") as api,
    ):
        bot = stack.start(
            "bot",
            ["-m", "bot", "run"],
            stack.bot_env(
                TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
                TELEGRAM_OWNER_IDS=str(OWNER),
                TELEGRAM_API_URL=api.url,
            ),
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while bot.popen.poll() is None:
            assert loop.time() < deadline, bot.output()
            await asyncio.sleep(0.2)
        assert bot.popen.returncode == 1, bot.output()
        assert "Telegram refused TELEGRAM_BOT_TOKEN" in bot.output()
        assert "Traceback" not in bot.output()
        assert TELEGRAM_TOKEN not in bot.output()
