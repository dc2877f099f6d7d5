"""Arguments of /scan [RATE] and /dscan [N], parsed without side effects (never raising).

- RATE: per cent a year, `7.5`, `7,5` or `7.5%`; from −100 (exclusive) to 10 000; none = the
  trading settings' scan rate (None is returned).
- N: a whole number of rows from 1 to MAX_DSCAN_ROWS; none = DEFAULT_DSCAN_ROWS.
"""

from __future__ import annotations

from decimal import Decimal

from bot.commands.parsing import ParseError, parse_number
from bot.engine.scanners.desk import DEFAULT_DSCAN_ROWS, MAX_DSCAN_ROWS

MAX_RATE = Decimal(10_000)
MIN_RATE = Decimal(-100)
_SHOWN = 24


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def parse_scan_rate(args: str | None) -> Decimal | ParseError | None:
    text = (args or "").strip()
    if not text:
        return None
    token = text[:-1].strip() if text.endswith("%") else text
    value = parse_number(token) if " " not in token else None
    if value is None or not MIN_RATE < value <= MAX_RATE:
        return ParseError("scan.bad_rate", {"value": _shown(text)}, usage_key="scan.usage")
    return value


def parse_dscan_top(args: str | None) -> int | ParseError:
    text = (args or "").strip()
    if not text:
        return DEFAULT_DSCAN_ROWS
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_DSCAN_ROWS:
        return int(text)
    return ParseError(
        "scan.bad_top",
        {"value": _shown(text), "max": str(MAX_DSCAN_ROWS)},
        usage_key="scan.dscan_usage",
        usage_params={"max": str(MAX_DSCAN_ROWS)},
    )
