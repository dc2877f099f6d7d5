"""The bot's aiogram session: aiogram's own aiohttp session, reading answers with fewer validators.

aiogram checks every Bot API answer with `Response[T]` for the method's result type T, and
pydantic compiles a separate validator for each such wrapper with a full copy of T's nested
models: `Response[Message]`, `Response[Message | bool]` (edits) and `Response[list[Update]]`
(polling) cost about 1.2 MB apiece on top of the `Message` and `Update` validators the bot
builds anyway (bench/bot.py measures the bot's memory). Here a successful answer is read as
`Response[Any]` and its result with the result type's own validator (`Update.model_validate` per
update...), and a sent `Message` with `Update`'s, which holds Message's whole tree already, so
that tree is compiled once (about 2.8 MB a copy). The values are the same as aiogram's. Answers
that are not OK go through aiogram's own `check_response`, which maps them to its exceptions
(TelegramBadRequest, TelegramRetryAfter...).
"""

from __future__ import annotations

import functools
import types
import typing
from http import HTTPStatus
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import ClientDecodeError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Message, Update
from pydantic import BaseModel, TypeAdapter, ValidationError

_SCALARS = (bool, int, float, str)


@functools.cache
def _envelope() -> type[Response[Any]]:
    return Response[Any]


@functools.cache
def _adapter(tp: type) -> TypeAdapter[Any]:
    return TypeAdapter(tp)  # scalars only: no Telegram model inside


class Unhandled(Exception):
    """A result type read here no cheaper than aiogram's own way (a union of several models):
    the answer goes through aiogram's `check_response`."""


def _model(tp: type[BaseModel], value: Any, context: dict[str, Any]) -> Any:
    if tp is Message and isinstance(value, dict):
        # Update's validator holds Message's whole tree already (it is built for polling):
        # reading a sent message through it spares a second compiled copy (~2.8 MB)
        return Update.model_validate({"update_id": 0, "message": value}, context=context).message
    return tp.model_validate(value, context=context)


def read_result(tp: Any, value: Any, context: dict[str, Any]) -> Any:
    """`value` validated as `tp` with a model's own validator (models, lists of models, scalars,
    a model or a scalar); raises Unhandled for any other type."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _model(tp, value, context)
    if tp in _SCALARS:
        return _adapter(tp).validate_python(value, context=context)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is list and len(args) == 1 and isinstance(value, list):
        return [read_result(args[0], item, context) for item in value]
    if origin in (typing.Union, types.UnionType):
        # a scalar answer (an edit's True) is itself; a dict is the one model it can be
        for arg in args:
            if arg in _SCALARS and type(value) is arg:
                return value
        models = [arg for arg in args if isinstance(arg, type) and issubclass(arg, BaseModel)]
        if isinstance(value, dict) and len(models) == 1:
            return _model(models[0], value, context)
    raise Unhandled(tp)


class LeanAiohttpSession(AiohttpSession):
    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        try:
            json_data = self.json_loads(content)
        except Exception:
            return super().check_response(bot, method, status_code, content)
        context = {"bot": bot}
        try:
            envelope = _envelope().model_validate(json_data, context=context)
            if not (HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED and envelope.ok):
                return super().check_response(bot, method, status_code, content)
            result = read_result(method.__returning__, envelope.result, context)
        except Unhandled:
            return super().check_response(bot, method, status_code, content)
        except ValidationError as e:
            msg = "Failed to deserialize object"
            raise ClientDecodeError(msg, e, json_data) from e
        return typing.cast(Response[TelegramType], envelope.model_copy(update={"result": result}))
