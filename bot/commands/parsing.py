"""Arguments of /sell, /buy, /dump and /stop, parsed without side effects.

Rules (also in /help and the README):

- `/sell TICKER SUM` — SUM in roubles (the engine buys/sells the largest whole number of lots it
  pays for); `/sell AMOUNT TICKER` — AMOUNT in pieces, a whole number. Same for `/buy`.
- An optional limit price `@PRICE` comes last (`@281.5`, `@ 281,5`).
- Decimal mark: `.` or `,` — a comma is ALWAYS a decimal mark, never a thousands separator
  (`1,500` is one and a half). Thousands may be grouped with spaces (`300 000`, `1 500 000,50`),
  no-break or thin spaces, `_` or `'`; a group after the first must have exactly three digits.
- Tickers start with a Latin letter and hold letters, digits, `.`, `-`, `_` (up to 20
  characters). A ticker typed all in lower case is upper-cased (`sber` -> `SBER`); mixed case is
  kept as typed (futures codes such as `SiH7`).
- Sums have at most 2 decimal places, prices at most 9, amounts are whole pieces.

Every function returns a result or a `ParseError` (a text key with parameters); none raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from bot.engine.events import Direction
from bot.engine.interface import SellBuyOrder

MAX_AMOUNT = 1_000_000_000
MAX_MONEY = Decimal(10) ** 12
MAX_PRICE = Decimal(10) ** 9
MONEY_PLACES = 2
PRICE_PLACES = 9
_SHOWN = 24  # characters of a bad token quoted back to the owner

_TICKER = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,19}")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
_GROUP_HEAD = re.compile(r"[+-]?[0-9]{1,3}")
_GROUP_TAIL = re.compile(r"[0-9]{3}(?:[.,][0-9]+)?")
_INNER_SEPARATORS = str.maketrans("", "", "_'\u00a0\u202f\u2009")
# a job id as the owner sees it: a letter for its table and the Base task's id (T5 sell/buy task
# 5, S5 spread 5), a letter of another family (J7...), or a bare number (the one job with it)
_JOB_ID = re.compile(r"#?([A-Za-z]?[0-9]{1,9})")


@dataclass(frozen=True, slots=True)
class ParseError:
    """Bad arguments: `key` names a text in bot.texts; `usage_key` the syntax reminder."""

    key: str
    params: dict[str, str] = field(default_factory=dict)
    usage_key: str | None = None
    usage_params: dict[str, str] = field(default_factory=dict)


def _shown(token: str) -> str:
    return token if len(token) <= _SHOWN else token[: _SHOWN - 1] + "…"


def _tokens(text: str) -> list[str]:
    """Split on whitespace, then join thousands groups (`300 000` -> `300000`)."""
    raw = text.split()
    tokens: list[str] = []
    index = 0
    while index < len(raw):
        token = raw[index]
        index += 1
        if _GROUP_HEAD.fullmatch(token):
            while index < len(raw) and _GROUP_TAIL.fullmatch(raw[index]):
                token += raw[index]
                index += 1
                if not token[-1].isdigit() or "," in token or "." in token:
                    break
        tokens.append(token)
    return tokens


def _is_number_like(token: str) -> bool:
    return bool(token) and (token[0].isdigit() or token[0] in "+-.,")


def parse_number(token: str) -> Decimal | None:
    """`7,5`, `7.5`, `300_000` -> Decimal; anything else -> None (never raises)."""
    cleaned = token.translate(_INNER_SEPARATORS)
    if not _NUMBER.fullmatch(cleaned):
        return None
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _ticker(token: str) -> str | None:
    if not _TICKER.fullmatch(token):
        return None
    return token.upper() if token.islower() else token


def _check_number(
    token: str, *, whole: bool, places: int, maximum: Decimal, usage: ParseError
) -> Decimal | ParseError:
    value = parse_number(token)
    shown = _shown(token)
    if value is None:
        return _error("parse.bad_number", usage, value=shown)
    if value <= 0:
        return _error("parse.not_positive", usage, value=shown)
    if whole and value != value.to_integral_value():
        return _error("parse.amount_whole", usage, value=shown)
    if not whole and _places(value.normalize()) > places:
        return _error("parse.too_precise", usage, value=shown, places=str(places))
    if value > maximum:
        return _error("parse.too_large", usage, value=shown)
    return value


def _error(key: str, usage: ParseError, **params: str) -> ParseError:
    return ParseError(key, params, usage.usage_key, usage.usage_params)


def sellbuy_usage(direction: Direction) -> ParseError:
    return ParseError("parse.sellbuy_usage", {}, "parse.sellbuy_usage", {"command": direction})


def parse_sellbuy(direction: Direction, text: str | None) -> SellBuyOrder | ParseError:
    """`/sell` and `/buy` arguments: `TICKER SUM` or `AMOUNT TICKER`, then optional `@PRICE`."""
    usage = sellbuy_usage(direction)
    body, at, price_text = (text or "").partition("@")
    limit: Decimal | None = None
    if at:
        price_tokens = _tokens(price_text)
        if not price_tokens:
            return _error("parse.price_missing", usage)
        if len(price_tokens) > 1 or "@" in price_text:
            return ParseError(usage.key, {}, None, usage.usage_params)
        checked = _check_number(
            price_tokens[0], whole=False, places=PRICE_PLACES, maximum=MAX_PRICE, usage=usage
        )
        if isinstance(checked, ParseError):
            return checked
        limit = checked
    tokens = _tokens(body)
    if len(tokens) != 2:
        return ParseError(usage.key, {}, None, usage.usage_params)
    first, second = tokens
    if _is_number_like(first):
        ticker_token, number_token, by_amount = second, first, True
    elif _is_number_like(second):
        ticker_token, number_token, by_amount = first, second, False
    else:
        bad = second if _ticker(first) is not None else first
        if _ticker(first) is not None and _ticker(second) is not None:
            return _error("parse.bad_number", usage, value=_shown(second))
        return _error("parse.bad_ticker", usage, value=_shown(bad))
    ticker = _ticker(ticker_token)
    if ticker is None:
        return _error("parse.bad_ticker", usage, value=_shown(ticker_token))
    if by_amount:
        amount = _check_number(
            number_token, whole=True, places=0, maximum=Decimal(MAX_AMOUNT), usage=usage
        )
        if isinstance(amount, ParseError):
            return amount
        return SellBuyOrder(direction, ticker, amount=int(amount), limit_price=limit)
    money = _check_number(
        number_token, whole=False, places=MONEY_PLACES, maximum=MAX_MONEY, usage=usage
    )
    if isinstance(money, ParseError):
        return money
    return SellBuyOrder(direction, ticker, money=money, limit_price=limit)


def parse_ticker(text: str | None) -> str | ParseError:
    """`/dump TICKER`."""
    usage = ParseError("parse.dump_usage")
    tokens = (text or "").split()
    if len(tokens) != 1:
        return usage
    ticker = _ticker(tokens[0])
    if ticker is None:
        return ParseError("parse.bad_ticker", {"value": _shown(tokens[0])}, "parse.dump_usage")
    return ticker


def parse_job_id(text: str | None) -> str | ParseError | None:
    """`/stop` (None: every job) or `/stop ID` (`S5`, `#t5`, `5`; upper-cased)."""
    tokens = (text or "").split()
    if not tokens:
        return None
    match = _JOB_ID.fullmatch(tokens[0]) if len(tokens) == 1 else None
    if match is None:
        return ParseError("parse.stop_usage")
    return match.group(1).upper()
