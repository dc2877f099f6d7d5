"""The instrument catalogue: MOEX shares and futures on them, re-dated to the coming quarters.

Facts (tickers, lots, increments, short flags, contract sizes) come from ``data/shares.csv`` and
``data/futures.csv`` (copied from ``../shared/data/moex_instruments.csv``); reference prices were
added by hand. Futures expire on the third Thursday of March, June, September and December and
get MOEX codes: ``SR`` + month letter (H, M, U, Z) + the last digit of the year, e.g. ``SRZ6``.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from simulator.dividends import (
    CARRY_RATE,
    CLIENT_FUTURES_RATE,
    EXCHANGE_MARGIN_RATE,
    Dividend,
    carry,
    declare,
    exchange_margin,
    fair_future,
)
from simulator.sessions import MOSCOW, Market

DATA_DIR = Path(__file__).resolve().parent / "data"
UID_NAMESPACE = uuid.UUID("6f1c2a52-3d7e-4b8e-9a51-5b0c2d1e7f30")
QUARTER_MONTHS = {3: "H", 6: "M", 9: "U", 12: "Z"}
#: How many quarterly contracts per underlying are listed.
FUTURES_PER_UNDERLYING = 3
__all__ = ["CARRY_RATE", "Catalogue", "Instrument", "carry"]


@dataclass
class Instrument:
    figi: str
    ticker: str
    class_code: str
    name: str
    kind: str  # "share" | "futures"
    lot: int
    min_price_increment: Decimal
    ref_price: Decimal
    api_trade_available: bool = True
    buy_available: bool = True
    sell_available: bool = True
    short_enabled: bool = False
    dlong: Decimal = Decimal("0.25")
    dshort: Decimal = Decimal("0.35")
    #: the broker's client risk rates (dlongClient/dshortClient); None = the same as dlong/dshort
    dlong_client: Decimal | None = None
    dshort_client: Decimal | None = None
    isin: str = ""
    # futures only
    basic_asset: str = ""
    basic_asset_size: Decimal = Decimal(0)
    min_price_increment_amount: Decimal = Decimal(0)
    expiration: datetime | None = None
    first_trade: datetime | None = None
    initial_margin: Decimal = Decimal(0)
    uid: str = field(default="")
    position_uid: str = field(default="")
    asset_uid: str = field(default="")

    def __post_init__(self) -> None:
        if not self.uid:
            self.uid = str(uuid.uuid5(UID_NAMESPACE, f"instrument:{self.figi}"))
            self.position_uid = str(uuid.uuid5(UID_NAMESPACE, f"position:{self.figi}"))
            self.asset_uid = str(uuid.uuid5(UID_NAMESPACE, f"asset:{self.ticker}"))

    @property
    def is_future(self) -> bool:
        return self.kind == "futures"

    @property
    def market(self) -> Market:
        return Market.FUTURES if self.is_future else Market.SHARES

    @property
    def instrument_type(self) -> str:
        return "futures" if self.is_future else "share"

    @property
    def instrument_kind(self) -> str:
        return "INSTRUMENT_TYPE_FUTURES" if self.is_future else "INSTRUMENT_TYPE_SHARE"

    def lot_value(self, price: Decimal) -> Decimal:
        """Money (RUB) for one lot at ``price``; futures prices are in points."""
        if self.is_future:
            steps = price / self.min_price_increment
            return steps * self.min_price_increment_amount * self.lot
        return price * self.lot

    def on_increment(self, price: Decimal) -> bool:
        return (price % self.min_price_increment) == 0

    def round_price(self, price: Decimal) -> Decimal:
        steps = (price / self.min_price_increment).to_integral_value()
        return max(steps, Decimal(1)) * self.min_price_increment


def third_thursday(year: int, month: int) -> date:
    first = date(year, month, 1)
    offset = (3 - first.weekday()) % 7  # Thursday is weekday 3
    return first + timedelta(days=offset + 14)


def coming_expirations(today: date, count: int) -> list[date]:
    out: list[date] = []
    year, month = today.year, today.month
    while len(out) < count:
        if month in QUARTER_MONTHS:
            exp = third_thursday(year, month)
            if exp >= today:
                out.append(exp)
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def _flag(value: str) -> bool:
    return value.strip() == "1"


def load_shares() -> list[Instrument]:
    shares = []
    with (DATA_DIR / "shares.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            shares.append(
                Instrument(
                    figi=row["figi"],
                    ticker=row["ticker"],
                    class_code="TQBR",
                    name=row["name"],
                    kind="share",
                    lot=int(row["lot"]),
                    min_price_increment=Decimal(row["min_price_increment"]),
                    ref_price=Decimal(row["ref_price"]),
                    api_trade_available=_flag(row["api_trade_available"]),
                    buy_available=_flag(row["buy_available"]),
                    sell_available=_flag(row["sell_available"]),
                    short_enabled=_flag(row["short_enabled"]),
                    isin="RU000" + row["ticker"].ljust(7, "0")[:7],
                )
            )
    return shares


def load_futures(
    shares: dict[str, Instrument],
    now: datetime,
    dividends: dict[str, list[Dividend]] | None = None,
) -> list[Instrument]:
    futures = []
    today = now.astimezone(MOSCOW).date()
    with (DATA_DIR / "futures.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        underlying = shares.get(row["basic_asset"])
        if underlying is None:
            continue
        size = Decimal(row["basic_asset_size"])
        increment = Decimal(row["min_price_increment"])
        for exp_day in coming_expirations(today, FUTURES_PER_UNDERLYING):
            letter = QUARTER_MONTHS[exp_day.month]
            ticker = f"{row['code']}{letter}{exp_day.year % 10}"
            figi = f"{row['figi_prefix']}{exp_day.month:02d}{exp_day.year % 100:02d}0"
            expiration = datetime.combine(exp_day, time(18, 50), tzinfo=MOSCOW).astimezone(UTC)
            first_trade = expiration - timedelta(days=270)
            declared = (dividends or {}).get(underlying.ticker, [])
            fair = fair_future(underlying.ref_price, size, now, expiration, declared)
            inst = Instrument(
                figi=figi,
                ticker=ticker,
                class_code="SPBFUT",
                name=f"{row['short_name']}-{exp_day.month}.{exp_day.year % 100:02d} {row['name']}",
                kind="futures",
                lot=int(row["lot"]),
                min_price_increment=increment,
                ref_price=max((fair / increment).to_integral_value(), Decimal(1)) * increment,
                short_enabled=True,
                basic_asset=underlying.ticker,
                basic_asset_size=size,
                min_price_increment_amount=increment,
                expiration=expiration,
                first_trade=first_trade,
                dlong=EXCHANGE_MARGIN_RATE,
                dshort=EXCHANGE_MARGIN_RATE,
                dlong_client=CLIENT_FUTURES_RATE,
                dshort_client=CLIENT_FUTURES_RATE,
            )
            inst.initial_margin = exchange_margin(inst.lot_value(inst.ref_price))
            futures.append(inst)
    return futures


class Catalogue:
    """All instruments, looked up by figi, uid, position uid or ``TICKER_CLASSCODE``."""

    def __init__(self, now: datetime) -> None:
        self.shares = load_shares()
        by_ticker = {s.ticker: s for s in self.shares}
        expirations = [
            datetime.combine(day, time(18, 50), tzinfo=MOSCOW).astimezone(UTC)
            for day in coming_expirations(now.astimezone(MOSCOW).date(), FUTURES_PER_UNDERLYING)
        ]
        #: declared dividends per share ticker (GetDividends; futures are priced net of them)
        self.dividends: dict[str, list[Dividend]] = declare(
            [(s.ticker, s.ref_price, s.min_price_increment) for s in self.shares],
            now,
            expirations,
        )
        self.futures = load_futures(by_ticker, now, self.dividends)
        self.all: list[Instrument] = [*self.shares, *self.futures]
        self._index: dict[str, Instrument] = {}
        for inst in self.all:
            for key in (inst.figi, inst.uid, inst.position_uid, f"{inst.ticker}_{inst.class_code}"):
                self._index[key.upper()] = inst

    def find(self, instrument_id: str) -> Instrument | None:
        return self._index.get(instrument_id.strip().upper())

    def by_ticker(self, ticker: str, class_code: str) -> Instrument | None:
        return self._index.get(f"{ticker}_{class_code}".upper())

    def underlying(self, future: Instrument) -> Instrument | None:
        return self.by_ticker(future.basic_asset, "TQBR")
