"""The local list of running jobs (resumed after a crash) and of the budgets of buy-by-sum tasks.

    {"sellbuy": [5, 7], "spread": [2], "budgets": {"5": "3000000"}}

Written atomically to `running.json` in the engine's state directory; kept in memory only when
there is none (tests).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

RUNNING_FILE = "running.json"


class RunningFile:
    def __init__(self, state_dir: Path | None) -> None:
        self._path = None if state_dir is None else state_dir / RUNNING_FILE
        data = self._read()
        self.sellbuy: set[int] = {int(x) for x in data.get("sellbuy", [])}
        self.spread: set[int] = {int(x) for x in data.get("spread", [])}
        self.budgets: dict[int, Decimal] = {}
        for key, value in dict(data.get("budgets", {})).items():
            try:
                self.budgets[int(key)] = Decimal(str(value))
            except (ValueError, InvalidOperation):
                continue

    def _read(self) -> dict[str, Any]:
        if self._path is None:
            return {}
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        data = {
            "sellbuy": sorted(self.sellbuy),
            "spread": sorted(self.spread),
            "budgets": {str(k): str(v) for k, v in sorted(self.budgets.items())},
        }
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(self._path)
