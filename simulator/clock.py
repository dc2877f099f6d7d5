"""The simulator's clock: the wall clock plus an offset, or frozen at a moment tests move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SimClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._frozen: datetime | None = start.astimezone(UTC) if start is not None else None
        self._offset = timedelta(0)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        delta = timedelta(seconds=seconds)
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta
        return self.now()

    def set(self, moment: datetime) -> datetime:
        moment = moment.astimezone(UTC)
        if self._frozen is not None:
            self._frozen = moment
        else:
            self._offset = moment - datetime.now(UTC)
        return self.now()
