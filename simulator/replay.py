"""Replay of a market recording: the books of the recorded instruments follow the tape.

The recording is the bot's tape (JSON lines in gzip members, one file per day; the schema is in
simulator/README.md). This module reads it on its own — the simulator shares no code with the
bot. Each recorded instrument is found in the catalogue by ticker and class code (else by uid or
figi); the others keep their random walk. An event is due when the simulator's clock reaches its
exchange time (its receive time when it has none): a book replaces the instrument's book (depth
as recorded) and resting orders meet it, a last price is a trade of the rest of the market
(resting orders at or through it fill, as with the walk). ``--speed`` moves the clock: a factor
of real time, ``max`` (from event to event as fast as possible) or ``step`` (only the control
API moves it: ``POST /control/replay`` or ``/control/clock``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.instruments import Catalogue, Instrument
from simulator.market import Level, Market

if TYPE_CHECKING:
    from simulator.exchange import Exchange
    from simulator.state import Simulator

log = logging.getLogger(__name__)

SUFFIX = ".jsonl.gz"
#: real seconds between clock moves when replaying at a factor of real time
DRIVE_INTERVAL = 0.05


@dataclass(frozen=True, slots=True)
class TapeRecord:
    kind: str  # "book" | "last"
    uid: str
    figi: str
    ticker: str
    class_code: str
    time: datetime
    bids: tuple[tuple[Decimal, int], ...] = ()
    asks: tuple[tuple[Decimal, int], ...] = ()
    price: Decimal | None = None


def _members(data: bytes) -> Iterator[bytes]:
    """Complete gzip members; a member cut short (the recorder crashed) ends the file."""
    while data:
        unpacker = zlib.decompressobj(31)
        try:
            body = unpacker.decompress(data)
        except zlib.error:
            return
        if not unpacker.eof:
            return
        yield body
        data = unpacker.unused_data


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _levels(raw: object) -> tuple[tuple[Decimal, int], ...]:
    out = []
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, list) and len(item) == 2:
                out.append((Decimal(str(item[0])), int(item[1])))
    return tuple(out)


def parse_line(line: str) -> TapeRecord | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != 1 or data.get("k") not in ("book", "last"):
        return None
    moment = _time(data.get("ts")) or _time(data.get("rt"))
    if moment is None:
        return None
    try:
        price = data.get("p")
        return TapeRecord(
            kind=str(data["k"]),
            uid=str(data.get("uid") or ""),
            figi=str(data.get("figi") or ""),
            ticker=str(data.get("ticker") or ""),
            class_code=str(data.get("class") or ""),
            time=moment,
            bids=_levels(data.get("b")),
            asks=_levels(data.get("a")),
            price=Decimal(str(price)) if price is not None else None,
        )
    except (InvalidOperation, ValueError, TypeError):
        return None


def tape_files(path: Path) -> list[Path]:
    """A day file, or every day file of a folder (oldest first)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.name.endswith(SUFFIX))
    return [path]


def read_tape(path: Path) -> list[TapeRecord]:
    """Every readable record of a file or folder, ordered by time (stable)."""
    records: list[TapeRecord] = []
    for file in tape_files(path):
        for body in _members(file.read_bytes()):
            for line in body.decode("utf-8", errors="replace").splitlines():
                record = parse_line(line) if line.strip() else None
                if record is not None:
                    records.append(record)
    records.sort(key=lambda r: r.time)
    return records


def _find(catalogue: Catalogue, record: TapeRecord) -> Instrument | None:
    if record.ticker and record.class_code:
        inst = catalogue.by_ticker(record.ticker, record.class_code)
        if inst is not None:
            return inst
    for ident in (record.uid, record.figi):
        if ident:
            inst = catalogue.find(ident)
            if inst is not None:
                return inst
    return None


class Replay:
    """The recording, positioned at the simulator's clock."""

    def __init__(self, records: list[TapeRecord], speed: str = "max") -> None:
        self.records = records
        self.speed = speed  # a factor ("10"), "max" or "step"
        self.position = 0
        self.applied = 0
        self.skipped = 0
        self.unknown: set[str] = set()
        self._seen: set[str] = set()

    @classmethod
    def load(cls, path: Path, speed: str = "max") -> Replay:
        records = read_tape(path)
        if not records:
            raise ValueError(f"no recording found in {path}")
        return cls(records, speed)

    @property
    def start(self) -> datetime:
        return self.records[0].time

    @property
    def end(self) -> datetime:
        return self.records[-1].time

    @property
    def done(self) -> bool:
        return self.position >= len(self.records)

    @property
    def next_time(self) -> datetime | None:
        return None if self.done else self.records[self.position].time

    def instruments(self, catalogue: Catalogue) -> set[str]:
        """The simulator uids the recording drives (their walk stops)."""
        uids = set()
        for record in self.records:
            inst = _find(catalogue, record)
            if inst is not None:
                uids.add(inst.uid)
        return uids

    def apply_until(self, exchange: Exchange, now: datetime) -> int:
        """Apply every record due at `now`; returns how many were applied."""
        count = 0
        while not self.done and self.records[self.position].time <= now:
            record = self.records[self.position]
            self.position += 1
            inst = _find(exchange.catalogue, record)
            if inst is None:
                self.skipped += 1
                self.unknown.add(record.ticker or record.uid or record.figi)
                continue
            self._apply(exchange, inst, record)
            count += 1
        self.applied += count
        return count

    def _apply(self, exchange: Exchange, inst: Instrument, record: TapeRecord) -> None:
        market: Market = exchange.market
        quote = market.quote(inst)
        if record.kind == "book":
            bids = [Level(p, q) for p, q in record.bids]
            asks = [Level(p, q) for p, q in record.asks]
            market.set_book(inst, bids, asks, record.time)
            if inst.uid not in self._seen:
                # the first recorded book sets the day's reference (price band) and last price
                self._seen.add(inst.uid)
                quote.last_price = quote.market_last = quote.close_price = quote.mid
                quote.last_time = record.time
            exchange.replayed_change([inst], market_traded=False)
        elif record.price is not None:
            quote.last_price = quote.market_last = record.price
            quote.last_time = record.time
            if inst.uid not in self._seen:
                self._seen.add(inst.uid)
                quote.close_price = record.price
            exchange.replayed_change([inst], market_traded=True)

    def describe(self) -> dict[str, object]:
        return {
            "speed": self.speed,
            "start": self.start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "end": self.end.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "events": len(self.records),
            "applied": self.applied,
            "skipped": self.skipped,
            "unknownInstruments": sorted(self.unknown),
            "next": (self.next_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if self.next_time else None),
            "done": self.done,
        }


def attach(exchange: Exchange, replay: Replay) -> None:
    """Let `replay` drive the exchange's books from its clock's present on."""
    exchange.replay = replay
    exchange.market.replayed = replay.instruments(exchange.catalogue)
    replay.apply_until(exchange, exchange.clock.now())


def parse_speed(text: str) -> str:
    """ "max", "step" or a positive factor of real time (as text); ValueError otherwise."""
    value = text.strip().lower()
    if value in ("max", "step"):
        return value
    if float(value) <= 0:
        raise ValueError("the replay speed must be positive, max or step")
    return value


async def drive(sim: Simulator) -> None:
    """Move the clock through the recording at its speed (not for "step")."""
    replay = sim.replay
    if replay is None or replay.speed == "step":
        return
    loop = asyncio.get_running_loop()
    if replay.speed == "max":
        while not replay.done and sim.replay is replay:
            moment = replay.next_time
            if moment is not None and moment > sim.clock.now():
                sim.clock.set(moment)
            sim.after_clock_change()
            await asyncio.sleep(0)
        log.info("replay finished")
        return
    factor = float(replay.speed)
    real_start, sim_start = loop.time(), sim.clock.now()
    while sim.replay is not None and not sim.replay.done:
        await asyncio.sleep(DRIVE_INTERVAL)
        sim.clock.set(sim_start + timedelta(seconds=(loop.time() - real_start) * factor))
        sim.after_clock_change()
    log.info("replay finished")
