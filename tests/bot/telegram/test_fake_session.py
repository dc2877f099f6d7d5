"""The fake Telegram answers like the Bot API: bound messages, limits, scripted errors."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.fake_session import FakeSession, network_error, retry_after


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


async def test_returned_messages_are_bound_to_the_bot(session: FakeSession) -> None:
    bot = Bot("42:TEST", session=session)
    me = await bot.get_me()
    assert me.is_bot
    message = await bot.send_message(5, "hello")
    edited = await message.edit_text("hello again")  # needs a message bound to the bot
    assert edited.text == "hello again"  # type: ignore[union-attr]
    assert [r.method for r in session.requests] == ["getMe", "sendMessage", "editMessageText"]
    assert session.message(5, message.message_id)["text"] == "hello again"  # type: ignore[index]


async def test_telegram_limits_are_enforced(session: FakeSession) -> None:
    bot = Bot("42:TEST", session=session)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(5, "x" * 4097)
    message = await bot.send_message(5, "same")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await message.edit_text("same")
    too_long = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="b", callback_data="d" * 65)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(5, "buttons", reply_markup=too_long)


async def test_scripted_errors_come_in_order_then_normal_answers(session: FakeSession) -> None:
    bot = Bot("42:TEST", session=session)
    session.fail("sendMessage", retry_after(3), network_error())
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(5, "a")
    assert flood.value.retry_after == 3
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(5, "a")
    await bot.send_message(5, "a")
    assert [r.ok for r in session.calls("sendMessage")] == [False, False, True]
    assert session.texts(5) == ["a"]
