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


GROUP = -1001234567890


async def test_owner_command_in_a_group_is_ignored_and_logged(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.telegram.updates import message_update

    before = len(tg.session.requests)  # the command menu set at start-up
    with caplog.at_level(logging.WARNING, logger="bot.telegram.middleware"):
        for chat_type in ("group", "supergroup"):
            update = message_update(OWNER, "/sell 100 SBER", chat_id=GROUP, chat_type=chat_type)
            await tg.dp.feed_raw_update(tg.bot, update)
        # a private-looking chat that is not the owner's own chat with the bot
        await tg.dp.feed_raw_update(tg.bot, message_update(OWNER, "/stop", chat_id=STRANGER))
        await tg.outbox.join()
    assert len(tg.session.requests) == before  # nothing posted to the group, nor anywhere
    assert tg.trader.calls == []
    assert f"chat={GROUP}" in caplog.text and "type=supergroup" in caplog.text


async def test_owner_button_pressed_in_a_group_is_ignored(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await tg.send("/sell 100 SBER")
    await tg.send("/tasks")
    listing = dict(tg.session.sent()[-1].result)
    listing["chat"] = {"id": GROUP, "type": "supergroup", "title": "A group"}
    sent_before = len(tg.session.requests)
    with caplog.at_level(logging.WARNING, logger="bot.telegram.middleware"):
        await tg.press("stop:1", listing, user_id=OWNER)
        await tg.press("stop:1", None, user_id=OWNER)  # inline-mode message: no chat at all
    assert [job.job_id for job in tg.trader.running] == ["1"]
    assert len(tg.session.requests) == sent_before  # not even answerCallbackQuery
    assert "ignored callback from an owner" in caplog.text


async def test_a_chat_listed_in_the_configuration_may_drive_the_bot() -> None:
    from bot.telegram.updates import message_update
    from tests.support.fake_telegram import make_harness

    tg = await make_harness("en", chat_ids=[GROUP])
    try:
        update = message_update(OWNER, "/tasks", chat_id=GROUP, chat_type="supergroup")
        await tg.dp.feed_raw_update(tg.bot, update)
        await tg.outbox.join()
        assert [r.chat_id for r in tg.session.sent()] == [GROUP]
        # a stranger in that chat is still nobody
        update = message_update(STRANGER, "/stop", chat_id=GROUP, chat_type="supergroup")
        await tg.dp.feed_raw_update(tg.bot, update)
        await tg.outbox.join()
        assert len(tg.session.sent()) == 1
    finally:
        await tg.outbox.close(timeout=5)
