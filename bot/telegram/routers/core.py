"""/start and /help."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.telegram.outbox import Outbox
from bot.texts import Texts


def make_router() -> Router:
    router = Router(name="core")

    @router.message(CommandStart())
    async def start(message: Message, texts: Texts, outbox: Outbox, mode: str) -> None:
        outbox.send(message.chat.id, texts("start", mode=texts(f"mode.{mode}")))

    @router.message(Command("help"))
    async def help_(message: Message, texts: Texts, outbox: Outbox) -> None:
        lines = texts("help").split("\n")
        # the stop-order family's lines go before the closing note on numbers
        lines[-1:-1] = texts("stops.help").split("\n")
        outbox.send(message.chat.id, "\n".join(lines))

    return router
