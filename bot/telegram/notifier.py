"""The engine's Notifier for Telegram and the console: render the event, queue it, return."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.engine.events import BulkFinished, BulkProgress, Event
from bot.engine.views.levels import NotifyLevels
from bot.telegram.outbox import Outbox
from bot.texts import Texts
from bot.texts.render import render_event

log = logging.getLogger(__name__)


class TelegramNotifier:
    """Implements bot.engine.interface.Notifier: every owner's chat gets every event, at the
    level the trading settings give its kind (on, silent: without sound, off: not sent); the
    engine's views desk hands the levels over with `set_levels` each time it reads them."""

    def __init__(self, outbox: Outbox, chat_ids: Iterable[int], texts: Texts) -> None:
        self.outbox = outbox
        self.chat_ids = tuple(chat_ids)
        self.texts = texts
        # a bulk job's progress is one message per chat, edited in place: (chat, job) -> its id
        # (None while the first send is under way) and the newest text not shown yet
        self._progress_ids: dict[tuple[int, str], int | None] = {}
        self._progress_latest: dict[tuple[int, str], str] = {}
        self.levels = NotifyLevels()

    def _progress(self, chat_id: int, job_id: str, text: str, silent: bool) -> None:
        key = (chat_id, job_id)
        if key not in self._progress_ids:
            self._progress_ids[key] = None

            def sent(message_id: int) -> None:
                if key not in self._progress_ids:
                    return  # the job finished meanwhile
                self._progress_ids[key] = message_id
                latest = self._progress_latest.pop(key, None)
                if latest is not None:
                    self.outbox.edit(chat_id, message_id, latest)

            self.outbox.send(chat_id, text, on_sent=sent, silent=silent)
            return
        message_id = self._progress_ids[key]
        if message_id is None:
            self._progress_latest[key] = text
        else:
            self.outbox.edit(chat_id, message_id, text)

    def set_levels(self, levels: NotifyLevels) -> None:
        self.levels = levels

    async def notify(self, event: Event) -> None:
        try:
            level = self.levels.of(event)
            if level == "off":
                return
            text = render_event(self.texts, event)
            if isinstance(event, BulkProgress) and event.job_id is not None:
                for chat_id in self.chat_ids:
                    self._progress(chat_id, event.job_id, text, level == "silent")
                return
            if isinstance(event, BulkFinished) and event.job_id is not None:
                for chat_id in self.chat_ids:
                    self._progress_ids.pop((chat_id, event.job_id), None)
                    self._progress_latest.pop((chat_id, event.job_id), None)
            for chat_id in self.chat_ids:
                self.outbox.send(chat_id, text, silent=level == "silent")
        except Exception:  # a notification must never break trading
            log.exception("cannot notify about %r", event)
