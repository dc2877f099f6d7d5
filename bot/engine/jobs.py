"""The job registry: owner-facing ids, what each job is doing, and stopping.

A job is an asyncio task running a coroutine that watches its `Job.stop_requested` event. The
same work (`key`, e.g. "sellbuy:12" for sell/buy task 12) cannot run twice at once: a second
start is refused with UserError('job_already_running').

Ids (`job_ref`): a job of a Base task is named by the task's id with a letter for its table, the
same everywhere (bot, reports, /stop, the admin): `T5` is sell/buy task 5, `S5` is spread 5. A job
with no Base task gets its kind's letter and a number of this run (`J7`; other families may give
their own letter through `REF_PREFIX`).

A job's records outlive it: when a job ends its key stays reserved (`running_key` still answers)
until everything journaled up to its end has reached the Base (`settle`), so a new job for the
same task can never start from Base totals that miss the old job's last fills or its switch-off.
`mark()` and `touched_since()` let a command that reads the Base before starting jobs see whether
a key started or ended while it was reading.
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

# owner-facing letter of a job's id, by kind: Base task id after it ("T5", "S5"), or a number of
# this run for a job without a Base task ("J3")
REF_PREFIX: dict[str, str] = {"sellbuy": "T", "spread": "S"}  # bulk stop jobs: B1, B2... (stops)
LOCAL_PREFIX = "J"


def job_ref(kind: str, task_id: int | None, number: int) -> str:
    """The id the owner sees and types: `T5` (sell/buy task 5), `S5` (spread 5), `J7`."""
    prefix = REF_PREFIX.get(kind)
    if prefix is not None and task_id is not None:
        return f"{prefix}{task_id}"
    return f"{LOCAL_PREFIX}{number}"


def normalise_ref(text: str) -> str:
    """`#s5` -> `S5` (ids are typed in any case, with or without `#`)."""
    return text.strip().lstrip("#").upper()


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
    order: int = 0  # start order in this run (listing)

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


Settle = Callable[[], Callable[[], Awaitable[None]]]


class JobRegistry:
    """`settle`, called as a job ends, returns what to await before its key is free again
    (the engine's: everything journaled so far has reached the Base)."""

    def __init__(self, *, stop_timeout: float = 30.0, settle: Settle | None = None) -> None:
        self._jobs: dict[str, Job] = {}
        self._by_key: dict[str, Job] = {}
        self._next_id = 1
        self._idle = asyncio.Event()
        self._idle.set()
        self._stop_timeout = stop_timeout
        self._settle = settle
        self._settling: set[asyncio.Task[None]] = set()
        self._epoch = 0
        self._touched: dict[str, int] = {}

    def jobs(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.order)

    def get(self, job_id: str) -> Job | None:
        """The running job of an owner-typed id (`S5`, `#t5`); a bare number finds the one job
        whose Base task has that id, when only one has."""
        ref = normalise_ref(job_id)
        job = self._jobs.get(ref)
        if job is not None or not ref.isdigit():
            return job
        same = [j for j in self._jobs.values() if j.task_id is not None and str(j.task_id) == ref]
        return same[0] if len(same) == 1 else None

    def running_key(self, key: str) -> Job | None:
        """The job running `key`, or the one that ended and whose records are not yet all in
        the Base (the key stays reserved until they are)."""
        return self._by_key.get(key)

    def mark(self) -> int:
        """A point in the registry's history, for `touched_since`."""
        return self._epoch

    def touched_since(self, key: str, mark: int) -> bool:
        """Whether a job for `key` started or released its key after `mark`."""
        return self._touched.get(key, -1) > mark

    def _touch(self, key: str) -> None:
        self._epoch += 1
        self._touched[key] = self._epoch

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
        """`job_id` names the job (bulk commands: "B1"...); by default from its task (job_ref)."""
        self.check_free(key)
        if job_id is None:
            job_id = job_ref(kind, task_id, self._next_id)
            if job_id in self._jobs:  # two keys of one Base task (never by design): keep ids unique
                job_id = job_ref("", None, self._next_id)
        elif job_id in self._jobs:
            raise UserError(text_keys.JOB_ALREADY_RUNNING, job_id=job_id, title=title)
        job = Job(
            job_id=job_id,
            key=key,
            kind=kind,
            title=title,
            amount=amount,
            started_at=started_at,
            task_id=task_id,
            order=self._next_id,
        )
        self._next_id += 1
        self._touch(key)
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
        if self._jobs.get(job.job_id) is job:
            del self._jobs[job.job_id]
        if self._by_key.get(job.key) is job:
            # only a Base task's job starts from totals in the Base: a job of no task (a bulk
            # stop command) has nothing to wait for, and /cancel twice must not be refused
            if self._settle is None or job.task_id is None:
                self._release(job)
            else:
                settled = self._settle()
                task = asyncio.get_running_loop().create_task(
                    self._release_when(job, settled), name=f"settle-{job.key}"
                )
                self._settling.add(task)
                task.add_done_callback(self._settling.discard)
        if not self._jobs:
            self._idle.set()

    async def _release_when(self, job: Job, settled: Callable[[], Awaitable[None]]) -> None:
        try:
            await settled()
        finally:
            self._release(job)

    def _release(self, job: Job) -> None:
        if self._by_key.get(job.key) is job:
            del self._by_key[job.key]
            self._touch(job.key)

    async def close(self) -> None:
        """Forget the keys still waiting for their records (the engine is going away)."""
        for task in list(self._settling):
            task.cancel()
        if self._settling:
            await asyncio.wait(self._settling, timeout=5.0)

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
