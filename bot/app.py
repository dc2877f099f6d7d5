"""Wiring: the broker client, the Base client and the Engine, built from the configuration.

    app = await build_app(config, notifier)   # Engine started (journal flushed, reconciled)
    ... app.trader ...
    await app.close()                         # jobs stopped cleanly, connections released

Nothing here knows Telegram: the notifier is passed in (Telegram, console or tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.base_client import BaseClient
from bot.base_client.errors import BaseRejected
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.broker.errors import BrokerError
from bot.config import BotConfig
from bot.engine.events import Event, RateLimitWait
from bot.engine.interface import Notifier
from bot.engine.options import EngineOptions
from bot.engine.trader import Engine

log = logging.getLogger(__name__)

CLOSE_TIMEOUT = 60.0  # seconds for the engine to stop its jobs and flush its records


class DeferredNotifier:
    """A Notifier that keeps the engine's events until the real one is attached: the engine can
    resume trading while the Telegram layer (aiogram, slow to import) is still loading."""

    def __init__(self) -> None:
        self._target: Notifier | None = None
        self._waiting: list[Event] = []

    async def notify(self, event: Event) -> None:
        if self._target is None:
            self._waiting.append(event)
            return
        await self._target.notify(event)

    async def attach(self, target: Notifier) -> None:
        self._target = target
        waiting, self._waiting = self._waiting, []
        for event in waiting:
            await target.notify(event)


class AppStartError(Exception):
    """The stack cannot start; the message says what to fix (shown without a traceback)."""


@dataclass
class App:
    trader: Engine
    broker: TInvestClient
    base: BaseClient
    account_id: str

    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None:  # noqa: ASYNC109
        """Stop the engine (jobs cancel their orders), bounded: a shutdown must never hang."""
        closing = asyncio.ensure_future(self.trader.close())
        try:
            done, _ = await asyncio.wait({closing}, timeout=timeout)
            if not done:
                log.error("the engine did not stop within %s s; leaving anyway", timeout)
                closing.cancel()
            elif closing.exception() is not None:
                log.error("the engine failed while stopping", exc_info=closing.exception())
        finally:
            with contextlib.suppress(Exception):
                await self.broker.close()
            with contextlib.suppress(Exception):
                await self.base.close()


class _RateLimitReporter:
    """The broker client's (synchronous) wait hook, turned into RateLimitWait events."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, method: str, seconds: float) -> None:
        event: Event = RateLimitWait(None, datetime.now(UTC), method, seconds)
        try:
            task = asyncio.get_running_loop().create_task(self.notifier.notify(event))
        except RuntimeError:  # no loop: nothing to report to
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def broker_config(config: BotConfig, account_id: str = "") -> BrokerConfig:
    token = config.tinvest_token.get_secret_value() if config.tinvest_token else ""
    return BrokerConfig(
        token=token,
        account_id=account_id,
        rest_url=config.rest_url,
        ws_url=config.ws_url,
        ca_bundle=str(config.tinvest_ca_bundle) if config.tinvest_ca_bundle else None,
        app_name=config.tinvest_app_name,
    )


async def _first_account(config: BotConfig) -> str:
    """Paper mode without TINVEST_ACCOUNT_ID: the simulator's first account."""
    async with TInvestClient(broker_config(config)) as probe:
        try:
            accounts = await probe.get_accounts()
        except BrokerError as exc:
            raise AppStartError(
                f"cannot reach the broker at {config.rest_url}: {exc.user_message()} "
                "(is the simulator running? `python -m simulator --port 8800 --seed 1`)"
            ) from None
    if not accounts:
        raise AppStartError(f"the broker at {config.rest_url} has no accounts")
    return accounts[0].id


async def build_app(config: BotConfig, notifier: Notifier) -> App:
    config.check_broker()
    account_id = config.tinvest_account_id or await _first_account(config)
    broker = TInvestClient(
        broker_config(config, account_id), on_rate_limit_wait=_RateLimitReporter(notifier)
    )
    if config.base_token is None:
        log.warning("BASE_TOKEN is not set: the Base will refuse the bot (manage.py bot_token)")
    base = BaseClient(
        config.base_url, config.base_token.get_secret_value() if config.base_token else ""
    )
    config.bot_state_dir.mkdir(parents=True, exist_ok=True)
    engine = Engine(
        broker,
        base,
        notifier,
        account_id=account_id,
        mode=config.trademan_mode,
        state_dir=config.bot_state_dir,
        tape=config.tape_options(),
        options=EngineOptions(views_snapshot_interval=config.views_snapshot_seconds or None),
    )
    app = App(engine, broker, base, account_id)
    try:
        await engine.start()
    except BaseRejected as exc:
        await app.close()
        raise AppStartError(
            f"the Base at {config.base_url} refused the bot: {exc} (check BASE_TOKEN; "
            "`python trademan/manage.py bot_token` prints one)"
        ) from None
    except BrokerError as exc:
        await app.close()
        raise AppStartError(f"the broker refused at start: {exc.user_message()}") from None
    log.info("engine started: mode=%s account=%s", config.trademan_mode, account_id)
    return app
