"""Confirm / Cancel questions: the action runs once, only on a timely Confirm in its own chat."""

from __future__ import annotations

from typing import Any

from bot.telegram.confirm import Confirmations, Outcome, ask
from tests.support.fake_telegram import OWNER, Harness, make_harness


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def asked(tg: Harness, runs: list[str], confirmations: Confirmations | None = None) -> Any:
    async def action() -> None:
        runs.append("done")

    ask(
        tg.outbox,
        confirmations or tg.dp["confirmations"],
        tg.texts,
        OWNER,
        "Plan: 3 orders",
        action,
    )


async def question(tg: Harness) -> Any:
    await tg.outbox.join()
    return tg.session.sent()[-1]


async def test_confirm_runs_the_action_once_and_takes_the_buttons_away(tg: Harness) -> None:
    runs: list[str] = []
    asked(tg, runs)
    sent = await question(tg)
    assert (sent.text or "").startswith("Plan: 3 orders\nConfirm within 2 min")
    [(yes_label, yes), (no_label, _)] = sent.buttons()
    assert (yes_label, no_label) == ("Confirm", "Cancel")
    assert len(yes.encode()) <= 64

    await tg.press(yes, sent.result)
    assert runs == ["done"]
    assert "Confirmed." in tg.replies()
    assert "reply_markup" not in tg.session.message(OWNER, sent.result["message_id"])

    await tg.press(yes, sent.result)  # a second press (a double tap, or an old message)
    assert runs == ["done"]
    assert tg.last() == "This question was already answered."


async def test_cancel_does_nothing_and_spends_the_question(tg: Harness) -> None:
    runs: list[str] = []
    asked(tg, runs)
    sent = await question(tg)
    [(_, yes), (_, no)] = sent.buttons()
    await tg.press(no, sent.result)
    assert tg.last() == "Cancelled: nothing was done."
    await tg.press(yes, sent.result)
    assert runs == []


async def test_an_expired_question_runs_nothing() -> None:
    clock = Clock()
    confirmations = Confirmations(ttl=60, clock=clock)
    tg = await make_harness("ru")
    try:
        runs: list[str] = []
        asked(tg, runs, confirmations)
        tg.dp["confirmations"] = confirmations
        sent = await question(tg)
        assert "Подтвердите в течение 1 мин" in (sent.text or "")
        clock.now += 61
        await tg.press(sent.buttons()[0][1], sent.result)
        assert runs == []
        assert tg.last().startswith("Время подтверждения истекло")
    finally:
        await tg.outbox.close(timeout=5)


def test_a_question_is_answered_only_in_its_own_chat() -> None:
    async def action() -> None:
        raise AssertionError("must not run")

    confirmations = Confirmations()
    token = confirmations.ask(1, action)
    assert confirmations.answer(token, 2, True) == (Outcome.ANSWERED, None)
    assert confirmations.open_questions() == 1
    outcome, run = confirmations.answer(token, 1, True)
    assert outcome is Outcome.CONFIRMED and run is action
    assert confirmations.open_questions() == 0


def test_old_questions_are_forgotten() -> None:
    clock = Clock()
    confirmations = Confirmations(ttl=60, clock=clock)

    async def action() -> None:
        return None

    old = confirmations.ask(1, action)
    clock.now += 7200
    confirmations.ask(1, action)
    assert confirmations.answer(old, 1, True) == (Outcome.ANSWERED, None)
