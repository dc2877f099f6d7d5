"""Wiring facts: the bot never imports Django; broker rate-limit waits reach the owner."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from bot.app import _RateLimitReporter, broker_config
from bot.config import BotConfig
from bot.engine import events as ev

ROOT = Path(__file__).resolve().parents[2]


def test_the_bot_never_imports_django() -> None:
    code = (
        "import sys, bot.app, bot.console, bot.telegram.polling, bot.__main__\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'trademan'))\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


class Recorder:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self.arrived = asyncio.Event()

    async def notify(self, event: ev.Event) -> None:
        self.events.append(event)
        self.arrived.set()


async def test_rate_limit_waits_become_events() -> None:
    notifier = Recorder()
    hook = _RateLimitReporter(notifier)
    hook("PostOrder", 12.5)  # called synchronously by the broker client
    await asyncio.wait_for(notifier.arrived.wait(), 5)
    [event] = notifier.events
    assert isinstance(event, ev.RateLimitWait)
    assert (event.method, event.seconds) == ("PostOrder", 12.5)


def test_broker_config_follows_the_mode_and_keeps_the_token_secret() -> None:
    config = BotConfig(  # type: ignore[call-arg]
        _env_file=None, trademan_mode="live", tinvest_token="t.SECRET", tinvest_account_id="42"
    )
    broker = broker_config(config, "42")
    assert broker.rest_url == "https://invest-public-api.tbank.ru/rest"
    assert broker.token == "t.SECRET"
    assert "SECRET" not in repr(broker)
