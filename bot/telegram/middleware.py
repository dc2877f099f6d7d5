"""Owner-only gate: an OUTER middleware on messages and callback queries.

Anyone who is not a configured owner is ignored (no reply, nothing runs) and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

log = logging.getLogger(__name__)


class OwnerOnly(BaseMiddleware):
    def __init__(self, owner_ids: Iterable[int]) -> None:
        self.owner_ids = frozenset(owner_ids)
        self.ignored = 0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and user.id in self.owner_ids:
            return await handler(event, data)
        self.ignored += 1
        what = "callback" if isinstance(event, CallbackQuery) else type(event).__name__.lower()
        content = ""
        if isinstance(event, Message):
            content = (event.text or event.caption or "")[:100]
        elif isinstance(event, CallbackQuery):
            content = (event.data or "")[:64]
        log.warning(
            "ignored %s from a stranger: id=%s username=%s: %r",
            what,
            user.id if user else None,
            user.username if user else None,
            content,
        )
        return None
