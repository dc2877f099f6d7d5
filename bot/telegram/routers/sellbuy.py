"""/sellbuy, /sell, /buy and /dump."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.commands.parsing import ParseError, parse_sellbuy, parse_ticker
from bot.engine.events import Direction
from bot.engine.interface import Trader
from bot.telegram.outbox import Outbox
from bot.texts import Texts
from bot.texts.render import (
    render_order,
    render_parse_error,
    render_started,
    render_started_one,
)


def make_router() -> Router:
    router = Router(name="sellbuy")

    @router.message(Command("sellbuy"))
    async def sellbuy(message: Message, trader: Trader, texts: Texts, outbox: Outbox) -> None:
        outbox.send(message.chat.id, texts("sellbuy.started_all"))
        outbox.send(message.chat.id, render_started(texts, await trader.start_sellbuy_all()))

    @router.message(Command("sell", "buy"))
    async def sell_or_buy(
        message: Message, command: CommandObject, trader: Trader, texts: Texts, outbox: Outbox
    ) -> None:
        direction: Direction = "sell" if command.command.lower() == "sell" else "buy"
        order = parse_sellbuy(direction, command.args)
        if isinstance(order, ParseError):
            outbox.send(message.chat.id, render_parse_error(texts, order))
            return
        outbox.send(message.chat.id, render_order(texts, order))
        outbox.send(message.chat.id, render_started_one(texts, await trader.start_sellbuy(order)))

    @router.message(Command("dump"))
    async def dump(
        message: Message, command: CommandObject, trader: Trader, texts: Texts, outbox: Outbox
    ) -> None:
        ticker = parse_ticker(command.args)
        if isinstance(ticker, ParseError):
            outbox.send(message.chat.id, render_parse_error(texts, ticker))
            return
        outbox.send(message.chat.id, texts("dump.starting", ticker=ticker))
        outbox.send(message.chat.id, render_started_one(texts, await trader.start_dump(ticker)))

    return router
