"""Console mode in-process: stdin lines are owner messages, a number presses a button, output
is printed as it happens, end of input waits for the jobs (or stops them with --exit-on-eof)."""

from __future__ import annotations

import asyncio
import io
import os
from dataclasses import dataclass
from decimal import Decimal

import pytest

from bot.config import BotConfig
from bot.console import Console
from bot.engine.interface import Notifier
from tests.support.fake_telegram import FakeTrader


class Output(io.StringIO):
    """stdout that tests can wait on."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def write(self, text: str) -> int:
        self.changed.set()
        return super().write(text)

    async def wait_for(self, needle: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        async def until() -> None:
            while needle not in self.getvalue():
                self.changed.clear()
                await self.changed.wait()

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            raise AssertionError(f"{needle!r} never printed; output:\n{self.getvalue()}") from None


@dataclass
class FakeApp:
    trader: FakeTrader
    closed: bool = False

    async def close(self) -> None:
        await self.trader.close()
        self.closed = True


def make_console(
    lines: str | io.TextIOBase, trader: FakeTrader, language: str = "en"
) -> tuple[Console, Output, list[FakeApp]]:
    config = BotConfig(_env_file=None, bot_language=language, telegram_owner_ids=[55])  # type: ignore[call-arg]
    out = Output()
    apps: list[FakeApp] = []

    async def factory(config: BotConfig, notifier: Notifier) -> FakeApp:
        trader.notifier = notifier
        apps.append(FakeApp(trader))
        return apps[-1]

    stdin = io.StringIO(lines) if isinstance(lines, str) else lines
    console = Console(config, stdin=stdin, stdout=out, trader_factory=factory)  # type: ignore[arg-type]
    return console, out, apps


async def test_lines_are_commands_and_a_number_presses_a_button() -> None:
    trader = FakeTrader()
    console, out, apps = make_console("/help\n/sell 10 SBER\n\n/tasks\n1\n/tasks\n", trader)
    assert await console.run(exit_on_eof=True) == 0
    text = out.getvalue()
    assert "« Commands:" in text
    assert "» /sell 10 SBER" in text
    assert "Selling 10 SBER…" in text
    assert "[1] Stop #1" in text
    assert "  (Stopping #1…)" in text  # the button press was answered
    assert "Stopped: 1." in text
    assert text.rstrip().endswith("« No running tasks.")
    assert ("stop", "1") in trader.calls
    assert apps[0].closed


async def test_exit_on_eof_stops_running_jobs() -> None:
    trader = FakeTrader()
    console, out, apps = make_console("/sell 10 SBER\n", trader)
    assert await console.run(exit_on_eof=True) == 0
    assert trader.running == []
    assert "⏹ #1 sell 10 SBER stopped: [0/10]" in out.getvalue()
    assert apps[0].closed


async def test_end_of_input_waits_until_every_job_has_finished() -> None:
    trader = FakeTrader()
    console, out, _ = make_console("/sell 10 SBER\n", trader)
    run = asyncio.create_task(console.run(exit_on_eof=False))
    await out.wait_for("End of input: waiting for 1 running task to finish")
    assert not run.done()
    await trader.finish("1", Decimal("280.5"))
    assert await asyncio.wait_for(run, 30) == 0
    assert "✅ #1 sell 10 SBER done: [10/10] avg 280.5" in out.getvalue()
    assert ("stop", None) not in trader.calls  # finished on its own, not stopped


async def test_stop_signal_stops_the_jobs_cleanly() -> None:
    read_fd, write_fd = os.pipe()
    writer = os.fdopen(write_fd, "w")
    reader = os.fdopen(read_fd, "r")
    try:
        trader = FakeTrader()
        console, out, _ = make_console(reader, trader)  # type: ignore[arg-type]
        run = asyncio.create_task(console.run(exit_on_eof=False))
        writer.write("/sell 5 GAZP\n")
        writer.flush()
        await out.wait_for("Started #1")
        console.stopping.set()  # what SIGINT/SIGTERM do
        assert await asyncio.wait_for(run, 30) == 0
        assert "Stopping every task…" in out.getvalue()
        assert "⏹ #1 sell 5 GAZP stopped" in out.getvalue()
        assert trader.running == []
    finally:
        writer.close()
        reader.close()


async def test_the_console_itself_speaks_the_owners_language() -> None:
    """Its own lines too: the banner, waiting at end of input, stopping on a signal."""
    read_fd, write_fd = os.pipe()
    writer = os.fdopen(write_fd, "w")
    reader = os.fdopen(read_fd, "r")
    try:
        trader = FakeTrader()
        console, out, _ = make_console(reader, trader, language="ru")  # type: ignore[arg-type]
        run = asyncio.create_task(console.run(exit_on_eof=False))
        writer.write("/sell 5 GAZP\n/sell 10 SBER\n")
        writer.close()
        await out.wait_for("Ввод окончен: жду, пока закончатся 2 работающие задачи")
        console.stopping.set()
        assert await asyncio.wait_for(run, 30) == 0
        text = out.getvalue()
        assert "Консоль Trademan (учебная торговля на симуляторе)" in text
        assert "Останавливаю все задачи…" in text
        for english in ("Stopping", "Trademan console", "End of input", "task(s)"):
            assert english not in text, english
    finally:
        reader.close()


async def test_console_speaks_russian_by_default_config() -> None:
    trader = FakeTrader()
    console, out, _ = make_console("/tasks\n/sell SBER\n", trader, language="ru")
    await console.run(exit_on_eof=True)
    assert "« Нет работающих задач." in out.getvalue()
    assert "Формат: /sell ТИКЕР СУММА" in out.getvalue()


@pytest.mark.parametrize("line", ["7", "0"])
async def test_a_number_without_such_button_is_a_message(line: str) -> None:
    trader = FakeTrader()
    console, out, _ = make_console(f"{line}\n", trader)
    await console.run(exit_on_eof=True)
    assert "Send a command; /help lists them." in out.getvalue()


async def test_scan_prints_a_plain_table_and_the_csv() -> None:
    from tests.support.scan_reports import scan_report

    trader = FakeTrader(scan_report=scan_report(matched=3, shown=3))
    console, out, _ = make_console("/scan 7,5\n/scan x\n", trader)
    assert await console.run(exit_on_eof=True) == 0
    text = out.getvalue()
    assert "« Scanning the market for spreads…" in text
    assert " 1 F001M6/S001      99  199.7 ·*" in text  # the table, without its HTML
    assert "<pre>" not in text
    assert "[scan-20260311-1200.csv]" in text
    first = "1,stock,F001M6,S001,100,31001,300.25,974.00,13706.25,99,2026-06-18,199.7,no,book"
    assert first in text
    assert "is not a rate in % a year" in text
    assert trader.calls[0] == ("scan", Decimal("7.5"))
