"""The tape format: JSON lines in gzip members (schema version 1).

A day's file is ``<state>/tape/YYYY-MM-DD.jsonl.gz`` (the Moscow trading date of the receive
time). It is a concatenation of gzip members (RFC 1952 allows it; ``zcat`` reads it whole), one
member per flush (about every second), so a file cut short by a crash is readable up to its last
complete member. Each line is one JSON object:

book  {"v": 1, "k": "book", "uid": "...", "figi": "...", "ticker": "SBER", "class": "TQBR",
       "ts": "2026-12-04T10:00:00.123456Z", "rt": "2026-12-04T10:00:00.130001Z",
       "b": [["280.15", 12], ...], "a": [["280.20", 3], ...]}
last  {"v": 1, "k": "last", "uid": ..., "figi": ..., "ticker": ..., "class": ...,
       "ts": ..., "rt": ..., "p": "280.17"}

``ts`` is the exchange time (empty when the broker gave none), ``rt`` the time the bot received
it; ``b`` bids best (highest) first and ``a`` asks best (lowest) first, each ``[price, lots]`` with
the price a decimal string in the instrument's units (points for futures) and the quantity in
lots. Lines are in receive order. Readers ignore unknown keys and kinds.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

VERSION = 1
SUFFIX = ".jsonl.gz"

Level = tuple[Decimal, int]


@dataclass(frozen=True, slots=True)
class TapeEvent:
    kind: str  # "book" or "last"
    uid: str
    figi: str
    ticker: str
    class_code: str
    exchange_time: datetime | None
    receive_time: datetime
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()
    price: Decimal | None = None  # last price ("last" events)


def _ts(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_ts(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _num(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def encode(event: TapeEvent) -> str:
    """One JSON line (without the newline)."""
    data: dict[str, object] = {
        "v": VERSION,
        "k": event.kind,
        "uid": event.uid,
        "figi": event.figi,
        "ticker": event.ticker,
        "class": event.class_code,
        "ts": _ts(event.exchange_time),
        "rt": _ts(event.receive_time),
    }
    if event.kind == "book":
        data["b"] = [[_num(p), q] for p, q in event.bids]
        data["a"] = [[_num(p), q] for p, q in event.asks]
    else:
        data["p"] = _num(event.price) if event.price is not None else None
    return json.dumps(data, separators=(",", ":"))


def _levels(raw: object) -> tuple[Level, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for item in raw:
        if isinstance(item, list) and len(item) == 2:
            out.append((Decimal(str(item[0])), int(item[1])))
    return tuple(out)


#: reads the levels of one side (a JSON list of [price, lots])
LevelReader = Callable[[object], tuple[Level, ...]]
#: whether to read an event, from its ticker, class code and uid
EventFilter = Callable[[str, str, str], bool]


def decode(
    line: str, levels: LevelReader = _levels, keep: EventFilter | None = None
) -> TapeEvent | None:
    """The event of one line; None for a line of an unknown kind or version, or one `keep`
    turns down (before its levels are read)."""
    data = json.loads(line)
    if not isinstance(data, dict) or data.get("v") != VERSION:
        return None
    kind = data.get("k")
    if kind not in ("book", "last"):
        return None
    receive = _parse_ts(data.get("rt"))
    if receive is None:
        return None
    uid = str(data.get("uid") or "")
    ticker = str(data.get("ticker") or "")
    class_code = str(data.get("class") or "")
    if keep is not None and not keep(ticker, class_code, uid):
        return None
    price = data.get("p")
    return TapeEvent(
        kind=str(kind),
        uid=uid,
        figi=str(data.get("figi") or ""),
        ticker=ticker,
        class_code=class_code,
        exchange_time=_parse_ts(data.get("ts")),
        receive_time=receive,
        bids=levels(data.get("b")),
        asks=levels(data.get("a")),
        price=Decimal(str(price)) if price is not None else None,
    )


def compress_block(lines: list[str], level: int = 6) -> bytes:
    """One complete gzip member holding these lines (each ended by a newline)."""
    packer = zlib.compressobj(level, zlib.DEFLATED, 31)
    body = "".join(f"{line}\n" for line in lines).encode("utf-8")
    return packer.compress(body) + packer.flush()


def read_blocks(data: bytes) -> Iterator[bytes]:
    """The decompressed content of each complete gzip member; a truncated or damaged tail (a
    crash mid-write) ends the iteration quietly."""
    rest = data
    while rest:
        unpacker = zlib.decompressobj(31)
        try:
            body = unpacker.decompress(rest)
        except zlib.error:
            return
        if not unpacker.eof:
            return  # the last member was cut short
        yield body
        rest = unpacker.unused_data


def read_file(
    path: Path, levels: LevelReader = _levels, keep: EventFilter | None = None
) -> Iterator[TapeEvent]:
    """Every event of one day file (those `keep` takes), in order, up to the last complete
    member; `levels` reads each side of a book."""
    for body in read_blocks(path.read_bytes()):
        for line in body.decode("utf-8").splitlines():
            if not line.strip():
                continue
            try:
                event = decode(line, levels, keep)
            except (ValueError, ArithmeticError):
                continue
            if event is not None:
                yield event


def day_files(folder: Path) -> list[Path]:
    """The day files of a tape folder, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith(SUFFIX) and p.is_file())


def day_of(path: Path) -> str:
    return path.name[: -len(SUFFIX)]
