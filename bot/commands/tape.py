"""Arguments of /whatif N TARGET [DAYS], parsed without side effects (a result or a ParseError).

N is the spread's id in the Base (`7` or `#7`); TARGET the spread price to test, in roubles per
far piece (`550`, `-120,5`; grouped thousands as elsewhere); DAYS how many of the last recorded
days to replay (1 to 30, default 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.commands.parsing import MAX_PRICE, PRICE_PLACES, ParseError, parse_number

MAX_DAYS = 30
_ID = re.compile(r"#?([0-9]{1,9})")
_USAGE = ParseError("tape.whatif_usage")


@dataclass(frozen=True, slots=True)
class WhatIfRequest:
    spread_id: int
    target: Decimal
    days: int = 1


def _error(key: str, **params: str) -> ParseError:
    return ParseError(key, params, usage_key="tape.whatif_usage")


def parse_whatif(text: str | None) -> WhatIfRequest | ParseError:
    tokens = (text or "").split()
    if not tokens:
        return _error("tape.whatif_missing")
    # thousands groups of the target: "1 500" -> "1500" (a group has exactly three digits)
    if (
        len(tokens) >= 3
        and re.fullmatch(r"[0-9]{3}(?:[.,][0-9]+)?", tokens[2])
        and (len(tokens) == 4 or "," in tokens[2] or "." in tokens[2])
    ):
        tokens = [tokens[0], tokens[1] + tokens[2], *tokens[3:]]
    if len(tokens) < 2:
        return _error("tape.whatif_missing")
    if len(tokens) > 3:
        return _error("tape.whatif_extra", extra=" ".join(tokens[3:])[:24])
    found = _ID.fullmatch(tokens[0])
    if found is None or int(found.group(1)) < 1:
        return _error("tape.whatif_bad_id", token=tokens[0][:24])
    target = parse_number(tokens[1])
    if target is None or abs(target) >= MAX_PRICE or -target.as_tuple().exponent > PRICE_PLACES:  # type: ignore[operator]
        return _error("tape.whatif_bad_target", token=tokens[1][:24])
    days = 1
    if len(tokens) == 3:
        if not tokens[2].isdigit() or not 1 <= int(tokens[2]) <= MAX_DAYS:
            return _error("tape.whatif_bad_days", token=tokens[2][:24], max=str(MAX_DAYS))
        days = int(tokens[2])
    return WhatIfRequest(int(found.group(1)), target, days)
