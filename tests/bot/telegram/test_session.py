"""bot/telegram/session.py reads Bot API answers with fewer compiled validators than aiogram's own
`check_response`; these tests hold it to aiogram's results and exceptions on the same answers,
so an aiogram upgrade that changes either fails here."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    EditMessageText,
    GetChatAdministrators,
    GetMe,
    GetUpdates,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import Message, Update

from bot.telegram.session import LeanAiohttpSession

TOKEN = "42:TEST"
CHAT = {"id": 7, "type": "private", "first_name": "Owner"}
USER = {"id": 7, "is_bot": False, "first_name": "Owner", "language_code": "ru"}
MESSAGE = {
    "message_id": 11,
    "date": 1764806400,
    "chat": CHAT,
    "from": USER,
    "text": "Готово: 3 шт",
    "entities": [{"type": "bold", "offset": 0, "length": 6}],
    "reply_markup": {"inline_keyboard": [[{"text": "OK", "callback_data": "c:1"}]]},
}
UPDATES = [
    {"update_id": 1, "message": {**MESSAGE, "text": "/stats", "message_id": 12}},
    {
        "update_id": 2,
        "callback_query": {
            "id": "q1",
            "from": USER,
            "chat_instance": "ci",
            "data": "confirm:abc",
            "message": MESSAGE,
        },
    },
]


@pytest.fixture
async def sessions() -> Any:
    lean, plain = LeanAiohttpSession(), AiohttpSession()
    bot = Bot(TOKEN, session=lean)
    yield bot, lean, plain
    await lean.close()
    await plain.close()


def _answer(result: Any) -> str:
    return json.dumps({"ok": True, "result": result})


def _dump(value: Any) -> Any:
    if isinstance(value, list):
        return [_dump(item) for item in value]
    if hasattr(value, "model_dump"):
        return (type(value).__name__, value.model_dump())
    return value


@pytest.mark.parametrize(
    ("method", "result"),
    [
        (SendMessage(chat_id=7, text="x"), MESSAGE),
        (EditMessageText(chat_id=7, message_id=11, text="y"), MESSAGE),
        (EditMessageText(inline_message_id="i", text="y"), True),
        (GetUpdates(), UPDATES),
        (GetUpdates(), []),
        (AnswerCallbackQuery(callback_query_id="q1"), True),
        (CopyMessage(chat_id=7, from_chat_id=7, message_id=11), {"message_id": 99}),
        (GetMe(), {"id": 1, "is_bot": True, "first_name": "Trademan", "username": "tm_bot"}),
        (
            GetChatAdministrators(chat_id=7),
            [{"status": "creator", "user": USER, "is_anonymous": False}],
        ),
    ],
    ids=[
        "sent message",
        "edited message",
        "edited inline (True)",
        "updates",
        "no updates",
        "bool",
        "model",
        "user",
        "list of a union",
    ],
)
async def test_results_equal_aiogram_s(
    sessions: Any, method: TelegramMethod[Any], result: Any
) -> None:
    bot, lean, plain = sessions
    ours = lean.check_response(bot, method, 200, _answer(result)).result
    theirs = plain.check_response(bot, method, 200, _answer(result)).result
    assert _dump(ours) == _dump(theirs)
    assert type(ours) is type(theirs)


async def test_a_sent_message_is_bound_to_the_bot(sessions: Any) -> None:
    bot, lean, _ = sessions
    message = lean.check_response(bot, SendMessage(chat_id=7, text="x"), 200, _answer(MESSAGE))
    assert isinstance(message.result, Message)
    assert message.result.bot is bot  # its shortcuts (answer, edit_text) work
    assert message.result.chat.id == 7 and message.result.message_id == 11


async def test_updates_are_bound_to_the_bot(sessions: Any) -> None:
    bot, lean, _ = sessions
    updates = lean.check_response(bot, GetUpdates(), 200, _answer(UPDATES)).result
    assert [type(u) for u in updates] == [Update, Update]
    assert updates[1].callback_query.message.bot is bot


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            400,
            {"ok": False, "error_code": 400, "description": "Bad Request: x"},
            TelegramBadRequest,
        ),
        (403, {"ok": False, "error_code": 403, "description": "Forbidden"}, TelegramForbiddenError),
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 5",
                "parameters": {"retry_after": 5},
            },
            TelegramRetryAfter,
        ),
        (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, TelegramServerError),
        (200, {"ok": False, "error_code": 400, "description": "odd"}, TelegramAPIError),
    ],
)
async def test_errors_are_aiogram_s(
    sessions: Any, status: int, body: dict[str, Any], error: type[Exception]
) -> None:
    bot, lean, plain = sessions
    method = SendMessage(chat_id=7, text="x")
    with pytest.raises(error) as ours:
        lean.check_response(bot, method, status, json.dumps(body))
    with pytest.raises(error) as theirs:
        plain.check_response(bot, method, status, json.dumps(body))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "content",
    ["not json", json.dumps({"ok": True, "result": {"message_id": "eleven"}}), "[]"],
    ids=["not JSON", "a result that is no message", "no envelope"],
)
async def test_undecodable_answers_raise_client_decode_error(sessions: Any, content: str) -> None:
    bot, lean, _ = sessions
    with pytest.raises(ClientDecodeError):
        lean.check_response(bot, SendMessage(chat_id=7, text="x"), 200, content)
