"""End to end: the simulator, the Base and the bot as real processes on loopback; the bot polls
a fake Telegram Bot API. The owner syncs the catalogue, sells one lot of SBER, the market trades
at the bot's price, and the summary arrives and the Base holds the records."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.processes import ROOT, Process, free_port, start, wait_ready
from tests.support.fake_bot_api import running_bot_api

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

OWNER = 777001
TELEGRAM_TOKEN = "123456:e2e-test-token"
TICKER = "SBER"


def manage(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "trademan/manage.py", *args],
        cwd=ROOT,
        env={**_environ(), **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"manage.py {args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in reversed(started):
        process.stop()


async def probe(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def test_sell_one_lot_end_to_end(tmp_path: Path, processes: list[Process]) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    db_env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'base.sqlite3'}",
        "TRADEMAN_ENV": "development",
    }

    sim_port, base_port = free_port(), free_port()
    sim = start(
        "simulator",
        [
            "-m",
            "simulator",
            "--port",
            str(sim_port),
            "--seed",
            "1",
            "--always-open",
            "--walk-interval",
            "0",
        ],
        {},
        ROOT,
        logs,
    )
    processes.append(sim)
    sim_url = f"http://127.0.0.1:{sim_port}"

    manage(["migrate", "--noinput", "-v", "0"], db_env)
    base_token = manage(["bot_token"], db_env).strip().splitlines()[-1]
    base = start(
        "base",
        ["trademan/manage.py", "runserver", f"127.0.0.1:{base_port}", "--noreload"],
        db_env,
        ROOT,
        logs,
    )
    processes.append(base)
    base_url = f"http://127.0.0.1:{base_port}/api/v1/"
    await wait_ready(sim, lambda: probe(f"{sim_url}/control/state"))
    await wait_ready(base, lambda: probe(f"{base_url}health/"))

    async with running_bot_api(TELEGRAM_TOKEN) as api:
        bot = start(
            "bot",
            ["-m", "bot", "run"],
            {
                "TRADEMAN_MODE": "paper",
                "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
                "TELEGRAM_OWNER_IDS": str(OWNER),
                "TELEGRAM_API_URL": api.url,
                "BOT_LANGUAGE": "en",
                "BASE_URL": base_url,
                "BASE_TOKEN": base_token,
                "TINVEST_REST_URL": f"{sim_url}/rest",
                "TINVEST_WS_URL": f"ws://127.0.0.1:{sim_port}/ws",
                "BOT_STATE_DIR": str(tmp_path / "state"),
                "LOG_LEVEL": "INFO",
            },
            tmp_path,  # no .env there
            logs,
        )
        processes.append(bot)

        async def polling() -> bool:
            return "setMyCommands" in api.methods()

        await wait_ready(bot, polling, timeout=120)

        api.push_text(OWNER, "/update")
        update = await api.wait_for_text("Catalogue updated:", timeout=120)
        assert "new" in update.text

        headers = {"Authorization": f"Token {base_token}"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as base_api:
            instrument = (await base_api.get(f"instruments/by-ticker/{TICKER}/")).json()
        lot = int(instrument["lot"])

        api.push_text(OWNER, f"/sell {lot} {TICKER}")
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

    assert bot.stop() == 0, bot.output()  # SIGTERM: jobs stopped cleanly, exit 0
    assert "Traceback" not in bot.output(), bot.output()
    assert TELEGRAM_TOKEN not in bot.output()
    assert base_token not in bot.output()
