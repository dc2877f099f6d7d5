"""A Telegram stand-in inside the process: an aiogram session that answers like the Bot API.

Used by console mode (with a printer) and by tests (which read `requests` and can script
errors). Answers are built as `{"ok": true, "result": ...}` and passed through
`check_response`, so returned messages are bound to the bot and errors become the same aiogram
exceptions the real session raises. Telegram's limits are enforced: text up to 4096 characters,
captions up to 1024, callback data up to 64 bytes, and editing a message to the same content is
"message is not modified".
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, InputFile

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
BOT_ID = 4242
BOT_USERNAME = "trademan_test_bot"

_TRUE_METHODS = frozenset(
    {
        "answerCallbackQuery",
        "setMyCommands",
        "deleteMyCommands",
        "deleteMessage",
        "deleteWebhook",
        "setMyDescription",
        "setMyShortDescription",
        "sendChatAction",
        "close",
        "logOut",
    }
)


@dataclass(frozen=True, slots=True)
class Failure:
    """A scripted error answer: `{"ok": false, "error_code": status, "description": ...}`."""

    status: int
    description: str
    retry_after: int | None = None
    network: bool = False  # raise TelegramNetworkError instead of answering


def retry_after(seconds: int) -> Failure:
    return Failure(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)


def network_error() -> Failure:
    return Failure(0, "Connection reset by peer", network=True)


def bad_request(description: str) -> Failure:
    return Failure(400, f"Bad Request: {description}")


@dataclass(slots=True)
class Request:
    """One call the bot made: the API method name, its parameters, and the answer given."""

    method: str
    params: dict[str, Any]
    ok: bool = True
    result: Any = None
    error: str | None = None
    document: bytes | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return (
            int(value)
            if isinstance(value, int | str) and str(value).lstrip("-").isdigit()
            else None
        )

    @property
    def text(self) -> str | None:
        value = self.params.get("text")
        return value if isinstance(value, str) else None

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every inline button, row by row."""
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or [] if isinstance(markup, dict) else []
        return [
            (str(button.get("text", "")), str(button.get("callback_data", "")))
            for row in rows
            for button in row
        ]


Printer = Callable[[Request], None]


class FakeSession(BaseSession):
    def __init__(
        self, *, printer: Printer | None = None, bot_id: int = BOT_ID, username: str = BOT_USERNAME
    ) -> None:
        super().__init__()
        self.printer = printer
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Trademan",
            "username": username,
        }
        self.requests: list[Request] = []
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._message_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._changed = asyncio.Event()
        self.closed = False

    # -- scripting -------------------------------------------------------------------------

    def fail(self, method: str, *failures: Failure) -> None:
        """The next calls of `method` (e.g. "sendMessage") answer with these errors, in order."""
        self._failures[method].extend(failures)

    # -- reading what was sent -------------------------------------------------------------

    def calls(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.method == method]

    def sent(self, chat_id: int | None = None) -> list[Request]:
        """Successful sendMessage/sendDocument calls (optionally to one chat)."""
        return [
            r
            for r in self.requests
            if r.ok
            and r.method in ("sendMessage", "sendDocument")
            and (chat_id is None or r.chat_id == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [r.text or str(r.params.get("caption") or "") for r in self.sent(chat_id)]

    def transcript(self) -> str:
        return "\n---\n".join(self.texts())

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        return self._messages.get((chat_id, message_id))

    async def wait_for(
        self,
        condition: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
        what: str = "",
    ) -> None:
        """Wait until `condition()` holds (checked after every request), or fail saying why."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out waiting for {what or condition}; bot sent so far:\n"
                    + self.transcript()
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    # -- BaseSession -----------------------------------------------------------------------

    async def close(self) -> None:
        self.closed = True

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        name = method.__api_method__
        params = self._params(method)
        request = Request(name, params)
        request.document = self._document_bytes(method)
        self.requests.append(request)
        try:
            status, body = self._answer(name, params, request)
            if status == 0:
                raise TelegramNetworkError(method=method, message=str(body["description"]))
            try:
                return self.check_response(
                    bot=bot, method=method, status_code=status, content=json.dumps(body)
                ).result  # type: ignore[return-value]
            except Exception as exc:
                request.ok = False
                request.error = str(exc)
                raise
        finally:
            self._changed.set()
            if self.printer is not None:
                self.printer(request)

    # -- answers ---------------------------------------------------------------------------

    @staticmethod
    def _params(method: TelegramMethod[Any]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for name in type(method).model_fields:
            value = getattr(method, name)
            if value is None:
                continue
            if isinstance(value, InputFile):
                params[name] = {"filename": value.filename}
            elif hasattr(value, "model_dump"):
                params[name] = value.model_dump(mode="json", exclude_none=True)
            elif isinstance(value, list):
                params[name] = [
                    v.model_dump(mode="json", exclude_none=True) if hasattr(v, "model_dump") else v
                    for v in value
                ]
            else:
                params[name] = value
        return params

    @staticmethod
    def _document_bytes(method: TelegramMethod[Any]) -> bytes | None:
        document = getattr(method, "document", None) or getattr(method, "photo", None)
        return document.data if isinstance(document, BufferedInputFile) else None

    def _error(self, request: Request, failure: Failure) -> tuple[int, dict[str, Any]]:
        request.ok = False
        request.error = failure.description
        body: dict[str, Any] = {
            "ok": False,
            "error_code": failure.status,
            "description": failure.description,
        }
        if failure.retry_after is not None:
            body["parameters"] = {"retry_after": failure.retry_after}
        return failure.status, body

    def _answer(
        self, name: str, params: dict[str, Any], request: Request
    ) -> tuple[int, dict[str, Any]]:
        if self._failures[name]:
            return self._error(request, self._failures[name].popleft())
        problem = self._check_limits(params)
        if problem is not None:
            return self._error(request, bad_request(problem))
        result: Any
        if name == "getMe":
            result = self.bot_user
        elif name in ("sendMessage", "sendDocument", "sendPhoto"):
            result = self._new_message(name, params)
        elif name == "editMessageText":
            edited = self._edit(params)
            if isinstance(edited, str):
                return self._error(request, bad_request(edited))
            result = edited
        elif name == "editMessageReplyMarkup":
            key = (int(params["chat_id"]), int(params["message_id"]))
            if key not in self._messages:
                return self._error(request, bad_request("message to edit not found"))
            if params.get("reply_markup"):
                self._messages[key]["reply_markup"] = params["reply_markup"]
            else:  # Telegram takes the keyboard away
                self._messages[key].pop("reply_markup", None)
            result = self._messages[key]
        elif name in _TRUE_METHODS:
            result = True
        elif name == "getUpdates":
            result = []
        else:
            return self._error(request, bad_request(f"method {name} is not faked"))
        request.result = result
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _check_limits(params: dict[str, Any]) -> str | None:
        text = params.get("text")
        if isinstance(text, str):
            if not text.strip():
                return "message text is empty"
            if len(text) > TEXT_LIMIT:
                return "message is too long"
        caption = params.get("caption")
        if isinstance(caption, str) and len(caption) > CAPTION_LIMIT:
            return "message caption is too long"
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard") or []:
                for button in row:
                    data = button.get("callback_data")
                    if data is not None and len(str(data).encode()) > CALLBACK_DATA_LIMIT:
                        return "BUTTON_DATA_INVALID"
        return None

    def _new_message(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": self.bot_user,
        }
        if name == "sendMessage":
            message["text"] = params["text"]
        else:
            filename = (params.get("document") or params.get("photo") or {}).get("filename")
            message["document"] = {
                "file_id": f"doc{message['message_id']}",
                "file_unique_id": f"u{message['message_id']}",
                "file_name": filename or "file",
            }
            if "caption" in params:
                message["caption"] = params["caption"]
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _edit(self, params: dict[str, Any]) -> dict[str, Any] | str:
        if "chat_id" not in params or "message_id" not in params:
            return "inline messages are not faked"
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self._messages.get(key)
        if message is None:
            return "message to edit not found"
        markup = params.get("reply_markup")
        if message.get("text") == params["text"] and message.get("reply_markup") == markup:
            return (
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = params["text"]
        message["edit_date"] = int(time.time())
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        return message
