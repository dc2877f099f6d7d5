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
  day (a far order live much of the day), the clock steps and time per step, and whether two
  runs of the busy day give identical fills.
"""

from __future__ import annotations

import asyncio
import random
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


async def _whatif(
    files: list[Path], target: int, amount: int, settings: TradingSettings
) -> tuple[WhatIfResult, float]:
    """The what-if and the CPU seconds this process spent on it."""
    spread = scenario.spread(target=str(target), amount=amount)
    cpu = time.process_time()
    result = await run_whatif(spread, Decimal(target), settings, files)
    return result, time.process_time() - cpu


def _fills(result: WhatIfResult) -> list[tuple[object, ...]]:
    return [(f.at, f.leg, f.pieces, f.price) for f in result.fills]


async def bench_whatif() -> None:
    hours = DAY_SECONDS / 3600
    with tempfile.TemporaryDirectory() as tmp:
        events = await asyncio.to_thread(scenario.synthetic_day, Path(tmp), DAY_SECONDS)
        files = fmt.day_files(Path(tmp))
        print(
            f"/whatif over a synthetic recorded day ({hours:.2f} h, {DAY_SECONDS} recorded "
            f"moments, {events} book events of the two legs, both changing every second):"
        )
        quiet, cpu = await _whatif(files, 640, 1000, TradingSettings())
        print(
            f"  quiet day (target 640, met only at moments; the replay jumps over the stretches "
            f"where the job is idle): wall {quiet.wall_seconds:.1f} s, CPU {cpu:.1f} s, "
            f"{quiet.steps} clock steps, filled {quiet.filled} pcs"
        )
        # target 560 is met about half the time: a far order stands, moves and fills much of
        # the day; the amount is never reached and the position limit never stops it
        busy = TradingSettings(max_position_value=Decimal(10**12))
        first, cpu = await _whatif(files, 560, 10_000_000, busy)
        print(
            f"  busy day, a whole one (target 560, met about half the time: a far order stands "
            f"and moves much of the day): wall {first.wall_seconds:.1f} s, CPU {cpu:.1f} s, "
            f"{first.steps} clock steps, {1000 * first.wall_seconds / max(first.steps, 1):.1f} ms "
            f"per step; filled {first.filled} pcs in {len(first.far_fills)} far fills"
        )
        again, cpu = await _whatif(files, 560, 10_000_000, busy)
        same = _fills(again) == _fills(first) and again.steps == first.steps
        print(
            f"  busy day again: wall {again.wall_seconds:.1f} s, CPU {cpu:.1f} s; fills, times "
            f"and prices identical to the first run: {'yes' if same else 'NO'}"
        )


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
