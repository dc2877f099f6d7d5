"""/tasks: the running jobs, with a stop button for each."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.engine.interface import Trader
from bot.telegram.keyboards import tasks_keyboard
from bot.telegram.outbox import Outbox
from bot.texts import Texts
from bot.texts.render import render_jobs


def make_router() -> Router:
    router = Router(name="tasks")

    @router.message(Command("tasks"))
    async def tasks(message: Message, trader: Trader, texts: Texts, outbox: Outbox) -> None:
        jobs = trader.jobs()
        outbox.send(message.chat.id, render_jobs(texts, jobs), tasks_keyboard(texts, jobs))

    return router
