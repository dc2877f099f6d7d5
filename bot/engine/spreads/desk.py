"""The spreads' driver in the engine: /spreads and the resumption after a restart, with the list
of running spreads kept for the next start.

/spreads waits for the engine's start-up reconciliation (bot.engine.startup) and never starts a
spread whose job ended while the Base was read, nor one whose last job's records are not yet in
the Base (the registry keeps its key until they are): a resumed job that hedged and switched the
spread off must not be followed by a second job reading the old totals and hedging again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from bot.base_client.api import BaseApi
from bot.base_client.types import Spread, TradingSettings
from bot.engine.context import EngineContext
from bot.engine.interface import JobInfo, UserError
from bot.engine.jobs import Job, JobRegistry
from bot.engine.running import RunningFile
from bot.engine.spreads import job as spread_job
from bot.engine.spreads.legs import SpreadTuning, spread_key
from bot.engine.spreads.order_events import OrderEventRouter
from bot.engine.startup import StartGate

log = logging.getLogger(__name__)


class SpreadDesk:
    def __init__(
        self,
        ctx: EngineContext,
        base: BaseApi,
        registry: JobRegistry,
        gate: StartGate,
        running: RunningFile,
        *,
        tuning: SpreadTuning | None,
        order_events: OrderEventRouter,
        closing: Callable[[], bool],
    ) -> None:
        self._ctx = ctx
        self._base = base
        self._registry = registry
        self._gate = gate
        self._running = running
        self._tuning = tuning
        self._order_events = order_events
        self._closing = closing

    async def start_all(self) -> list[JobInfo]:
        """/spreads: run every active spread of the Base that is not running."""
        await self._gate.enter()
        mark = self._registry.mark()
        tasks = await self._gate.base_call(self._base.active_tasks())
        if not tasks.spreads:
            raise UserError(spread_job.NO_ACTIVE_SPREADS)
        settings = await self._gate.base_call(self._base.settings())
        started: list[JobInfo] = []
        for spread in tasks.spreads:
            key = spread_key(spread)
            if self._registry.running_key(key) is not None:
                continue
            if self._registry.touched_since(key, mark):
                continue  # started or ended while the Base was read: that read may be stale
            job = spread_job.start_spread(
                self._registry,
                self._ctx,
                spread,
                settings,
                tuning=self._tuning,
                order_events=self._order_events,
            )
            self.track(job)
            started.append(job.info())
        return started

    async def resume(self, spreads: Sequence[Spread], settings: TradingSettings) -> int:
        """Resume the spreads that were running, have open orders or unbalanced legs: each job
        adopts its open orders and hedges any imbalance before trading on."""
        jobs = await spread_job.resume_spreads(
            self._registry,
            self._ctx,
            spreads,
            settings,
            running=set(self._running.spread),
            tuning=self._tuning,
            order_events=self._order_events,
        )
        for job in jobs:
            self.track(job)
        self._running.spread &= {s.id for s in spreads}
        self._running.save()
        return len(jobs)

    def track(self, job: Job) -> None:
        """Remember a running spread (resumed after a crash) until it ends on its own."""
        if job.task_id is None or job.task is None:
            return
        spread_id = job.task_id
        running = self._running
        running.spread.add(spread_id)
        running.save()

        def ended(_task: object) -> None:
            if not job.stopping or self._closing():
                running.spread.discard(spread_id)
                running.save()

        job.task.add_done_callback(ended)
