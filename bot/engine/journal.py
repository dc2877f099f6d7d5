"""A local write-ahead journal of Base records (orders, order updates, fills, task changes).

Every record the engine owes the Base is appended here (and fsynced) before anything else
happens, then flushed to the Base in order by `recorder.BaseRecorder`. A crash, or a Base
outage, therefore loses nothing: on start the pending entries are flushed first.

File format: JSON lines; `{"seq": n, "kind": ..., "data": {...}}` for an entry and `{"ack": n}`
once the Base has it. The file is truncated when nothing is pending.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

EntryKind = Literal["order", "update", "fill", "task_active"]
FILE_NAME = "journal.jsonl"
DEAD_LETTER_FILE = "dead_letter.jsonl"


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    kind: EntryKind
    data: dict[str, Any]


class Journal:
    """Append-only and durable when `directory` is given; in memory otherwise (tests)."""

    def __init__(self, directory: Path | None, *, fsync: bool = True) -> None:
        self._path = None if directory is None else directory / FILE_NAME
        self._fsync = fsync
        self._pending: dict[int, Entry] = {}
        self._parked: list[dict[str, Any]] = []
        self._seq = 0
        if self._path is not None:
            directory.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
            self._load()

    @property
    def path(self) -> Path | None:
        return self._path

    def _load(self) -> None:
        assert self._path is not None
        if not self._path.exists():
            return
        acked: set[int] = set()
        entries: dict[int, Entry] = {}
        with self._path.open(encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if not line:
                    continue
                try:
                    item = json.loads(line)
                except ValueError:  # a torn last line after a crash: it was never acted on
                    continue
                if "ack" in item:
                    acked.add(int(item["ack"]))
                else:
                    entry = Entry(int(item["seq"]), item["kind"], item["data"])
                    entries[entry.seq] = entry
                    self._seq = max(self._seq, entry.seq)
        self._pending = {seq: e for seq, e in sorted(entries.items()) if seq not in acked}
        self._seq = max([self._seq, *acked]) if acked else self._seq

    def _write(self, *items: dict[str, Any]) -> None:
        """Append lines and make them durable with one fsync."""
        if self._path is None or not items:
            return
        with self._path.open("a", encoding="utf-8") as handle:
            handle.write("".join(json.dumps(i, separators=(",", ":")) + "\n" for i in items))
            handle.flush()
            if self._fsync:
                os.fsync(handle.fileno())

    def append(self, kind: EntryKind, data: dict[str, Any]) -> Entry:
        return self.append_many(kind, [data])[0]

    def append_many(self, kind: EntryKind, items: list[dict[str, Any]]) -> list[Entry]:
        """Several entries made durable together: one write and one fsync (a bulk command's
        hundreds of stop orders, journaled before the first is sent)."""
        entries = []
        for data in items:
            self._seq += 1
            entries.append(Entry(self._seq, kind, data))
        self._write(*({"seq": e.seq, "kind": kind, "data": e.data} for e in entries))
        for entry in entries:
            self._pending[entry.seq] = entry
        return entries

    def ack(self, seq: int) -> None:
        self.ack_many([seq])

    def ack_many(self, seqs: list[int]) -> None:
        """The Base has these entries: one write (and fsync) for all of them."""
        done = [seq for seq in seqs if self._pending.pop(seq, None) is not None]
        if not done:
            return
        if not self._pending and self._path is not None:
            self._path.write_text("", encoding="utf-8")  # compact: nothing is owed
        else:
            self._write(*({"ack": seq} for seq in done))

    def park(self, seq: int, reason: str) -> None:
        """Move a pending entry the Base refused as invalid to the dead-letter file beside the
        journal (kept for the owner to look at and replay: never silently deleted), then take
        it off the journal."""
        entry = self._pending.get(seq)
        if entry is None:
            return
        item = {"seq": entry.seq, "kind": entry.kind, "data": entry.data, "reason": reason}
        self._parked.append(item)
        if self._path is not None:
            with self.dead_letter_path.open("a", encoding="utf-8") as handle:  # type: ignore[union-attr]
                handle.write(json.dumps(item, separators=(",", ":")) + "\n")
                handle.flush()
                if self._fsync:
                    os.fsync(handle.fileno())
        self.ack(seq)

    @property
    def dead_letter_path(self) -> Path | None:
        return None if self._path is None else self._path.with_name(DEAD_LETTER_FILE)

    def parked(self) -> list[dict[str, Any]]:
        """Entries parked in the dead-letter file (this run's, or all of them on disk)."""
        path = self.dead_letter_path
        if path is None or not path.exists():
            return list(self._parked)
        items: list[dict[str, Any]] = []
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    items.append(json.loads(line))
                except ValueError:  # a torn last line after a crash
                    continue
        return items

    @property
    def last_seq(self) -> int:
        """The number of the last entry journaled (0 when none ever was)."""
        return self._seq

    def flushed_through(self, seq: int) -> bool:
        """True when no entry numbered `seq` or lower is still owed to the Base."""
        return not self._pending or min(self._pending) > seq

    def pending(self) -> list[Entry]:
        return [self._pending[seq] for seq in sorted(self._pending)]

    def __len__(self) -> int:
        return len(self._pending)
