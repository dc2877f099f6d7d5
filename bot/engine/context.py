"""What every job of an engine shares (passed in, never global)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.engine import events
from bot.engine.broker_port import BrokerPort
from bot.engine.clock import Clock
from bot.engine.interface import Notifier
from bot.engine.market import BookFeeds
from bot.engine.options import EngineOptions
from bot.engine.order_watch import OrderWatcher
from bot.engine.orders import OrderDesk
from bot.engine.recorder import BaseRecorder
from bot.engine.sessions import SessionCalendar

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineContext:
    broker: BrokerPort
    desk: OrderDesk
    recorder: BaseRecorder
    calendar: SessionCalendar
    feeds: BookFeeds
    orders: OrderWatcher
    notifier: Notifier
    clock: Clock
    options: EngineOptions
    account_id: str

    async def notify(self, event: events.Event) -> None:
        """Deliver an event; a failing notifier never stops trading."""
        try:
            await self.notifier.notify(event)
        except Exception:
            log.exception("notifier failed on %s", type(event).__name__)
