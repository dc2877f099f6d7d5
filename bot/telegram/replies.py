"""Where a handler's answer goes: the chat of the message or of the pressed button."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message, Update


def chat_of(event: Message | CallbackQuery | Update | None) -> int | None:
    if isinstance(event, Update):
        event = event.message or event.callback_query
    if isinstance(event, Message):
        return event.chat.id
    if isinstance(event, CallbackQuery):
        if event.message is not None:
            return event.message.chat.id
        return event.from_user.id
    return None
