"""Inline keyboards and their callback data (at most 64 bytes, checked by the fake session)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.engine.interface import JobInfo
from bot.texts import Texts

MAX_BUTTONS = 20


class StopJob(CallbackData, prefix="stop"):
    job_id: str


def tasks_keyboard(texts: Texts, jobs: list[JobInfo]) -> InlineKeyboardMarkup | None:
    """A stop button under /tasks for each running job (two per row)."""
    buttons = [
        InlineKeyboardButton(
            text=texts("tasks.stop_button", id=job.job_id),
            callback_data=StopJob(job_id=job.job_id).pack(),
        )
        for job in jobs[:MAX_BUTTONS]
        if len(StopJob(job_id=job.job_id).pack().encode()) <= 64
    ]
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    )
