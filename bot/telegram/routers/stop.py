"""/stop [ID] and the stop buttons under /tasks."""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.commands.parsing import ParseError, parse_job_id
from bot.engine.interface import Trader
from bot.telegram.keyboards import StopJob
from bot.telegram.outbox import Outbox
from bot.telegram.replies import chat_of
from bot.texts import Texts
from bot.texts.render import render_parse_error, render_stopped


async def stop_jobs(
    chat_id: int, job_id: str | None, trader: Trader, texts: Texts, outbox: Outbox
) -> None:
    if job_id is None and not trader.jobs():
        outbox.send(chat_id, texts("stop.none"))
        return
    if job_id is not None and job_id not in {job.job_id for job in trader.jobs()}:
        outbox.send(chat_id, texts("job_not_found", job_id=job_id))
        return
    what = texts("stop.what_all") if job_id is None else texts("stop.what_one", id=job_id)
    outbox.send(chat_id, texts("stop.started", what=what))
    outbox.send(chat_id, render_stopped(texts, await trader.stop(job_id)))


def make_router() -> Router:
    router = Router(name="stop")

    @router.message(Command("stop"))
    async def stop(
        message: Message, command: CommandObject, trader: Trader, texts: Texts, outbox: Outbox
    ) -> None:
        job_id = parse_job_id(command.args)
        if isinstance(job_id, ParseError):
            outbox.send(message.chat.id, render_parse_error(texts, job_id))
            return
        await stop_jobs(message.chat.id, job_id, trader, texts, outbox)

    @router.callback_query(StopJob.filter())
    async def stop_button(
        query: CallbackQuery, callback_data: StopJob, trader: Trader, texts: Texts, outbox: Outbox
    ) -> None:
        with contextlib.suppress(TelegramAPIError):  # a late answer must not stop the stop
            await query.answer(texts("stop.button_answer", id=callback_data.job_id))
        chat_id = chat_of(query)
        if chat_id is not None:
            await stop_jobs(chat_id, callback_data.job_id, trader, texts, outbox)

    return router
