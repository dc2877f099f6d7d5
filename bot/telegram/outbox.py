"""The one queue every outgoing Telegram message goes through.

`send()` and `edit()` return at once (the engine's Notifier and the handlers never wait for
Telegram). One worker per chat delivers in order:

- text longer than 4096 characters is split on line boundaries; very long text is sent as a
  `.txt` document with its first line as caption; `send_file()` sends a named document (CSV);
  `send(..., parse_mode="HTML")` sends preformatted text as it is;
- consecutive short plain messages to a chat are joined into one (fewer requests, no flood);
- about one message per second per chat (`pace`);
- `TelegramRetryAfter`: wait `retry_after` seconds, then send the same message again;
- network and Telegram server errors: retried with exponential backoff (`backoff_initial` up to
  `backoff_max`) without end, keeping the order — after `max_attempts` it is logged as held;
- "message is not modified" counts as delivered; an edit of a vanished message is sent anew;
  other refusals (400, 403) are logged with the text and kept in `undelivered`.
On `close()` what could not be sent in time is logged and kept in `undelivered`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
DOCUMENT_THRESHOLD = 4 * TEXT_LIMIT  # longer text goes as a file rather than many messages
QUEUE_LIMIT = 10_000  # per chat; beyond it the oldest waiting message is dropped (and logged)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Outgoing:
    chat_id: int
    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    edit_message_id: int | None = None
    document_name: str | None = None  # send `text` as this file
    caption: str | None = None  # of the document or photo
    parse_mode: str | None = None  # "HTML" for preformatted tables (a message, not a file)
    on_sent: Callable[[int], None] | None = None  # told the new message's id once sent
    photo: bytes | None = None  # a PNG sent as a photo (`document_name` is its file name)
    silent: bool = False  # sent without sound (disable_notification)

    @property
    def joinable(self) -> bool:
        return (
            self.on_sent is None
            and self.reply_markup is None
            and self.edit_message_id is None
            and self.document_name is None
            and self.parse_mode is None
        )


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at line ends (a longer line is cut hard)."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = line if not current else current + "\n" + line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return [piece for piece in pieces if piece.strip()] or [text[:limit]]


class Outbox:
    def __init__(
        self,
        bot: Bot,
        *,
        pace: float = 1.0,
        max_attempts: int = 5,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        document_threshold: int = DOCUMENT_THRESHOLD,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot = bot
        self.pace = pace
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.document_threshold = document_threshold
        self._sleep = sleep
        self._clock = clock
        self._queues: dict[int, deque[Outgoing]] = {}
        self._wakeups: dict[int, asyncio.Event] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._last_sent: dict[int, float] = {}
        self.undelivered: list[Outgoing] = []
        self.delivered = 0
        self._closed = False
        self._unfinished = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # -- putting messages in -----------------------------------------------------------------

    def send(
        self,
        chat_id: int,
        text: str,
        reply_markup: InlineKeyboardMarkup | None = None,
        *,
        parse_mode: str | None = None,
        on_sent: Callable[[int], None] | None = None,
        silent: bool = False,
    ) -> None:
        """Queue a message (split or turned into a document when long). Never blocks or raises.

        With `parse_mode` ("HTML", e.g. a `<pre>` table) the text goes as one message as it is:
        the caller keeps it within TEXT_LIMIT (markup cannot be split blindly).
        `on_sent(message_id)` is called once a short message is sent (to edit it later).
        `silent` messages arrive without sound (joined only with other silent ones)."""
        if not text.strip():
            return
        if parse_mode is not None:
            self._put(
                Outgoing(
                    chat_id,
                    text,
                    reply_markup,
                    parse_mode=parse_mode,
                    on_sent=on_sent,
                    silent=silent,
                )
            )
            return
        if on_sent is not None and len(text) <= TEXT_LIMIT:
            self._put(Outgoing(chat_id, text, reply_markup, on_sent=on_sent, silent=silent))
            return
        if len(text) > self.document_threshold:
            self._put(
                Outgoing(chat_id, text, reply_markup, document_name="trademan.txt", silent=silent)
            )
            return
        pieces = split_text(text)
        for index, piece in enumerate(pieces):
            markup = reply_markup if index == len(pieces) - 1 else None  # buttons under the end
            self._put(Outgoing(chat_id, piece, markup, silent=silent))

    def send_photo(self, chat_id: int, png: bytes, caption: str, filename: str) -> None:
        """Queue a picture (PNG) with a caption (cut to Telegram's 1024 characters)."""
        self._put(
            Outgoing(
                chat_id,
                caption,
                document_name=filename,
                caption=caption[:CAPTION_LIMIT],
                photo=png,
            )
        )

    def send_file(self, chat_id: int, filename: str, content: str, caption: str = "") -> None:
        """Queue `content` (UTF-8 text, e.g. CSV) as a document named `filename`."""
        self._put(Outgoing(chat_id, content, document_name=filename, caption=caption or filename))

    def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        if len(text) > TEXT_LIMIT:  # an edit cannot grow into several messages
            self.send(chat_id, text, reply_markup)
            return
        self._put(Outgoing(chat_id, text, reply_markup, edit_message_id=message_id))

    def _put(self, item: Outgoing) -> None:
        if self._closed:
            log.warning("outbox closed; not sent to %s: %s", item.chat_id, item.text[:200])
            self.undelivered.append(item)
            return
        queue = self._queues.get(item.chat_id)
        if queue is None:
            queue = self._queues[item.chat_id] = deque()
            self._wakeups[item.chat_id] = asyncio.Event()
        if len(queue) >= QUEUE_LIMIT:
            dropped = queue.popleft()
            self._done(1)
            log.error("outbox full for %s; dropped: %s", item.chat_id, dropped.text[:200])
            self.undelivered.append(dropped)
        queue.append(item)
        self._wakeups[item.chat_id].set()
        self._unfinished += 1
        self._idle.clear()
        worker = self._workers.get(item.chat_id)
        if worker is None or worker.done():
            self._workers[item.chat_id] = asyncio.get_running_loop().create_task(
                self._work(item.chat_id), name=f"outbox-{item.chat_id}"
            )

    # -- waiting -----------------------------------------------------------------------------

    def pending(self) -> int:
        """Messages queued or being delivered."""
        return self._unfinished

    async def join(self) -> None:
        """Wait until every queued message has been delivered (or given up on)."""
        await self._idle.wait()

    def _done(self, count: int) -> None:
        self._unfinished -= count
        if self._unfinished <= 0:
            self._unfinished = 0
            self._idle.set()

    async def close(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Deliver what is queued within `timeout`, then stop; the rest is logged and kept."""
        self._closed = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.join(), timeout)
        for task in self._workers.values():
            task.cancel()
        for task in self._workers.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for queue in self._queues.values():
            while queue:
                item = queue.popleft()
                self._done(1)
                log.warning("not delivered to %s: %s", item.chat_id, item.text[:500])
                self.undelivered.append(item)

    # -- delivering --------------------------------------------------------------------------

    async def _work(self, chat_id: int) -> None:
        queue, wakeup = self._queues[chat_id], self._wakeups[chat_id]
        while True:
            if not queue:
                wakeup.clear()
                await wakeup.wait()
                continue
            await self._pace(chat_id)  # messages queued meanwhile may be joined below
            item = queue.popleft()
            taken = 1
            if item.joinable:
                text = item.text
                while queue and queue[0].joinable and queue[0].silent == item.silent:
                    if len(text) + 1 + len(queue[0].text) > TEXT_LIMIT:
                        break
                    text += "\n" + queue.popleft().text
                    taken += 1
                item = replace(item, text=text)
            try:
                await self._deliver(item)
            except asyncio.CancelledError:
                self._done(taken)
                self.undelivered.append(item)
                raise
            except Exception:  # never let one message stop the chat's queue
                log.exception("cannot deliver to %s: %s", chat_id, item.text[:500])
                self.undelivered.append(item)
            finally:
                self._last_sent[chat_id] = self._clock()
            self._done(taken)

    async def _pace(self, chat_id: int) -> None:
        last = self._last_sent.get(chat_id)
        if last is None or self.pace <= 0:
            return
        wait = last + self.pace - self._clock()
        if wait > 0:
            await self._sleep(wait)

    async def _deliver(self, item: Outgoing) -> None:
        attempt = 0
        while True:
            try:
                await self._call(item)
                self.delivered += 1
                return
            except TelegramRetryAfter as exc:
                log.warning(
                    "telegram flood limit: waiting %s s (chat %s)", exc.retry_after, item.chat_id
                )
                await self._sleep(float(exc.retry_after))
            except (TelegramNetworkError, TelegramServerError) as exc:
                attempt += 1
                delay = min(self.backoff_max, self.backoff_initial * 2 ** (attempt - 1))
                level = logging.WARNING if attempt < self.max_attempts else logging.ERROR
                log.log(
                    level,
                    "telegram unreachable (%s), attempt %d; retrying in %.1f s%s",
                    exc,
                    attempt,
                    delay,
                    "; messages are held until it is back" if attempt >= self.max_attempts else "",
                )
                await self._sleep(delay)
            except TelegramBadRequest as exc:
                message = exc.message.lower()
                if "message is not modified" in message:
                    return
                if item.edit_message_id is not None and (
                    "message to edit not found" in message or "can't be edited" in message
                ):
                    item = replace(item, edit_message_id=None)
                    continue
                if "message is too long" in message and item.document_name is None:
                    item = replace(item, document_name="trademan.txt")
                    continue
                log.error(
                    "telegram refused a message to %s (%s): %s", item.chat_id, exc, item.text[:500]
                )
                self.undelivered.append(item)
                return
            except TelegramForbiddenError as exc:
                log.error(
                    "telegram forbids writing to %s (%s): %s", item.chat_id, exc, item.text[:500]
                )
                self.undelivered.append(item)
                return

    async def _call(self, item: Outgoing) -> None:
        quiet = True if item.silent else None
        if item.photo is not None:
            await self.bot.send_photo(
                item.chat_id,
                BufferedInputFile(item.photo, filename=item.document_name or "chart.png"),
                caption=item.caption,
            )
        elif item.document_name is not None:
            caption = item.caption or item.text.strip().split("\n", 1)[0]
            await self.bot.send_document(
                item.chat_id,
                BufferedInputFile(item.text.encode("utf-8"), filename=item.document_name),
                caption=caption[:CAPTION_LIMIT],
                reply_markup=item.reply_markup,
                disable_notification=quiet,
            )
        elif item.edit_message_id is not None:
            await self.bot.edit_message_text(
                text=item.text,
                chat_id=item.chat_id,
                message_id=item.edit_message_id,
                reply_markup=item.reply_markup,
            )
        else:
            sent = await self.bot.send_message(
                item.chat_id,
                item.text,
                reply_markup=item.reply_markup,
                parse_mode=item.parse_mode,
                disable_notification=quiet,
            )
            if item.on_sent is not None:
                try:
                    item.on_sent(sent.message_id)
                except Exception:  # a caller's hook must not break delivery
                    log.exception("on_sent hook failed")
