"""The Confirm / Cancel buttons of every question asked with bot.telegram.confirm.ask."""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message

from bot.telegram.confirm import Answer, Confirmations, Outcome
from bot.telegram.outbox import Outbox
from bot.telegram.replies import chat_of
from bot.texts import Texts

REPLIES = {
    Outcome.CONFIRMED: "confirm.confirmed",
    Outcome.DECLINED: "confirm.declined",
    Outcome.EXPIRED: "confirm.expired",
    Outcome.ANSWERED: "confirm.answered",
}


def make_router() -> Router:
    router = Router(name="confirm")

    @router.callback_query(Answer.filter())
    async def answered(
        query: CallbackQuery,
        callback_data: Answer,
        confirmations: Confirmations,
        texts: Texts,
        outbox: Outbox,
    ) -> None:
        chat_id = chat_of(query)
        outcome, action = confirmations.answer(callback_data.token, chat_id, callback_data.yes)
        reply = texts(REPLIES[outcome])
        with contextlib.suppress(TelegramAPIError):  # a late answer must not stop the action
            await query.answer(reply)
        if isinstance(query.message, Message) and outcome is not Outcome.ANSWERED:
            with contextlib.suppress(TelegramAPIError):  # the buttons are spent: take them away
                await query.message.edit_reply_markup(reply_markup=None)
        if chat_id is not None:
            outbox.send(chat_id, reply)
        if action is not None:
            await action()

    return router
