"""Questions the owner answers with Confirm / Cancel buttons before something dangerous is done.

A handler that needs consent (a sale that opens a short, a bulk stop command, /cancel…) shows its
plan with `ask(...)`: the plan's text goes out with two inline buttons, and the action runs only
when Confirm is pressed in the same chat, once, within `ttl` seconds. A second press, a press
after expiry, or Cancel runs nothing. In the console the buttons are printed numbered.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.outbox import Outbox
from bot.texts import Texts

Action = Callable[[], Awaitable[None]]

DEFAULT_TTL = 120.0  # seconds a question stays answerable
FORGET_AFTER = 3600.0  # an expired question is remembered this long, to say "expired"


class Answer(CallbackData, prefix="cf"):
    token: str
    yes: bool


class Outcome(Enum):
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"
    ANSWERED = "answered"  # already answered, or never asked (e.g. after a restart)


@dataclass(slots=True)
class _Question:
    chat_id: int
    action: Action
    asked_at: float
    answered: bool = False


class Confirmations:
    """The open questions: each answerable once, in its own chat, for `ttl` seconds."""

    def __init__(self, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self._clock = clock
        self._questions: dict[str, _Question] = {}

    def ask(self, chat_id: int, action: Action) -> str:
        self._forget_old()
        token = secrets.token_urlsafe(9)  # 12 characters: callback data stays far below 64 bytes
        self._questions[token] = _Question(chat_id, action, self._clock())
        return token

    def answer(self, token: str, chat_id: int | None, yes: bool) -> tuple[Outcome, Action | None]:
        """Close the question; the action is returned only for a timely Confirm in its chat."""
        question = self._questions.get(token)
        if question is None or question.answered or question.chat_id != chat_id:
            return Outcome.ANSWERED, None
        question.answered = True
        if self._clock() - question.asked_at > self.ttl:
            return Outcome.EXPIRED, None
        if not yes:
            return Outcome.DECLINED, None
        return Outcome.CONFIRMED, question.action

    def open_questions(self) -> int:
        now = self._clock()
        return sum(
            1
            for question in self._questions.values()
            if not question.answered and now - question.asked_at <= self.ttl
        )

    def _forget_old(self) -> None:
        now = self._clock()
        for token in [
            token
            for token, question in self._questions.items()
            if now - question.asked_at > max(self.ttl, FORGET_AFTER)
        ]:
            del self._questions[token]


def confirm_keyboard(texts: Texts, token: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=texts("confirm.yes"), callback_data=Answer(token=token, yes=True).pack()
                ),
                InlineKeyboardButton(
                    text=texts("confirm.no"), callback_data=Answer(token=token, yes=False).pack()
                ),
            ]
        ]
    )


def ask(
    outbox: Outbox,
    confirmations: Confirmations,
    texts: Texts,
    chat_id: int,
    plan: str,
    action: Action,
) -> str:
    """Send `plan` with Confirm / Cancel buttons; `action` runs on a timely Confirm."""
    token = confirmations.ask(chat_id, action)
    minutes = max(1, round(confirmations.ttl / 60))
    outbox.send(
        chat_id,
        plan + "\n" + texts("confirm.question", minutes=minutes),
        confirm_keyboard(texts, token),
    )
    return token
