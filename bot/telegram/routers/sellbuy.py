"""/sellbuy, /sell, /buy and /dump.

A sale that would open or increase a short, and a /dump of what a spread's leg holds, are asked
with Confirm / Cancel first (the engine decides and raises NeedsConfirmation; this router asks
and, on Confirm, repeats the command allowing what the owner agreed to)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.commands.parsing import ParseError, parse_sellbuy, parse_ticker
from bot.engine.events import Direction
from bot.engine.interface import JobInfo, NeedsConfirmation, SellBuyOrder, Trader
from bot.telegram.confirm import Confirmations, ask
from bot.telegram.outbox import Outbox
from bot.texts import Texts
from bot.texts.format import format_money
from bot.texts.render import (
    render_order,
    render_parse_error,
    render_started,
    render_started_one,
    render_user_error,
)


def _started_by_sum(texts: Texts, order: SellBuyOrder, job: JobInfo) -> str:
    """The reply to /sell or /buy: the job, and for a sum what it became."""
    text = render_started_one(texts, job)
    if order.money is None:
        return text
    if order.direction == "sell":
        return text + "\n" + texts("safety.sell_sum_fixed", amount=job.amount)
    money = format_money(order.money or Decimal(0), texts.language)
    return text + "\n" + texts("safety.buy_sum_budget", sum=money, amount=job.amount)


async def _start_with_consent(
    start: Callable[[int], Awaitable[JobInfo]],
    started: Callable[[JobInfo], str],
    chat_id: int,
    texts: Texts,
    outbox: Outbox,
    confirmations: Confirmations,
    consent: int = 0,
) -> None:
    """Start a job allowing `consent` (pieces the owner agreed to); when the engine needs more
    consent, ask with Confirm / Cancel and, on Confirm, start again allowing what was asked."""
    try:
        job = await start(consent)
    except NeedsConfirmation as question:
        granted = question.consent

        async def confirmed() -> None:
            await _start_with_consent(
                start, started, chat_id, texts, outbox, confirmations, granted
            )

        ask(outbox, confirmations, texts, chat_id, render_user_error(texts, question), confirmed)
        return
    outbox.send(chat_id, started(job))


def make_router() -> Router:
    router = Router(name="sellbuy")

    @router.message(Command("sellbuy"))
    async def sellbuy(message: Message, trader: Trader, texts: Texts, outbox: Outbox) -> None:
        outbox.send(message.chat.id, texts("sellbuy.started_all"))
        outbox.send(message.chat.id, render_started(texts, await trader.start_sellbuy_all()))

    @router.message(Command("sell", "buy"))
    async def sell_or_buy(
        message: Message,
        command: CommandObject,
        trader: Trader,
        texts: Texts,
        outbox: Outbox,
        confirmations: Confirmations,
    ) -> None:
        direction: Direction = "sell" if command.command.lower() == "sell" else "buy"
        order = parse_sellbuy(direction, command.args)
        if isinstance(order, ParseError):
            outbox.send(message.chat.id, render_parse_error(texts, order))
            return
        chat_id = message.chat.id
        outbox.send(chat_id, render_order(texts, order))
        await _start_with_consent(
            lambda allow: trader.start_sellbuy(order, allow_short=allow),
            lambda job: _started_by_sum(texts, order, job),
            chat_id,
            texts,
            outbox,
            confirmations,
        )

    @router.message(Command("dump"))
    async def dump(
        message: Message,
        command: CommandObject,
        trader: Trader,
        texts: Texts,
        outbox: Outbox,
        confirmations: Confirmations,
    ) -> None:
        ticker = parse_ticker(command.args)
        if isinstance(ticker, ParseError):
            outbox.send(message.chat.id, render_parse_error(texts, ticker))
            return
        chat_id = message.chat.id
        outbox.send(chat_id, texts("dump.starting", ticker=ticker))
        await _start_with_consent(
            lambda allow: trader.start_dump(ticker, allow_spread_legs=allow),
            lambda job: render_started_one(texts, job),
            chat_id,
            texts,
            outbox,
            confirmations,
        )

    return router
