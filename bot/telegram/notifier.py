"""The engine's Notifier for Telegram and the console: render the event, queue it, return."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.engine.events import Event
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
        self.levels = NotifyLevels()

    def set_levels(self, levels: NotifyLevels) -> None:
        self.levels = levels

    async def notify(self, event: Event) -> None:
        try:
            level = self.levels.of(event)
            if level == "off":
                return
            text = render_event(self.texts, event)
            for chat_id in self.chat_ids:
                self.outbox.send(chat_id, text, silent=level == "silent")
        except Exception:  # a notification must never break trading
            log.exception("cannot notify about %r", event)
