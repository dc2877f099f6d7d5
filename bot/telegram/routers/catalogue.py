"""/update: refresh the instrument catalogue from the broker."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.engine.interface import Trader
from bot.telegram.outbox import Outbox
from bot.texts import Texts
from bot.texts.render import render_catalogue_update


def make_router() -> Router:
    router = Router(name="catalogue")

    @router.message(Command("update"))
    async def update(message: Message, trader: Trader, texts: Texts, outbox: Outbox) -> None:
        outbox.send(message.chat.id, texts("update.started"))
        result = await trader.update_catalogue()
        outbox.send(message.chat.id, render_catalogue_update(texts, result))

    return router
