"""The outgoing queue: splitting, documents, flood limits, network errors, pacing, never
blocking the caller."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from aiogram import Bot

from bot.engine import events as ev
from bot.telegram.fake_session import (
    TEXT_LIMIT,
    FakeSession,
    bad_request,
    network_error,
    retry_after,
)
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.outbox import Outbox, split_text
from bot.texts import Texts
from tests.support.fake_telegram import AT

CHAT = 77


class Sleeps:
    """Records requested waits instead of sleeping; time moves on a fake clock."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 1000.0

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def clock(self) -> float:
        return self.now


def make(pace: float = 0, **kwargs: object) -> tuple[FakeSession, Outbox, Sleeps]:
    session = FakeSession()
    sleeps = Sleeps()
    outbox = Outbox(
        Bot("4242:TEST", session=session),
        pace=pace,
        sleep=sleeps.sleep,
        clock=sleeps.clock,
        **kwargs,  # type: ignore[arg-type]
    )
    return session, outbox, sleeps


def numbered_lines(count: int, width: int = 50) -> str:
    return "\n".join(f"{i:05d} " + "x" * (width - 6) for i in range(count))


def test_split_text_cuts_at_line_ends_within_the_limit() -> None:
    text = numbered_lines(300)  # 300 lines of 50 characters: 15 299 characters
    pieces = split_text(text)
    assert all(len(piece) <= TEXT_LIMIT for piece in pieces)
    assert "\n".join(pieces) == text  # nothing lost, nothing cut mid-line
    assert len(pieces) == 4
    one_long_line = "y" * (TEXT_LIMIT * 2 + 10)
    assert [len(p) for p in split_text(one_long_line)] == [TEXT_LIMIT, TEXT_LIMIT, 10]


async def test_long_message_arrives_in_pieces_in_order() -> None:
    session, outbox, _ = make()
    text = numbered_lines(200)
    outbox.send(CHAT, text)
    await outbox.join()
    sent = session.texts(CHAT)
    assert len(sent) == 3
    assert all(len(piece) <= TEXT_LIMIT for piece in sent)
    assert "\n".join(sent) == text


async def test_very_long_text_is_sent_as_a_document() -> None:
    session, outbox, _ = make()
    text = "Scan results\n" + numbered_lines(2000)
    outbox.send(CHAT, text)
    await outbox.join()
    [document] = session.calls("sendDocument")
    assert document.params["caption"] == "Scan results"
    assert document.document == text.encode()
    assert session.calls("sendMessage") == []


async def test_retry_after_is_honoured_then_the_same_message_is_resent() -> None:
    session, outbox, sleeps = make()
    session.fail("sendMessage", retry_after(7))
    outbox.send(CHAT, "fill 1")
    await outbox.join()
    attempts = session.calls("sendMessage")
    assert [(r.ok, r.text) for r in attempts] == [(False, "fill 1"), (True, "fill 1")]
    assert sleeps.waits == [7.0]
    assert outbox.undelivered == []


async def test_network_errors_are_retried_with_growing_backoff() -> None:
    session, outbox, sleeps = make(backoff_initial=1.0, backoff_max=4.0, max_attempts=2)
    session.fail("sendMessage", *[network_error()] * 4)
    outbox.send(CHAT, "summary")
    await outbox.join()
    assert session.texts(CHAT) == ["summary"]
    assert len(session.calls("sendMessage")) == 5
    assert sleeps.waits == [1.0, 2.0, 4.0, 4.0]


async def test_messages_keep_their_order_through_failures() -> None:
    session, outbox, _ = make(pace=1.0)
    session.fail("sendMessage", network_error(), retry_after(1))
    for i in range(3):
        outbox.send(CHAT, f"message {i}")
        await asyncio.sleep(0)
    await outbox.join()
    lines = [line for text in session.texts(CHAT) for line in text.split("\n")]
    assert lines == ["message 0", "message 1", "message 2"]


async def test_pacing_about_one_message_per_second_per_chat() -> None:
    session, outbox, sleeps = make(pace=1.0)
    outbox.send(CHAT, "a", reply_markup=None)
    await outbox.join()
    outbox.send(CHAT, "b")
    await outbox.join()
    outbox.send(CHAT + 1, "other chat")
    await outbox.join()
    assert sleeps.waits == [1.0]  # only the second message to the same chat waited
    assert session.texts() == ["a", "b", "other chat"]


async def test_short_messages_waiting_together_are_joined() -> None:
    session, outbox, _ = make()
    for i in range(5):
        outbox.send(CHAT, f"fill {i}")
    await outbox.join()
    assert session.texts(CHAT) == ["\n".join(f"fill {i}" for i in range(5))]


async def test_a_refused_message_is_kept_and_the_queue_goes_on() -> None:
    session, outbox, _ = make()
    session.fail("sendMessage", bad_request("chat not found"))
    outbox.send(CHAT, "lost")
    await outbox.join()
    outbox.send(CHAT, "next")
    await outbox.join()
    assert [item.text for item in outbox.undelivered] == ["lost"]
    assert session.texts(CHAT) == ["next"]


async def test_edit_to_the_same_text_is_not_an_error() -> None:
    session, outbox, _ = make()
    outbox.send(CHAT, "progress 1/3")
    await outbox.join()
    message_id = session.sent()[0].result["message_id"]
    outbox.edit(CHAT, message_id, "progress 1/3")
    outbox.edit(CHAT, message_id, "progress 2/3")
    await outbox.join()
    edits = session.calls("editMessageText")
    assert [(e.ok, e.text) for e in edits] == [(False, "progress 1/3"), (True, "progress 2/3")]
    assert session.message(CHAT, message_id)["text"] == "progress 2/3"  # type: ignore[index]
    assert outbox.undelivered == []


async def test_an_edit_of_a_vanished_message_is_sent_anew() -> None:
    session, outbox, _ = make()
    outbox.edit(CHAT, 999, "still here")
    await outbox.join()
    assert session.texts(CHAT) == ["still here"]


async def test_notifier_returns_at_once_while_telegram_is_down() -> None:
    session, outbox, sleeps = make(backoff_initial=30.0, backoff_max=30.0)
    blocked = asyncio.Event()

    async def stuck_sleep(seconds: float) -> None:
        sleeps.waits.append(seconds)
        await blocked.wait()

    outbox._sleep = stuck_sleep
    session.fail("sendMessage", *[network_error()] * 3)
    notifier = TelegramNotifier(outbox, [CHAT], Texts("en"))
    fill = ev.OrderFilled("1", AT, "SBER", "sell", 10, Decimal(281), 10, 100, Decimal(281))
    for _ in range(50):  # none of these may wait for Telegram
        await asyncio.wait_for(notifier.notify(fill), timeout=1)
    await asyncio.sleep(0)
    assert outbox.pending() == 50
    assert sleeps.waits == [30.0]
    await outbox.close(timeout=0.01)  # give up: everything is kept and logged
    kept = [line for item in outbox.undelivered for line in item.text.split("\n")]
    assert len(kept) == 50
    assert outbox.undelivered[0].text.startswith("#1 sold 10 SBER @ 281")


async def test_close_delivers_what_is_queued() -> None:
    session, outbox, _ = make()
    outbox.send(CHAT, "last words")
    await outbox.close(timeout=5)
    assert session.texts(CHAT) == ["last words"]
    outbox.send(CHAT, "after close")
    assert outbox.undelivered[-1].text == "after close"
