"""The market recorder (bot/engine/tape) and /whatif.

Figures:
- the tape writer: events recorded per second by the writer thread (books of 10 levels a side)
  and bytes per event on disk, and what the trading path pays per event (`put`);
- the hot path with the recorder off and on: bench/spreads.py's 50 spreads (book stream,
  200 book updates a second) — executable -> far order sent and far fill -> hedge sent, measured
  when PostOrder is handed to the broker client, and the bot's CPU;
- /whatif: wall and CPU time per recorded day (a synthetic day of the two legs' books changing
  every second, 10:00-18:45 Moscow, tests/support/tape_scenario.py) through the live spread job
  against the replaying simulator: a quiet day (the target met only at moments) and a whole busy
  day (a far order live much of the day). First in a worker process, as /whatif runs
  (bot/engine/tape/worker.py): the wall time with the child's start, and what the live bot's
  process pays — its CPU, its event loop's longest stall, its RSS before and after (and the
  worker's peak); then in this process, as before the worker: wall and CPU, the loop's stall,
  the RSS it keeps, the clock steps and time per step; and whether both give identical fills.
"""

from __future__ import annotations

import asyncio
import random
import resource
import statistics
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

from bench import spreads as hot
from bot.base_client.types import TradingSettings
from bot.engine.tape import format as fmt
from bot.engine.tape.policy import TapeOptions
from bot.engine.tape.whatif import WhatIfResult, run_whatif
from bot.engine.tape.worker import WhatIfRequest, run_in_worker
from bot.engine.tape.writer import TapeWriter
from tests.support import tape_scenario as scenario

WRITER_EVENTS = 100_000
DAY_START = scenario.DAY_START  # 10:00 Moscow
DAY_SECONDS = 8 * 3600 + 45 * 60


def bench_writer() -> None:
    rng = random.Random(1)
    books = [
        scenario.random_book(
            rng,
            "uid",
            Decimal("250") + rng.randint(-50, 50) * Decimal("0.01"),
            Decimal("0.01"),
            DAY_START,
        )
        for _ in range(1000)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        writer = TapeWriter(Path(tmp), TapeOptions(queue_size=WRITER_EVENTS + 1))
        started = time.perf_counter()
        for i in range(WRITER_EVENTS):
            writer.put(books[i % len(books)])
        put_cost = (time.perf_counter() - started) / WRITER_EVENTS
        wall0 = time.perf_counter()
        done = threading.Event()

        def drain() -> None:
            writer.flush()
            done.set()

        threading.Thread(target=drain).start()
        done.wait()
        wall = time.perf_counter() - wall0
        size = sum(p.stat().st_size for p in fmt.day_files(Path(tmp)))
    print(f"tape writer: {WRITER_EVENTS} books of 10 levels a side")
    print(f"  put() on the trading path: {put_cost * 1e6:.2f} µs per event")
    print(f"  writer thread: {WRITER_EVENTS / wall:,.0f} events/s (JSON + gzip + write)")
    print(f"  on disk: {size / WRITER_EVENTS:.1f} bytes per event")


def _rss_mb() -> float:
    """This process's resident memory (the live bot's, in the worker figures)."""
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


class _Stalls:
    """The longest the event loop went without running a 10 ms ticker (what the live jobs'
    timers would have waited), while running."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            self.worst = max(self.worst, time.perf_counter() - before - 0.01)

    def __enter__(self) -> _Stalls:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def _whatif(
    files: list[Path], target: int, amount: int, settings: TradingSettings, *, worker: bool
) -> tuple[WhatIfResult, float, float]:
    """The what-if (in a worker process or in this one), the CPU seconds this process spent on
    it and the longest stall of this process's event loop meanwhile."""
    spread = scenario.spread(target=str(target), amount=amount)
    cpu = time.process_time()
    with _Stalls() as stalls:
        if worker:
            memory = TapeOptions().whatif_memory_mb
            request = WhatIfRequest(
                spread, Decimal(target), settings, tuple(files), memory_bytes=memory << 20
            )
            started = time.perf_counter()
            result = await run_in_worker(request)
            result.wall_seconds = time.perf_counter() - started  # the child's start included
        else:
            result = await run_whatif(spread, Decimal(target), settings, files)
    return result, time.process_time() - cpu, stalls.worst


def _fills(result: WhatIfResult) -> list[tuple[object, ...]]:
    return [(f.at, f.leg, f.pieces, f.price) for f in result.fills]


async def bench_whatif() -> None:
    hours = DAY_SECONDS / 3600
    # target 560 is met about half the time: a far order stands, moves and fills much of the
    # day; the amount is never reached and the position limit never stops it
    busy = TradingSettings(max_position_value=Decimal(10**12))
    with tempfile.TemporaryDirectory() as tmp:
        events = await asyncio.to_thread(scenario.synthetic_day, Path(tmp), DAY_SECONDS)
        files = fmt.day_files(Path(tmp))
        print(
            f"/whatif over a synthetic recorded day ({hours:.2f} h, {DAY_SECONDS} recorded "
            f"moments, {events} book events of the two legs, both changing every second):"
        )
        # the worker first: this process's memory is the live bot's, before any in-process run
        rss0 = _rss_mb()
        print(f"  in a worker process (as /whatif runs); this process {rss0:.0f} MB RSS before:")
        quiet, cpu, stall = await _whatif(files, 640, 1000, TradingSettings(), worker=True)
        print(
            f"    quiet day (target 640): wall {quiet.wall_seconds:.1f} s, this process's CPU "
            f"{cpu:.2f} s, its loop's longest stall {stall * 1000:.0f} ms; RSS {_rss_mb():.0f} MB"
        )
        in_worker, cpu, stall = await _whatif(files, 560, 10_000_000, busy, worker=True)
        child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"    busy day (target 560): wall {in_worker.wall_seconds:.1f} s, this process's "
            f"CPU {cpu:.2f} s, its loop's longest stall {stall * 1000:.0f} ms; RSS "
            f"{_rss_mb():.0f} MB after (worker peak {child_peak:.0f} MB, given back at its exit)"
        )
        print("  in this process (what /whatif did before the worker):")
        quiet, cpu, stall = await _whatif(files, 640, 1000, TradingSettings(), worker=False)
        print(
            f"    quiet day (target 640, met only at moments; the replay jumps over the "
            f"stretches where the job is idle): wall {quiet.wall_seconds:.1f} s, CPU {cpu:.1f} "
            f"s, loop's longest stall {stall:.1f} s, {quiet.steps} clock steps, filled "
            f"{quiet.filled} pcs; RSS {_rss_mb():.0f} MB"
        )
        first, cpu, stall = await _whatif(files, 560, 10_000_000, busy, worker=False)
        print(
            f"    busy day, a whole one (target 560, met about half the time: a far order "
            f"stands and moves much of the day): wall {first.wall_seconds:.1f} s, CPU {cpu:.1f} "
            f"s, loop's longest stall {stall:.1f} s, {first.steps} clock steps, "
            f"{1000 * first.wall_seconds / max(first.steps, 1):.1f} ms per step; filled "
            f"{first.filled} pcs in {len(first.far_fills)} far fills; RSS {_rss_mb():.0f} MB "
            f"after"
        )
        same = _fills(in_worker) == _fills(first) and in_worker.steps == first.steps
        print(f"  worker and in-process busy day: identical fills {'yes' if same else 'NO'}")


async def bench_hot_path() -> None:
    figures = {}
    async with hot.simulator() as url:
        for label, enabled in (("recorder off", False), ("recorder on", True)):
            with tempfile.TemporaryDirectory() as tmp:
                figures[label] = await hot.run_mode(
                    url,
                    "stream",
                    tape=TapeOptions(enabled=enabled),
                    state_dir=Path(tmp),
                    label=f"; {label}",
                )
    print("hot path, recorder off vs on (p50, ms):")
    for key in ("executable", "hedge"):
        off = statistics.median(figures["recorder off"][key]) * 1000
        on = statistics.median(figures["recorder on"][key]) * 1000
        print(f"  {key:10s}: off {off:6.1f}   on {on:6.1f}")


def main() -> None:
    bench_writer()
    asyncio.run(bench_whatif())
    asyncio.run(bench_hot_path())


if __name__ == "__main__":
    main()
