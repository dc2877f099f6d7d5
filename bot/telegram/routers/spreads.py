"""/spreads (run every active spread) and /sprices (spread prices now)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.engine.interface import Trader
from bot.telegram.outbox import Outbox
from bot.texts import Texts
from bot.texts.render import render_spread_quotes, render_started


def make_router() -> Router:
    router = Router(name="spreads")

    @router.message(Command("spreads"))
    async def spreads(message: Message, trader: Trader, texts: Texts, outbox: Outbox) -> None:
        outbox.send(message.chat.id, texts("spreads.started_all"))
        jobs = await trader.start_spreads_all()
        outbox.send(message.chat.id, render_started(texts, jobs, none_key="spreads.all_running"))

    @router.message(Command("sprices"))
    async def sprices(message: Message, trader: Trader, texts: Texts, outbox: Outbox) -> None:
        outbox.send(message.chat.id, texts("sprices.started"))
        quotes = await trader.spread_prices()
        outbox.send(message.chat.id, render_spread_quotes(texts, quotes))

    return router
