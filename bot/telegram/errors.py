"""Every exception in a handler becomes a short reply; the bot never dies of one.

UserError -> its text (with params); a broker error -> its short user message; anything else ->
"something went wrong (ErrorName)" and the traceback in the log only.
"""

from __future__ import annotations

import contextlib
import logging

from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.engine.interface import UserError
from bot.telegram.outbox import Outbox
from bot.telegram.replies import chat_of
from bot.texts import Texts
from bot.texts.render import broker_reason, render_user_error

log = logging.getLogger(__name__)


def describe_error(texts: Texts, error: BaseException) -> str:
    if isinstance(error, UserError):
        return render_user_error(texts, error)
    user_message = getattr(error, "user_message", None)
    if callable(user_message):  # bot.broker.errors.BrokerError and kin
        try:
            code = getattr(error, "api_code", None)
            return texts("error.broker", message=broker_reason(texts, code, user_message()))
        except Exception:
            log.exception("cannot describe %r", error)
    return texts("error.internal", error=type(error).__name__)


async def on_error(event: ErrorEvent, texts: Texts, outbox: Outbox) -> bool:
    error = event.exception
    if isinstance(error, UserError):
        log.info("refused: %s %s", error.key, error.params)
    else:
        log.error("handler failed on update %s", event.update.update_id, exc_info=error)
    text = describe_error(texts, error)
    query = event.update.callback_query
    if query is not None:
        with contextlib.suppress(TelegramAPIError):
            await query.answer()
    chat_id = chat_of(event.update)
    if chat_id is not None:
        outbox.send(chat_id, text)
    return True
