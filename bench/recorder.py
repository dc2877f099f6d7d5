"""The market recorder (bot/engine/tape) and /whatif.

Figures:
- the tape writer: events recorded per second by the writer thread (books of 10 levels a side)
  and bytes per event on disk, and what the trading path pays per event (`put`);
- the hot path with the recorder off and on: bench/spreads.py's 50 spreads (book stream,
  200 book updates a second) — executable -> far order sent and far fill -> hedge sent, measured
  when PostOrder is handed to the broker client, and the bot's CPU;
- /whatif: wall time per recorded day (a synthetic day of the two legs' books changing every
  second, 10:00-18:45 Moscow) through the live spread job against a replaying simulator.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench import spreads as hot
from bot.base_client.types import TradingSettings
from bot.broker.types import OrderBook, PriceLevel
from bot.engine.tape import format as fmt
from bot.engine.tape.policy import TapeOptions
from bot.engine.tape.whatif import run_whatif
from bot.engine.tape.writer import TapeWriter
from tests.support import tape_scenario as scenario

WRITER_EVENTS = 100_000
DAY_START = datetime(2026, 3, 11, 7, 0, tzinfo=UTC)  # 10:00 Moscow
DAY_SECONDS = 8 * 3600 + 45 * 60
BUSY_SECONDS = 900


def _book(rng: random.Random, uid: str, mid: Decimal, tick: Decimal, at: datetime) -> OrderBook:
    return OrderBook(
        instrument_uid=uid,
        figi="FIGI",
        depth=10,
        bids=tuple(PriceLevel(mid - (i + 1) * tick, rng.randint(1, 500)) for i in range(10)),
        asks=tuple(PriceLevel(mid + (i + 1) * tick, rng.randint(1, 500)) for i in range(10)),
        time=at,
        ticker="SBER",
        class_code="TQBR",
    )


def bench_writer() -> None:
    rng = random.Random(1)
    books = [
        _book(
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


def _synthetic_day(folder: Path, seconds: int, basis: int = 560) -> int:
    """Both legs change every second; the spread (far ask - 100 x SBER ask) wanders around
    `basis` within +-80."""
    rng = random.Random(3)
    spread = scenario.spread()
    far, near = spread.far, spread.near
    writer = TapeWriter(folder, TapeOptions(queue_size=200_000), fsync=False)
    near_mid = Decimal("250.00")
    low, high = basis - 80, basis + 80
    count = 0
    for second in range(seconds):
        at = DAY_START + timedelta(seconds=second)
        near_mid += rng.choice((-1, 0, 0, 1)) * Decimal("0.01")
        basis = max(low, min(high, basis + rng.choice((-2, -1, 0, 1, 2))))
        far_mid = near_mid * 100 + basis
        for inst, mid, tick in ((near, near_mid, Decimal("0.01")), (far, far_mid, Decimal(1))):
            book = _book(rng, inst.uid, mid, tick, at)
            fields = {name: getattr(book, name) for name in OrderBook.__slots__}
            writer.put(
                OrderBook(**{**fields, "ticker": inst.ticker, "class_code": inst.class_code})
            )
            count += 1
        if second % 600 == 0:
            writer.flush()
    writer.flush()
    return count


async def _whatif(seconds: int, target: int, amount: int) -> tuple[float, int, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        events = await asyncio.to_thread(_synthetic_day, Path(tmp), seconds)
        files = fmt.day_files(Path(tmp))
        spread = scenario.spread(target=str(target), amount=amount)
        result = await run_whatif(spread, Decimal(target), TradingSettings(), files)
    return result.wall_seconds, result.steps, events, result.filled


async def bench_whatif() -> None:
    hours = DAY_SECONDS / 3600
    wall, steps, events, filled = await _whatif(DAY_SECONDS, 640, 1000)
    print(f"/whatif, a quiet day ({hours:.2f} h, {events} book events of the legs, the target")
    print("  640 met only at moments; the replay jumps to them):")
    print(f"  wall time {wall:.1f} s per recorded day ({steps} clock steps; filled {filled} pcs)")
    wall, steps, events, filled = await _whatif(BUSY_SECONDS, 560, 100_000)
    per_hour = wall * 3600 / BUSY_SECONDS
    print(f"/whatif, a busy stretch ({BUSY_SECONDS} s, {events} events, target 560 met about half")
    print("  the time, so a far order is live most of it: one clock step per recorded second):")
    print(
        f"  wall time {wall:.1f} s = {per_hour:.0f} s per recorded hour, "
        f"{per_hour * hours / 60:.1f} min for a whole day like it "
        f"({steps} steps, {1000 * wall / max(steps, 1):.1f} ms per step; filled {filled} pcs)"
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
