"""Arguments of the stop-order commands: `/nuke TICKER SUM` (the others take none)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.commands.parsing import ParseError, _check_number, _ticker, _tokens

NUKE_USAGE = ParseError("stops.nuke_usage", {}, None, {})
MAX_SUM = Decimal(10) ** 12


@dataclass(frozen=True, slots=True)
class NukeArgs:
    ticker: str
    money: Decimal


def parse_nuke(text: str | None) -> NukeArgs | ParseError:
    """`SBER 400000` (thousands may be grouped: `SBER 400 000`, decimals `400000,50`)."""
    tokens = _tokens(text or "")
    if len(tokens) != 2:
        return NUKE_USAGE
    ticker = _ticker(tokens[0])
    if ticker is None:
        return NUKE_USAGE
    money = _check_number(
        tokens[1],
        whole=False,
        places=2,
        maximum=MAX_SUM,
        usage=ParseError("stops.nuke_usage", {}, "stops.nuke_usage", {}),
    )
    if isinstance(money, ParseError):
        return money
    return NukeArgs(ticker, money)


def takes_no_arguments(text: str | None) -> bool:
    return not (text or "").strip()
