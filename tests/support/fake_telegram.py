"""Test harness for the Telegram layer: a Bot on the fake session, the real dispatcher and
outbox, and a scriptable fake Trader."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiogram import Bot, Dispatcher

from bot.engine import events as ev
from bot.engine.interface import (
    CatalogueUpdate,
    ComponentHealth,
    Health,
    JobInfo,
    NeedsConfirmation,
    Notifier,
    SellBuyOrder,
    SpreadQuote,
    UserError,
)
from bot.engine.scanners.report import DividendReport, Requests, ScanReport
from bot.telegram.dispatcher import create_dispatcher
from bot.telegram.fake_session import FakeSession
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.outbox import Outbox
from bot.telegram.updates import callback_update, message_update
from bot.texts import Texts

OWNER = 1001
STRANGER = 666
AT = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


@dataclass
class FakeTrader:
    """Answers like the engine; `fail[method]` makes that call raise the given exception."""

    notifier: Notifier | None = None
    running: list[JobInfo] = field(default_factory=list)
    fail: dict[str, BaseException] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    health_result: Health = field(
        default_factory=lambda: Health(
            "paper", ComponentHealth(True, 2.0), ComponentHealth(True, 5.0), "sim-account-1"
        )
    )
    catalogue: CatalogueUpdate = field(default_factory=lambda: CatalogueUpdate(3, 1, 0, 10))
    active_tasks: int = 2
    # /spreads starts one job per title; /sprices answers `quotes`; none -> no_active_spreads
    spread_titles: list[str] = field(default_factory=lambda: ["sell SRM6/SBER"])
    quotes: list[SpreadQuote] = field(default_factory=list)
    # /scan and /dscan answer these (tests/bot/telegram/scan_data.py builds full ones)
    scan_report: ScanReport = field(
        default_factory=lambda: ScanReport((), Decimal(12), 0, 0, 0, Requests(), AT, 0.1)
    )
    dividend_report: DividendReport = field(
        default_factory=lambda: DividendReport((), Decimal(12), 0, 0, Requests(), AT, 0.1)
    )
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    # a sale opens a short of this many pieces (asked first); /dump takes this many from legs
    short_by: int = 0
    dump_from_legs: int = 0
    _next_id: int = 1

    def _call(self, name: str, argument: Any = None) -> None:
        self.calls.append((name, argument))
        if name in self.fail:
            raise self.fail[name]

    def _job(self, title: str, amount: int, kind: ev.JobKind = "sellbuy") -> JobInfo:
        job = JobInfo(str(self._next_id), kind, title, 0, amount, None, "running", AT)
        self._next_id += 1
        self.running.append(job)
        self.idle.clear()
        return job

    async def _emit(self, event: ev.Event) -> None:
        if self.notifier is not None:
            await self.notifier.notify(event)

    async def health(self) -> Health:
        self._call("health")
        return self.health_result

    def jobs(self) -> list[JobInfo]:
        self._call("jobs")
        return list(self.running)

    async def stop(self, job_id: str | None = None) -> list[JobInfo]:
        self._call("stop", job_id)
        chosen = [job for job in self.running if job_id is None or job.job_id == job_id]
        if job_id is not None and not chosen:
            raise UserError("job_not_found", job_id=job_id)
        for job in chosen:
            self.running.remove(job)
            await self._emit(
                ev.JobFinished(
                    job.job_id,
                    AT,
                    job.kind,
                    job.title,
                    "stopped",
                    job.executed,
                    job.amount,
                    job.average_price,
                    "stopped_by_owner",
                )
            )
        if not self.running:
            self.idle.set()
        return chosen

    async def start_sellbuy_all(self) -> list[JobInfo]:
        self._call("start_sellbuy_all")
        return [
            self._job(f"sell {10 * (i + 1)} SBER", 10 * (i + 1)) for i in range(self.active_tasks)
        ]

    async def start_sellbuy(self, order: SellBuyOrder, *, allow_short: int = 0) -> JobInfo:
        self._call("start_sellbuy", order)
        if order.direction == "sell" and self.short_by > allow_short:
            raise NeedsConfirmation(
                "safety.short_needs_consent",
                consent=self.short_by,
                ticker=order.ticker,
                amount=order.amount,
                position=0,
                short=self.short_by,
                after=-self.short_by,
            )
        amount = order.amount if order.amount is not None else 100
        job = self._job(f"{order.direction} {amount} {order.ticker}", amount)
        await self._emit(ev.JobStarted(job.job_id, AT, "sellbuy", job.title, amount))
        return job

    async def start_dump(self, ticker: str, *, allow_spread_legs: int = 0) -> JobInfo:
        self._call("start_dump", ticker)
        if self.dump_from_legs > allow_spread_legs:
            raise NeedsConfirmation(
                "safety.dump_spread_leg",
                consent=self.dump_from_legs,
                ticker=ticker,
                position=50,
                pieces=self.dump_from_legs,
                spreads="S5",
            )
        return self._job(f"sell 50 {ticker}", 50)

    async def start_spreads_all(self) -> list[JobInfo]:
        self._call("start_spreads_all")
        if not self.spread_titles:
            raise UserError("no_active_spreads")
        running = {job.title for job in self.running}
        started = [
            self._job(title, 5, "spread") for title in self.spread_titles if title not in running
        ]
        for job in started:
            await self._emit(ev.JobStarted(job.job_id, AT, "spread", job.title, job.amount))
        return started

    async def spread_prices(self) -> list[SpreadQuote]:
        self._call("spread_prices")
        if not self.spread_titles:
            raise UserError("no_active_spreads")
        return list(self.quotes)

    async def update_catalogue(self) -> CatalogueUpdate:
        self._call("update_catalogue")
        return self.catalogue

    async def scan(self, rate: Decimal | None = None) -> ScanReport:
        self._call("scan", rate)
        return self.scan_report

    async def dividend_scan(self, top: int = 50) -> DividendReport:
        self._call("dividend_scan", top)
        return self.dividend_report

    async def finish(self, job_id: str, price: Decimal) -> None:
        """Fill the whole job at `price` and finish it (what a market would do)."""
        job = next(j for j in self.running if j.job_id == job_id)
        await self._emit(
            ev.OrderFilled(
                job_id, AT, "SBER", "sell", job.amount, price, job.amount, job.amount, price
            )
        )
        self.running.remove(job)
        await self._emit(
            ev.JobFinished(job_id, AT, "sellbuy", job.title, "done", job.amount, job.amount, price)
        )
        if not self.running:
            self.idle.set()

    async def wait_idle(self) -> None:
        if self.running:
            await self.idle.wait()

    async def close(self) -> None:
        self._call("close")
        if self.running:
            await self.stop()
        self.closed = True


@dataclass
class Harness:
    session: FakeSession
    bot: Bot
    outbox: Outbox
    dp: Dispatcher
    trader: FakeTrader
    texts: Texts

    async def send(self, text: str, user_id: int = OWNER) -> Any:
        result = await self.dp.feed_raw_update(self.bot, message_update(user_id, text))
        await self.outbox.join()
        return result

    async def press(self, data: str, message: dict[str, Any] | None, user_id: int = OWNER) -> Any:
        result = await self.dp.feed_raw_update(self.bot, callback_update(user_id, data, message))
        await self.outbox.join()
        return result

    def replies(self) -> list[str]:
        """Every line the owner received (the outbox may join short messages into one)."""
        return [line for text in self.session.texts(OWNER) for line in text.split("\n")]

    def last(self) -> str:
        lines = self.replies()
        assert lines, "the bot sent nothing"
        return lines[-1]


async def make_harness(
    language: str = "en",
    *,
    trader: FakeTrader | None = None,
    outbox_factory: Callable[[Bot], Outbox] | None = None,
    startup: bool = True,
    chat_ids: list[int] | None = None,
) -> Harness:
    session = FakeSession()
    bot = Bot("4242:TEST-token", session=session)
    outbox = outbox_factory(bot) if outbox_factory else Outbox(bot, pace=0)
    texts = Texts(language)
    trader = trader or FakeTrader()
    trader.notifier = TelegramNotifier(outbox, [OWNER], texts)
    dp = create_dispatcher(
        trader=trader,
        texts=texts,
        outbox=outbox,
        owner_ids=[OWNER],
        chat_ids=chat_ids or [],
        mode="paper",
    )
    if startup:
        await dp.emit_startup(bot=bot)
    return Harness(session, bot, outbox, dp, trader, texts)


async def run_close(outbox: Outbox, *others: Callable[[], Awaitable[None]]) -> None:
    await outbox.close(timeout=5)
    for close in others:
        await close()
