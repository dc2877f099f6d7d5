"""The in-memory Base (tests.support.fake_base.FakeBase) plus the stop lists and the stash."""

from __future__ import annotations

from typing import Any

from bot.base_client.types import Instrument, TradingSettings
from tests.support.fake_base import FakeBase


class StopsBase(FakeBase):
    """The in-memory Base plus stop lists and the stash."""

    def __init__(self, settings: TradingSettings | None = None) -> None:
        super().__init__(settings)
        self.lists: dict[str, list[Instrument]] = {
            "whitelist": [],
            "stop_blacklist": [],
            "short_blacklist": [],
        }
        self.stash_rows: list[dict[str, Any]] = []

    async def stop_lists(self) -> dict[str, list[Instrument]]:
        self._check("stop_lists")
        return self.lists

    async def stash(self) -> dict[str, Any]:
        self._check("stash")
        return {"saved_at": None, "orders": list(self.stash_rows)}

    async def put_stash(self, orders: list[dict[str, Any]]) -> dict[str, Any]:
        self._check("put_stash")
        assert orders, "the Base refuses an empty stash"
        self.stash_rows = list(orders)
        return {"orders": orders}
