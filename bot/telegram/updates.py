"""Raw Telegram updates as the Bot API sends them (the console and the tests feed these)."""

from __future__ import annotations

import itertools
import time
from typing import Any

_ids = itertools.count(1)


def user(user_id: int, first_name: str = "Owner", username: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        data["username"] = username
    return data


def message_update(
    user_id: int,
    text: str,
    *,
    chat_id: int | None = None,
    message_id: int | None = None,
    chat_type: str = "private",
) -> dict[str, Any]:
    """A message (private unless `chat_type` says otherwise); a leading /command gets its
    bot_command entity like in Telegram."""
    chat: dict[str, Any] = {"id": chat_id if chat_id is not None else user_id, "type": chat_type}
    if chat_type != "private":
        chat["title"] = "A group"
    message: dict[str, Any] = {
        "message_id": message_id or next(_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": user(user_id),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": next(_ids), "message": message}


def callback_update(
    user_id: int, data: str, message: dict[str, Any] | None, *, chat_id: int | None = None
) -> dict[str, Any]:
    """A press of an inline button under `message` (as the bot sent it)."""
    query: dict[str, Any] = {
        "id": str(next(_ids)),
        "from": user(user_id),
        "chat_instance": str(chat_id if chat_id is not None else user_id),
        "data": data,
    }
    if message is not None:
        query["message"] = message
    return {"update_id": next(_ids), "callback_query": query}
