"""The instrument catalogue: shares and futures from the broker in the Base's sync format."""

from __future__ import annotations

from typing import Any

from bot.base_client.types import format_time
from bot.broker.types import Instrument, InstrumentKind

KINDS = {InstrumentKind.SHARE: "share", InstrumentKind.FUTURES: "future"}


def _dec(value: object) -> str | None:
    return None if value is None else str(value)


def to_base(instrument: Instrument) -> dict[str, Any] | None:
    """The Base's Instrument JSON (without id/active) for a share or future; None otherwise."""
    kind = KINDS.get(instrument.kind)
    if kind is None or not instrument.uid or not instrument.ticker:
        return None
    expiration = instrument.expiration_date or instrument.last_trade_date
    return {
        "figi": instrument.figi,
        "uid": instrument.uid,
        "ticker": instrument.ticker,
        "class_code": instrument.class_code,
        "name": instrument.name,
        "kind": kind,
        "lot": instrument.lot,
        "min_price_increment": str(instrument.min_price_increment),
        "min_price_increment_amount": _dec(instrument.min_price_increment_amount),
        "currency": instrument.currency.lower(),
        "basic_asset": instrument.basic_asset,
        "basic_asset_size": _dec(instrument.basic_asset_size),
        "expiration": None if expiration is None else format_time(expiration),
        "api_trade_available": instrument.api_trade_available,
        "short_enabled": instrument.short_enabled,
        "buy_available": instrument.buy_available,
        "sell_available": instrument.sell_available,
        "weekend_trading": instrument.weekend_trading,
        "exchange": instrument.exchange,
    }


def catalogue_payload(instruments: list[Instrument]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Sync payload (unique by uid) and counts per kind."""
    by_uid: dict[str, dict[str, Any]] = {}
    for instrument in instruments:
        item = to_base(instrument)
        if item is not None:
            by_uid[item["uid"]] = item
    counts: dict[str, int] = {}
    for item in by_uid.values():
        counts[item["kind"] + "s"] = counts.get(item["kind"] + "s", 0) + 1
    return list(by_uid.values()), counts
