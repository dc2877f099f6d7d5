"""Only the owners are served; strangers are ignored (messages and buttons) and logged."""

from __future__ import annotations

import logging

import pytest

from tests.support.fake_telegram import OWNER, STRANGER, Harness


async def test_stranger_messages_are_ignored_and_logged(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.telegram.middleware"):
        await tg.send("/sell 100 SBER", user_id=STRANGER)
        await tg.send("/stop", user_id=STRANGER)
        await tg.send("hello", user_id=STRANGER)
    assert tg.session.sent() == []
    assert tg.trader.calls == []
    assert f"id={STRANGER}" in caplog.text
    assert "ignored message" in caplog.text


async def test_stranger_cannot_press_the_owners_buttons(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await tg.send("/sell 100 SBER")
    await tg.send("/tasks")
    listing = tg.session.sent()[-1]
    sent_before = len(tg.session.requests)
    with caplog.at_level(logging.WARNING, logger="bot.telegram.middleware"):
        await tg.press("stop:1", listing.result, user_id=STRANGER)
    assert [job.job_id for job in tg.trader.running] == ["1"]
    assert len(tg.session.requests) == sent_before  # not even answerCallbackQuery
    assert "ignored callback" in caplog.text
    await tg.press("stop:1", listing.result, user_id=OWNER)
    assert tg.trader.running == []
