"""The market recorder's file: round trip, size cap, retention, a crash mid-write."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.broker.types import LastPrice, OrderBook, PriceLevel
from bot.engine.tape import format as fmt
from bot.engine.tape.policy import TapeOptions, to_prune, trading_day
from bot.engine.tape.writer import TapeWriter

T0 = datetime(2026, 12, 4, 10, 0, 0, 123456, tzinfo=UTC)


def book(bid: str, ask: str, lots: int = 5, depth: int = 3) -> OrderBook:
    tick = Decimal("0.01")
    return OrderBook(
        instrument_uid="uid-sber",
        figi="BBG004730N88",
        depth=depth,
        bids=tuple(PriceLevel(Decimal(bid) - i * tick, lots + i) for i in range(depth)),
        asks=tuple(PriceLevel(Decimal(ask) + i * tick, lots + i) for i in range(depth)),
        time=T0,
        ticker="SBER",
        class_code="TQBR",
    )


def writer(tmp_path: Path, **kw: object) -> TapeWriter:
    return TapeWriter(tmp_path / "tape", TapeOptions(**kw), fsync=False)  # type: ignore[arg-type]


def test_books_and_last_prices_come_back_as_written(tmp_path: Path) -> None:
    tape = writer(tmp_path, depth=2)
    tape.put(book("280.15", "280.20"))
    tape.put(LastPrice("uid-sber", "BBG004730N88", Decimal("280.17"), T0))  # no ticker: learnt
    assert tape.flush() == 2
    [path] = fmt.day_files(tape.folder)
    events = list(fmt.read_file(path))
    assert [e.kind for e in events] == ["book", "last"]
    first, last = events
    assert first.bids == ((Decimal("280.15"), 5), (Decimal("280.14"), 6))  # depth 2 kept
    assert first.asks == ((Decimal("280.2"), 5), (Decimal("280.21"), 6))
    assert first.exchange_time == T0 and first.ticker == "SBER" and first.class_code == "TQBR"
    assert last.price == Decimal("280.17") and last.ticker == "SBER"
    # plain gzip tools read the file whole (concatenated members)
    assert gzip.decompress(path.read_bytes()).count(b"\n") == 2


def test_a_crash_mid_write_loses_only_the_member_being_written(tmp_path: Path) -> None:
    tape = writer(tmp_path)
    sizes = []
    for second in range(3):  # three flushes = three seconds of recording
        tape.put(book(f"28{second}.00", f"28{second}.05"))
        tape.flush()
        [path] = fmt.day_files(tape.folder)
        sizes.append(path.stat().st_size)
    data = path.read_bytes()
    prices = [Decimal("280"), Decimal("281"), Decimal("282")]
    for cut in range(1, len(data) + 1):  # the crash may cut the file anywhere
        path.write_bytes(data[:cut])
        seen = [e.bids[0][0] for e in fmt.read_file(path)]
        whole = sum(1 for size in sizes if size <= cut)
        assert seen == prices[:whole], f"cut at byte {cut}"


def test_the_size_cap_stops_recording_and_counts_what_it_refused(tmp_path: Path) -> None:
    tape = writer(tmp_path, max_bytes=600)
    for i in range(20):
        tape.put(book(f"{100 + i}.00", f"{100 + i}.05"))
        tape.flush()
    total = sum(p.stat().st_size for p in fmt.day_files(tape.folder))
    assert total <= 600
    assert tape.recorded > 0 and tape.capped == 20 - tape.recorded


def test_retention_and_cap_delete_the_oldest_days_never_today() -> None:
    days = [("2026-11-01", 100), ("2026-11-20", 100), ("2026-12-03", 100), ("2026-12-04", 100)]
    assert to_prune(days, "2026-12-04", max_bytes=10_000, retention_days=30) == ["2026-11-01"]
    assert to_prune(days, "2026-12-04", max_bytes=250, retention_days=30) == [
        "2026-11-01",
        "2026-11-20",
    ]
    assert to_prune(days, "2026-12-04", max_bytes=50, retention_days=30) == [
        "2026-11-01",
        "2026-11-20",
        "2026-12-03",
    ]


def test_old_days_are_deleted_when_the_writer_starts_a_day(tmp_path: Path) -> None:
    folder = tmp_path / "tape"
    folder.mkdir()
    (folder / "2020-01-01.jsonl.gz").write_bytes(fmt.compress_block(["{}"]))
    (folder / f"{trading_day(datetime.now(UTC))}.jsonl.gz").write_bytes(b"")
    tape = writer(tmp_path, retention_days=7)
    tape.start()
    tape.put(book("280.15", "280.20"))
    tape.close()
    names = [p.name for p in fmt.day_files(folder)]
    assert names == [f"{trading_day(datetime.now(UTC))}.jsonl.gz"]
    assert tape.recorded == 1


def test_a_full_queue_drops_instead_of_waiting(tmp_path: Path) -> None:
    tape = writer(tmp_path, queue_size=2)
    for _ in range(5):
        tape.put(book("1", "2"))
    assert tape.dropped == 3


@pytest.mark.parametrize(
    "moment,day",
    [("2026-12-04T20:59:00+00:00", "2026-12-04"), ("2026-12-04T21:00:00+00:00", "2026-12-05")],
)
def test_a_day_is_the_moscow_date(moment: str, day: str) -> None:
    assert trading_day(datetime.fromisoformat(moment)) == day
