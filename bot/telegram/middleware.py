"""Owner-only gate: an OUTER middleware on messages and callback queries.

Only an owner in an allowed chat drives the bot: the owner's private chat with the bot, or a chat
listed in TELEGRAM_CHAT_IDS. Anything else — a stranger anywhere, an owner's command in a group —
is ignored (no reply, no button answer, nothing runs) and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, User

log = logging.getLogger(__name__)


class OwnerOnly(BaseMiddleware):
    def __init__(self, owner_ids: Iterable[int], chat_ids: Iterable[int] = ()) -> None:
        self.owner_ids = frozenset(owner_ids)
        self.chat_ids = frozenset(chat_ids)
        self.ignored = 0

    def chat_allowed(self, user: User, chat: Chat | None) -> bool:
        if chat is None:  # a button under an inline-mode message: no chat to answer in
            return False
        if chat.id in self.chat_ids:
            return True
        return chat.type == "private" and chat.id == user.id

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        owner = user is not None and user.id in self.owner_ids
        if owner and user is not None and self.chat_allowed(user, chat):
            return await handler(event, data)
        self.ignored += 1
        what = "callback" if isinstance(event, CallbackQuery) else type(event).__name__.lower()
        content = ""
        if isinstance(event, Message):
            content = (event.text or event.caption or "")[:100]
        elif isinstance(event, CallbackQuery):
            content = (event.data or "")[:64]
        if owner:
            log.warning(
                "ignored %s from an owner in a chat that may not drive the bot: "
                "chat=%s type=%s (only the private chat or TELEGRAM_CHAT_IDS): %r",
                what,
                chat.id if chat else None,
                chat.type if chat else None,
                content,
            )
        else:
            log.warning(
                "ignored %s from a stranger: id=%s username=%s chat=%s: %r",
                what,
                user.id if user else None,
                user.username if user else None,
                chat.id if chat else None,
                content,
            )
        return None
