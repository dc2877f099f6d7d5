"""/health (alias /test): the Base and the broker, with latency."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.engine.interface import Trader
from bot.telegram.outbox import Outbox
from bot.texts import Texts
from bot.texts.render import render_health


def make_router() -> Router:
    router = Router(name="health")

    @router.message(Command("health", "test"))
    async def health(message: Message, trader: Trader, texts: Texts, outbox: Outbox) -> None:
        outbox.send(message.chat.id, texts("health.started"))
        outbox.send(message.chat.id, render_health(texts, await trader.health()))

    return router
