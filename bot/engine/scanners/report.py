"""What the scanners hand back: rows and the summary of a scan (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from bot.engine.scanners.pairs import PairKind

#: "book": re-priced from the order books at executable prices (far sold at the bid, near bought
#: at the ask); "last": last trade prices (outside the session, or beyond the re-pricing budget).
PriceSource = Literal["book", "last"]


@dataclass(frozen=True, slots=True)
class ScanRow:
    kind: PairKind
    far: str
    near: str
    far_price: Decimal  # quote units (points for futures)
    near_price: Decimal
    far_increment: Decimal
    near_increment: Decimal
    ratio: Decimal
    profit: Decimal  # roubles per far piece
    margin: Decimal  # roubles per far piece
    days: int
    annual_percent: Decimal
    tradable: bool
    source: PriceSource
    far_expiry: date


@dataclass(frozen=True, slots=True)
class DividendRow:
    share: str
    future: str
    share_price: Decimal
    future_price: Decimal  # points
    share_increment: Decimal
    future_increment: Decimal
    ratio: Decimal
    implied: Decimal  # roubles per share
    yield_percent: Decimal
    days: int
    spread: Decimal  # roubles per contract: future − ratio × share
    tradable: bool
    source: PriceSource
    expiry: date
    declared: Decimal | None = None  # roubles per share, record date before the expiry
    declared_record: date | None = None


@dataclass(frozen=True, slots=True)
class Requests:
    """Broker requests a scan made, per method."""

    market: dict[str, int] = field(default_factory=dict)  # the market-wide part
    books: int = 0  # GetOrderBook for the re-pricing
    dividends: int = 0  # GetDividends (/dscan)

    @property
    def market_total(self) -> int:
        return sum(self.market.values())

    @property
    def total(self) -> int:
        return self.market_total + self.books + self.dividends


@dataclass(frozen=True, slots=True)
class ScanReport:
    rows: tuple[ScanRow, ...]  # best first
    rate: Decimal  # per cent a year the rows beat
    pairs: int  # pairs priced
    matched: int  # pairs beating the rate (rows may be fewer: capped)
    repriced: int  # pairs re-priced from their books
    requests: Requests
    at: datetime
    seconds: float
    all_rows: tuple[ScanRow, ...] = ()  # every pair beating the rate (the CSV file)
    in_session: bool = False  # some pair had both legs trading (re-pricing applied)


@dataclass(frozen=True, slots=True)
class DividendReport:
    rows: tuple[DividendRow, ...]  # highest yield first
    carry_percent: Decimal
    pairs: int
    repriced: int
    requests: Requests
    at: datetime
    seconds: float
    all_rows: tuple[DividendRow, ...] = ()  # every pair priced (the CSV file)
    in_session: bool = False
