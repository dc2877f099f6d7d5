"""Flushing the bot's journal to the Base: one request per record against batches.

A fresh Base (runserver on SQLite in a temporary folder, the way `make demo` runs it), a journal
of BENCH_JOURNAL_ORDERS orders (default 100) with an update and a fill each — the burst an
outage leaves behind —, flushed by the recorder first one record a request (batch_size=1, the
single endpoints) and then in batches (POST records/, 100 a request). Prints records, requests,
seconds and milliseconds per record for each, beside the floor measured in the same run: the
round trip of GET health/ (a request that writes nothing).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.base_client import BaseClient, NewFill, NewOrder, OrderUpdate  # noqa: E402
from bot.engine.clock import SystemClock  # noqa: E402
from bot.engine.events import Event  # noqa: E402
from bot.engine.journal import Journal  # noqa: E402
from bot.engine.recorder import BaseRecorder  # noqa: E402

SETUP = """
from decimal import Decimal
from trademan.base.models import Instrument
from trademan.base.services.accounts import rotate_bot_token
from trademan.base.services import tasks
sber = Instrument.objects.create(figi="BBG004730N88", uid="uid-sber", ticker="SBER",
    class_code="TQBR", name="Sber", kind="share", lot=10, min_price_increment=Decimal("0.01"),
    currency="rub", api_trade_available=True, buy_available=True, sell_available=True,
    short_enabled=True, exchange="MOEX", active=True)
task = tasks.create_sellbuy(instrument=sber, direction="buy", amount=10_000_000)
print(json.dumps({"token": rotate_bot_token(), "instrument": sber.pk, "task": task.pk}))
"""


class Quiet:
    async def notify(self, event: Event) -> None:
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fill_journal(recorder: BaseRecorder, instrument: int, task: int, orders: int) -> None:
    for _ in range(orders):
        cid = str(uuid.uuid4())
        recorder.record_order(
            NewOrder(
                cid, instrument, "buy", "limit", Decimal("100.00"), 1, "prepared", "sellbuy", task
            )
        )
        recorder.update_order(
            OrderUpdate(cid, "filled", broker_order_id=f"B-{cid}", lots_executed=1)
        )
        recorder.record_fill(NewFill(cid, f"T-{cid}", 10, Decimal("100.00"), datetime.now(UTC)))


async def flush(
    url: str, token: str, ids: dict[str, int], orders: int, batch: int
) -> dict[str, float]:
    requests = 0
    async with BaseClient(url, token) as client:
        single = (client.record_order, client.update_order, client.record_fill, client.record_batch)

        def counting(call):  # type: ignore[no-untyped-def]
            async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
                nonlocal requests
                requests += 1
                return await call(*args, **kwargs)

            return counted

        client.record_order, client.update_order, client.record_fill, client.record_batch = (  # type: ignore[method-assign]
            counting(call) for call in single
        )
        with tempfile.TemporaryDirectory() as state:
            journal = Journal(Path(state))  # fsynced, as in production
            recorder = BaseRecorder(client, journal, Quiet(), SystemClock(), batch_size=batch)
            fill_journal(recorder, ids["instrument"], ids["task"], orders)
            records = len(journal)
            started = time.perf_counter()
            recorder.start()
            await recorder.wait_flushed()
            seconds = time.perf_counter() - started
            await recorder.close()
        floor = []
        for _ in range(20):
            t0 = time.perf_counter()
            await client.health()
            floor.append((time.perf_counter() - t0) * 1000)
    return {
        "records": records,
        "requests": requests,
        "seconds": round(seconds, 2),
        "ms_per_record": round(seconds * 1000 / records, 2),
        "floor_health_ms_p50": round(statistics.median(floor), 2),
    }


def main() -> None:
    orders = int(os.environ.get("BENCH_JOURNAL_ORDERS", "100"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "TRADEMAN_ENV": "development",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": f"sqlite:///{tmp}/base.sqlite3",
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO),
        }
        manage = [sys.executable, str(REPO / "trademan" / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=REPO)
        out = subprocess.run(
            [*manage, "shell", "-c", "import json\n" + SETUP],
            env=env,
            check=True,
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout
        ids = json.loads(out.strip().splitlines()[-1])
        port = free_port()
        server = subprocess.Popen(
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/api/v1/"
            deadline = time.monotonic() + 60
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            for batch in (1, 100):
                figures = asyncio.run(flush(url, ids["token"], ids, orders, batch))
                print(
                    json.dumps(
                        {
                            "journal_flush": "batch" if batch > 1 else "one per request",
                            "batch_size": batch,
                            **figures,
                        }
                    ),
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(20)


if __name__ == "__main__":
    main()
