"""Anything no other router took: an unknown command or plain text (included last)."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message

from bot.telegram.outbox import Outbox
from bot.texts import Texts


def make_router() -> Router:
    router = Router(name="fallback")

    @router.message(F.text.startswith("/"))
    async def unknown_command(message: Message, texts: Texts, outbox: Outbox) -> None:
        command = (message.text or "").split()[0][:40]
        outbox.send(message.chat.id, texts("unknown_command", command=command))

    @router.message()
    async def not_a_command(message: Message, texts: Texts, outbox: Outbox) -> None:
        outbox.send(message.chat.id, texts("not_a_command"))

    @router.callback_query()
    async def stale_button(query: CallbackQuery, texts: Texts) -> None:
        with contextlib.suppress(TelegramAPIError):
            await query.answer(texts("error.callback_expired"))

    return router
