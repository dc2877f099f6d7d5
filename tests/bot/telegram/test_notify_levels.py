"""Notification levels per kind of event, applied by the Telegram notifier: on, silent (sent
with disable_notification) or off (not sent); the engine's feed hands them over from the
trading settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from bot.base_client.types import TradingSettings
from bot.engine import events as ev
from bot.engine.views.levels import NotifyLevels
from bot.telegram.notifier import TelegramNotifier
from tests.bot.engine.conftest import FAST
from tests.support.fake_base import FakeBase
from tests.support.fake_telegram import OWNER, Harness

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
FILL = ev.OrderFilled("1", AT, "SBER", "buy", 10, Decimal("250"), 10, 30, Decimal("250"))
STARTED = ev.JobStarted("1", AT, "sellbuy", "buy 30 SBER", 30)
ALERT = ev.Alert(None, AT, "reconciled", {"orders": "1", "fills": "0"})


async def test_silent_fills_no_progress_loud_alerts(tg: Harness) -> None:
    notifier = tg.trader.notifier
    assert isinstance(notifier, TelegramNotifier)
    notifier.set_levels(NotifyLevels(fills="silent", progress="off"))
    for event in (FILL, STARTED, ALERT):
        await notifier.notify(event)
    await tg.outbox.join()
    sent = tg.session.calls("sendMessage")
    assert len(sent) == 2, [r.params for r in sent]
    fill, alert = sent
    assert "SBER" in fill.params["text"] and fill.params.get("disable_notification") is True
    assert "buy 30 SBER" not in "\n".join(r.params["text"] for r in sent)  # progress is off
    assert not alert.params.get("disable_notification")
    assert tg.session.texts(OWNER)


async def test_default_levels_send_everything_with_sound(tg: Harness) -> None:
    notifier = tg.trader.notifier
    assert isinstance(notifier, TelegramNotifier)
    await notifier.notify(STARTED)
    await tg.outbox.join()
    [message] = tg.session.calls("sendMessage")
    assert not message.params.get("disable_notification")


async def test_the_feed_reads_the_levels_from_the_settings(tmp_path: object) -> None:
    """Engine.views.tick() reads the trading settings and hands the levels to the notifier."""
    from bot.engine.trader import Engine
    from tests.bot.engine.fake_broker import ACCOUNT, FakeBroker

    class Notifier:
        levels = NotifyLevels()

        async def notify(self, event: ev.Event) -> None:
            return None

        def set_levels(self, levels: NotifyLevels) -> None:
            self.levels = levels

    base = FakeBase(TradingSettings(notify_fills="off", notify_alerts="silent"))
    notifier = Notifier()
    engine = Engine(
        FakeBroker(),
        base,
        notifier,
        account_id=ACCOUNT,
        mode="paper",
        options=replace(FAST, views_snapshot_interval=None),
    )
    try:
        await engine.views.tick()
        assert notifier.levels == NotifyLevels(fills="off", alerts="silent")
        assert engine.views.levels.of(FILL) == "off"
    finally:
        await engine.close()
