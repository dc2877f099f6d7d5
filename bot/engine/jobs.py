"""The job registry: short typeable ids ("1", "2"...), what each job is doing, and stopping.

A job is an asyncio task running a coroutine that watches its `Job.stop_requested` event. The
same work (`key`, e.g. "sellbuy:12" for sell/buy task 12) cannot run twice at once: a second
start is refused with UserError('job_already_running').
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from bot.engine import text_keys
from bot.engine.events import JobKind
from bot.engine.interface import JobInfo, UserError

log = logging.getLogger(__name__)

JobState = Literal["running", "waiting", "stopping"]


@dataclass(eq=False)
class Job:
    job_id: str
    key: str
    kind: JobKind
    title: str
    amount: int
    started_at: datetime
    task_id: int | None = None
    executed: int = 0
    average_price: Decimal | None = None
    state: JobState = "running"
    rounds: int = 0  # decision rounds so far (diagnostics and tests)
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def info(self) -> JobInfo:
        return JobInfo(
            job_id=self.job_id,
            kind=self.kind,
            title=self.title,
            executed=self.executed,
            amount=self.amount,
            average_price=self.average_price,
            state=self.state,
            started_at=self.started_at,
            task_id=self.task_id,
        )

    @property
    def stopping(self) -> bool:
        return self.stop_requested.is_set()


class JobRegistry:
    def __init__(self, *, stop_timeout: float = 30.0) -> None:
        self._jobs: dict[str, Job] = {}
        self._by_key: dict[str, Job] = {}
        self._next_id = 1
        self._idle = asyncio.Event()
        self._idle.set()
        self._stop_timeout = stop_timeout

    def jobs(self) -> list[Job]:
        return list(self._jobs.values())  # in the order they started

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id.strip().lstrip("#"))

    def running_key(self, key: str) -> Job | None:
        return self._by_key.get(key)

    def check_free(self, key: str) -> None:
        """Raise UserError('job_already_running') when `key` already runs."""
        job = self._by_key.get(key)
        if job is not None:
            raise UserError(text_keys.JOB_ALREADY_RUNNING, job_id=job.job_id, title=job.title)

    def start(
        self,
        *,
        key: str,
        kind: JobKind,
        title: str,
        amount: int,
        started_at: datetime,
        run: Callable[[Job], Awaitable[None]],
        task_id: int | None = None,
        job_id: str | None = None,
    ) -> Job:
        """`job_id` names the job (bulk commands: "b1", "b2"...); by default the next number."""
        self.check_free(key)
        if job_id is not None and job_id in self._jobs:
            raise UserError(text_keys.JOB_ALREADY_RUNNING, job_id=job_id, title=title)
        job = Job(
            job_id=job_id or str(self._next_id),
            key=key,
            kind=kind,
            title=title,
            amount=amount,
            started_at=started_at,
            task_id=task_id,
        )
        if job_id is None:
            self._next_id += 1
        self._jobs[job.job_id] = job
        self._by_key[key] = job
        self._idle.clear()
        job.task = asyncio.create_task(self._run(job, run), name=f"job-{job.job_id}-{key}")
        return job

    async def _run(self, job: Job, run: Callable[[Job], Awaitable[None]]) -> None:
        try:
            await run(job)
        except asyncio.CancelledError:
            raise
        except Exception:  # the job reports its own failures; this is the last line
            log.exception("job %s (%s) crashed", job.job_id, job.title)
        finally:
            self._forget(job)

    def _forget(self, job: Job) -> None:
        self._jobs.pop(job.job_id, None)
        if self._by_key.get(job.key) is job:
            del self._by_key[job.key]
        if not self._jobs:
            self._idle.set()

    async def stop(self, job_id: str | None = None) -> list[JobInfo]:
        """Ask one job (or all) to stop and wait until they have (live orders cancelled, progress
        saved). A job that does not finish within the timeout is cancelled outright."""
        if job_id is None:
            targets = self.jobs()
        else:
            job = self.get(job_id)
            if job is None:
                raise UserError(text_keys.JOB_NOT_FOUND, job_id=job_id)
            targets = [job]
        for job in targets:
            job.state = "stopping"
            job.stop_requested.set()
        infos = [job.info() for job in targets]
        tasks = [job.task for job in targets if job.task is not None]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self._stop_timeout)
            for task in pending:
                log.error("job task %s did not stop in time; cancelling it", task.get_name())
                task.cancel()
            if pending:
                # bounded: a job stuck in a call that never returns must not hang /stop
                await asyncio.wait(pending, timeout=self._stop_timeout)
            for job in targets:
                if job.task is not None and not job.task.done():
                    self._forget(job)
        return infos

    async def wait_idle(self) -> None:
        await self._idle.wait()
