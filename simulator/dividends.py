"""Dividends the simulated issuers declare, and the futures prices that imply them.

About a third of the shares (chosen by a stable hash of the ticker, so the same catalogue always
declares the same dividends) have one dividend declared: a yield of 2–12 % of the reference
price, with a record date between the nearest and the farthest listed expiry (or before the
nearest), so some futures price it in and some do not. GetDividends answers from this list, and
a future is priced as its underlying with simple-interest carry less the dividends whose record
date falls before its expiry::

    F = (S × (1 + r × days / 365) − Σ D) × basicAssetSize

so the dividend a future's price implies is the one declared here.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from simulator.codec import money, quotation, timestamp

#: Annual carry rate (simple interest) used to price futures over their underlying.
CARRY_RATE = Decimal("0.16")
#: The exchange's initial margin as a share of a contract's value (GetFuturesMargin, Futures).
EXCHANGE_MARGIN_RATE = Decimal("0.15")
#: The broker's client risk rate for futures (dlongClient/dshortClient): what it really blocks,
#: above the exchange's minimum.
CLIENT_FUTURES_RATE = Decimal("0.20")


@dataclass(frozen=True)
class Dividend:
    ticker: str
    amount: Decimal  # roubles per share, net
    declared: datetime
    last_buy: datetime
    record: datetime
    payment: datetime
    close_price: Decimal
    yield_percent: Decimal


def _stable(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def declare(
    shares: list[tuple[str, Decimal, Decimal]], now: datetime, expirations: list[datetime]
) -> dict[str, list[Dividend]]:
    """Dividends per ticker for `shares` given as (ticker, reference price, increment)."""
    out: dict[str, list[Dividend]] = {}
    if not expirations:
        return out
    first = min(expirations)
    last = max(expirations)
    for ticker, price, _increment in shares:
        h = _stable(f"dividend:{ticker}")
        if h % 3:
            continue
        percent = Decimal(2 + (h >> 4) % 11)  # 2..12 %
        amount = (price * percent / 100).quantize(Decimal("0.01"))
        if amount <= 0:
            continue
        # before the nearest expiry for one half, between nearest and farthest for the other
        if (h >> 8) % 2 and last > first:
            start, end = first, last
        else:
            start, end = now, first
        span_days = max((end - start).days - 4, 1)
        record_day = (start + timedelta(days=2 + (h >> 12) % span_days)).date()
        record = datetime.combine(record_day, time(0, 0), tzinfo=UTC)
        out.setdefault(ticker, []).append(
            Dividend(
                ticker=ticker,
                amount=amount,
                declared=now - timedelta(days=5),
                last_buy=record - timedelta(days=1),
                record=record,
                payment=record + timedelta(days=14),
                close_price=price,
                yield_percent=percent,
            )
        )
    return out


def carry(now: datetime, expiration: datetime, rate: Decimal = CARRY_RATE) -> Decimal:
    """1 + rate × days / 365 (days counted to the second)."""
    days = max(Decimal((expiration - now).total_seconds()) / Decimal(86400), Decimal(0))
    return 1 + rate * days / Decimal(365)


def dividends_before(dividends: list[Dividend], now: datetime, expiration: datetime) -> Decimal:
    """Roubles per share the holder of the share receives and the future's holder does not."""
    return sum((d.amount for d in dividends if now < d.record < expiration), start=Decimal(0))


def fair_future(
    spot: Decimal,
    size: Decimal,
    now: datetime,
    expiration: datetime,
    dividends: list[Dividend],
) -> Decimal:
    """The future's fair price in points (= roubles for these contracts) before rounding."""
    per_share = spot * carry(now, expiration) - dividends_before(dividends, now, expiration)
    return per_share * size


def exchange_margin(contract_value: Decimal) -> Decimal:
    """The exchange's initial margin for one contract worth `contract_value` roubles."""
    return (contract_value * EXCHANGE_MARGIN_RATE).quantize(Decimal("0.01"))


def dividends_json(
    dividends: list[Dividend], start: datetime | None, end: datetime | None
) -> list[dict[str, Any]]:
    """GetDividends' `dividends`, filtered by record date (inclusive bounds)."""
    out = []
    for d in sorted(dividends, key=lambda x: x.record):
        if start is not None and d.record < start:
            continue
        if end is not None and d.record > end:
            continue
        out.append(
            {
                "dividendNet": money(d.amount),
                "paymentDate": timestamp(d.payment),
                "declaredDate": timestamp(d.declared),
                "lastBuyDate": timestamp(d.last_buy),
                "dividendType": "Regular Cash",
                "recordDate": timestamp(d.record),
                "regularity": "Annual",
                "closePrice": money(d.close_price),
                "yieldValue": quotation(d.yield_percent),
                "createdAt": timestamp(d.declared),
            }
        )
    return out
