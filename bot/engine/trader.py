"""`Engine`: the Trader the Telegram layer and the console talk to (bot.engine.interface).

Construct it, `await engine.start()` (flushes the local journal, reconciles unfinished jobs with
the broker, schedules the daily catalogue refresh), use it, and `await engine.close()`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from bot.base_client.api import BaseApi
from bot.engine.clock import Clock, SystemClock
from bot.engine.interface import (
    CatalogueUpdate,
    Health,
    JobInfo,
    Notifier,
    SellBuyOrder,
)
from bot.engine.jobs import JobRegistry
from bot.engine.journal import Journal
from bot.engine.options import EngineOptions
from bot.engine.recorder import BaseRecorder

log = logging.getLogger(__name__)


class Engine:
    """Implements bot.engine.interface.Trader.

    `broker` is the T-Invest client (bot.broker.TInvestClient) or any bot.engine.broker_port
    .BrokerPort; `state_dir` holds the local journal and the list of running jobs (None keeps
    them in memory: fine for tests, not for real money).
    """

    def __init__(
        self,
        broker: object,
        base: BaseApi,
        notifier: Notifier,
        *,
        account_id: str,
        mode: Literal["paper", "live"],
        clock: Clock | None = None,
        state_dir: Path | None = None,
        options: EngineOptions | None = None,
    ) -> None:
        self._broker_client = broker
        self._base = base
        self._notifier = notifier
        self._account_id = account_id
        self._mode = mode
        self._clock: Clock = clock or SystemClock()
        self._state_dir = state_dir
        self._options = options or EngineOptions()
        self._journal = Journal(state_dir, fsync=self._options.journal_fsync)
        self._recorder = BaseRecorder(
            base,
            self._journal,
            notifier,
            self._clock,
            retry_initial=self._options.base_retry_initial,
            retry_max=self._options.base_retry_max,
        )
        self._registry = JobRegistry(stop_timeout=self._options.stop_timeout)

    async def start(self) -> None:
        raise NotImplementedError

    async def health(self) -> Health:
        raise NotImplementedError

    def jobs(self) -> list[JobInfo]:
        return [job.info() for job in self._registry.jobs()]

    async def stop(self, job_id: str | None = None) -> list[JobInfo]:
        return await self._registry.stop(job_id)

    async def start_sellbuy_all(self) -> list[JobInfo]:
        raise NotImplementedError

    async def start_sellbuy(self, order: SellBuyOrder) -> JobInfo:
        raise NotImplementedError

    async def start_dump(self, ticker: str) -> JobInfo:
        raise NotImplementedError

    async def update_catalogue(self) -> CatalogueUpdate:
        raise NotImplementedError

    async def wait_idle(self) -> None:
        await self._registry.wait_idle()

    async def close(self) -> None:
        await self._registry.stop()
        await self._recorder.close()
