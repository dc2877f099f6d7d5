"""A small fake Telegram Bot API server for end-to-end tests (aiohttp on 127.0.0.1).

The real bot (`python -m bot run`) polls it through TELEGRAM_API_URL. It answers
`POST /bot{token}/{method}` with form-encoded or multipart bodies (nested fields arrive as JSON
strings, integers as strings): getMe, getUpdates (long poll, honours `offset`), deleteWebhook,
sendMessage, editMessageText, answerCallbackQuery, sendDocument, setMyCommands.

    async with running_bot_api(token) as api:
        api.url                                  # TELEGRAM_API_URL for the bot
        api.push_text(owner_id, "/update")       # the owner types a message
        await api.wait_for_text("Catalogue updated", timeout=30)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.telegram.updates import callback_update, message_update

BOT_ID = 4242


@dataclass
class Sent:
    method: str
    params: dict[str, Any]
    result: Any = None
    document: bytes | None = None

    @property
    def text(self) -> str:
        value = self.params.get("text") or self.params.get("caption") or ""
        return str(value)


@dataclass
class FakeBotApi:
    token: str
    url: str = ""
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Sent] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)

    # -- the test's side ---------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())

    def push_text(self, user_id: int, text: str) -> None:
        self.push(message_update(user_id, text))

    def press(self, user_id: int, data: str, message: dict[str, Any]) -> None:
        self.push(callback_update(user_id, data, message))

    def sent(self) -> list[Sent]:
        return [c for c in self.calls if c.method in ("sendMessage", "sendDocument")]

    def transcript(self) -> str:
        return "\n".join(c.text for c in self.sent())

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109
        what: str,
    ) -> None:
        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(condition)

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what}; the bot sent:\n"
                + self.transcript()
            ) from None

    async def wait_for_text(self, needle: str, timeout: float = 30.0) -> Sent:  # noqa: ASYNC109
        def found() -> bool:
            return any(needle in c.text for c in self.sent())

        await self.wait_until(found, timeout, repr(needle))
        return next(c for c in self.sent() if needle in c.text)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- the Bot API side ----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params, document = await self._params(request)
        if method == "getUpdates":
            result: Any = await self._get_updates(params)
            return web.json_response({"ok": True, "result": result})
        call = Sent(method, params, document=document)
        answer = self._answer(call)
        self.calls.append(call)
        await self._notify()
        return answer

    @staticmethod
    async def _params(request: web.Request) -> tuple[dict[str, Any], bytes | None]:
        params: dict[str, Any] = {}
        document: bytes | None = None
        if request.content_type == "application/json":
            params = await request.json()
            return params, None
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                document = value.file.read()
                params[name] = {"filename": value.filename}
                continue
            text = str(value)
            if text[:1] in "[{":
                with contextlib.suppress(ValueError):
                    params[name] = json.loads(text)
                    continue
            params[name] = text
        return params, document

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

        def ready() -> bool:
            return bool(self.updates)

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                async with self._changed:
                    await self._changed.wait_for(ready)
        limit = int(params.get("limit") or 100)
        return self.updates[:limit]

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Trademan"},
            **content,
        }
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _answer(self, call: Sent) -> web.Response:
        params = call.params
        result: Any
        if call.method == "getMe":
            result = {"id": BOT_ID, "is_bot": True, "first_name": "Trademan", "username": "e2e_bot"}
        elif call.method == "sendMessage":
            if len(str(params.get("text", ""))) > 4096:
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: message is too long",
                    },
                    status=400,
                )
            extra = {"reply_markup": params["reply_markup"]} if "reply_markup" in params else {}
            result = self._message(int(params["chat_id"]), text=params["text"], **extra)
        elif call.method == "sendDocument":
            result = self._message(
                int(params["chat_id"]),
                document={"file_id": "f1", "file_unique_id": "u1", "file_name": "trademan.txt"},
                caption=params.get("caption", ""),
            )
        elif call.method == "editMessageText":
            key = (int(params["chat_id"]), int(params["message_id"]))
            message = self._messages.get(key)
            if message is None:
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: message to edit not found",
                    },
                    status=400,
                )
            message["text"] = params["text"]
            result = message
        elif call.method in (
            "answerCallbackQuery",
            "setMyCommands",
            "deleteWebhook",
            "deleteMessage",
        ):
            result = True
        else:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status=404,
            )
        call.result = result
        return web.json_response({"ok": True, "result": result})


@contextlib.asynccontextmanager
async def running_bot_api(token: str) -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(token)
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api.url = f"http://127.0.0.1:{port}"
    try:
        yield api
    finally:
        await runner.cleanup()
