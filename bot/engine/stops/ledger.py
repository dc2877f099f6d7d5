"""Every stop order's client UUID, journaled (fsynced) before it is sent.

The engine's write-ahead journal (bot.engine.journal) in a directory of its own (`stops/` in the
state directory): one entry per planned stop with its client UUID, acknowledged once its outcome
is known (placed, refused, or never sent because the owner stopped the command). What is still
pending at the next start was planned and maybe sent: it is sent again with the same UUID, which
the broker deduplicates, so a crash neither doubles nor forgets an order. Each entry keeps the time
it was journaled: GetStopOrders does not return the client UUID, so an order whose outcome stays
unknown is looked for among the stop orders created since then (`StopsDesk._find_placed`).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from bot.engine.journal import Journal
from bot.engine.stops.plan import PlanKind, PlannedStop, StopKind

log = logging.getLogger(__name__)
PLACED_FILE = "placed.jsonl"


@dataclass(frozen=True, slots=True)
class Prepared:
    stop: PlannedStop
    client_id: str
    seq: int
    plan: PlanKind
    at: datetime | None = None  # when it was journaled (None: an entry of an older version)
    stopped: bool = False  # its command was stopped while it was maybe sent: look, never resend


def _to_json(stop: PlannedStop) -> dict[str, Any]:
    return {
        "instrument_uid": stop.instrument_uid,
        "ticker": stop.ticker,
        "direction": stop.direction,
        "kind": stop.kind,
        "stop_price": str(stop.stop_price),
        "lots": stop.lots,
        "lot": stop.lot,
        "expire_at": None if stop.expire_at is None else stop.expire_at.isoformat(),
        "level": None if stop.level is None else str(stop.level),
        "instrument_id": stop.instrument_id,
        "price": None if stop.price is None else str(stop.price),
    }


def _from_json(data: dict[str, Any]) -> PlannedStop:
    return PlannedStop(
        instrument_uid=str(data["instrument_uid"]),
        ticker=str(data["ticker"]),
        direction="sell" if data["direction"] == "sell" else "buy",
        kind=cast(StopKind, data["kind"]),
        stop_price=Decimal(data["stop_price"]),
        lots=int(data["lots"]),
        lot=int(data["lot"]),
        expire_at=None
        if data.get("expire_at") is None
        else datetime.fromisoformat(data["expire_at"]),
        level=None if data.get("level") is None else Decimal(data["level"]),
        instrument_id=data.get("instrument_id"),
        price=None if data.get("price") is None else Decimal(data["price"]),
    )


class StopLedger:
    def __init__(self, state_dir: Path | None, *, fsync: bool = True) -> None:
        directory = None if state_dir is None else state_dir / "stops"
        self._journal = Journal(directory, fsync=fsync)
        self._placed = PlacedStops(None if directory is None else directory / PLACED_FILE)

    @property
    def placed(self) -> PlacedStops:
        return self._placed

    def prepare(
        self, plan: PlanKind, stops: tuple[PlannedStop, ...], at: datetime
    ) -> list[Prepared]:
        """A fresh client UUID for each stop, all journaled (one fsync) before anything is
        sent."""
        ids = [str(uuid.uuid4()) for _ in stops]
        entries = self._journal.append_many(
            "order",
            [
                {"client_id": client_id, "plan": plan, "at": at.isoformat(), "stop": _to_json(stop)}
                for client_id, stop in zip(ids, stops, strict=True)
            ],
        )
        return [
            Prepared(stop, client_id, entry.seq, plan, at)
            for stop, client_id, entry in zip(stops, ids, entries, strict=True)
        ]

    def mark_stopped(self, prepared: Prepared) -> None:
        """The owner stopped its command while this one was maybe sent (no answer yet): the
        next start looks for it at the broker instead of sending it again."""
        self._journal.append(
            "order",
            {
                "client_id": prepared.client_id,
                "plan": prepared.plan,
                "at": None if prepared.at is None else prepared.at.isoformat(),
                "stopped": True,
                "stop": _to_json(prepared.stop),
            },
        )
        self._journal.ack(prepared.seq)

    def settle(self, prepared: Prepared) -> None:
        """Its outcome is known (placed, refused, never sent): nothing to resolve any more."""
        self._journal.ack(prepared.seq)

    def pending(self) -> list[Prepared]:
        """Stops planned whose outcome is not known (after a crash: to send again, same ids)."""
        return [
            Prepared(
                _from_json(entry.data["stop"]),
                str(entry.data["client_id"]),
                entry.seq,
                cast(PlanKind, entry.data.get("plan", "stops")),
                None if entry.data.get("at") is None else datetime.fromisoformat(entry.data["at"]),
                bool(entry.data.get("stopped")),
            )
            for entry in self._journal.pending()
        ]

    def forget_all(self) -> list[Prepared]:
        """/cancel: nothing planned before it may be sent any more (what did reach the broker is
        cancelled with everything else). Returns the entries dropped."""
        pending = self.pending()
        for item in pending:
            self._journal.ack(item.seq)
        return pending


class PlacedStops:
    """Broker stop-order id -> client UUID of the stop orders the bot placed and the Base holds
    as live: /cancel and the activation watcher know broker ids only, the Base's records are
    keyed by client UUID. JSON lines (`{"id", "client_id"}`, `{"forget": id}`), compacted on
    load; losing it only loses those later status updates, never an order."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._ids: dict[str, str] = {}
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        lines = 0
        for raw in path.read_text(encoding="utf-8").splitlines():
            lines += 1
            try:
                item = json.loads(raw)
            except ValueError:
                log.warning("unreadable line in %s skipped", path)
                continue
            if "forget" in item:
                self._ids.pop(str(item["forget"]), None)
            else:
                self._ids[str(item["id"])] = str(item["client_id"])
        if lines > len(self._ids):
            body = "".join(
                json.dumps({"id": k, "client_id": v}) + "\n" for k, v in self._ids.items()
            )
            tmp = path.with_suffix(".tmp")
            tmp.write_text(body, encoding="utf-8")
            tmp.replace(path)

    def _write(self, item: dict[str, str]) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(item) + "\n")

    def add(self, stop_order_id: str, client_id: str) -> None:
        if self._ids.get(stop_order_id) == client_id:
            return
        self._ids[stop_order_id] = client_id
        self._write({"id": stop_order_id, "client_id": client_id})

    def pop(self, stop_order_id: str) -> str | None:
        """The client id of one of ours, forgotten (its final status is being recorded)."""
        client_id = self._ids.pop(stop_order_id, None)
        if client_id is not None:
            self._write({"forget": stop_order_id})
        return client_id

    def __contains__(self, stop_order_id: object) -> bool:
        return stop_order_id in self._ids
