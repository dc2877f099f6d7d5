"""Which pairs the scanners look at (pure: no I/O).

Every share with futures on it is paired with each of its nearest three futures (stock–future),
and those futures with each other, nearer against farther (future–future). Only active
instruments whose data is complete take part; futures expiring today or earlier are left out.
An instrument is described by the Base's catalogue (ticker, lot, increment, underlying, expiry)
joined with what the broker says about it now (trading flags and status, risk rates, margins and
step values) by uid, or figi.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from bot.base_client.types import Instrument as BaseInstrument
from bot.broker.types import Instrument as BrokerInstrument
from bot.broker.types import TradingStatusCode
from bot.engine.scanners.maths import LegRisk
from bot.engine.spreads.maths import InstrumentKind, LegSpec, SpreadError, derive_ratio

NEAREST_FUTURES = 3
PairKind = Literal["stock", "futures"]
#: The statuses in which the exchange matches orders now.
TRADING_NOW = frozenset({TradingStatusCode.NORMAL_TRADING, TradingStatusCode.DEALER_NORMAL_TRADING})


@dataclass(frozen=True, slots=True)
class ScanInstrument:
    ticker: str
    instrument_id: str  # uid, else figi: what requests name it by
    figi: str
    spec: LegSpec
    risk: LegRisk
    basic_asset: str = ""
    expiry: date | None = None
    api_tradable: bool = False  # by API, both directions
    trading_now: bool = False  # the exchange matches orders in it now

    @property
    def is_future(self) -> bool:
        return self.spec.kind == "future"

    @property
    def tradable_now(self) -> bool:
        return self.api_tradable and self.trading_now


@dataclass(frozen=True, slots=True)
class Pair:
    kind: PairKind
    far: ScanInstrument
    near: ScanInstrument
    ratio: Decimal

    @property
    def key(self) -> str:
        return f"{self.far.ticker}/{self.near.ticker}"

    @property
    def tradable_now(self) -> bool:
        return self.far.tradable_now and self.near.tradable_now

    @property
    def in_session(self) -> bool:
        return self.far.trading_now and self.near.trading_now


def _money(value: object) -> Decimal | None:
    amount = getattr(value, "amount", None)
    return amount if isinstance(amount, Decimal) and amount > 0 else None


def merge(base: BaseInstrument, broker: BrokerInstrument | None) -> ScanInstrument | None:
    """The scanner's view of one catalogue instrument; None when it is inactive, unknown to the
    broker, or lacks what the maths needs (a future's size, expiry or step value)."""
    if not base.active or broker is None:
        return None
    if base.kind not in ("future", "share"):
        return None
    kind: InstrumentKind = "future" if base.kind == "future" else "share"
    lot = broker.lot or base.lot
    increment = broker.min_price_increment or base.min_price_increment
    if lot <= 0 or increment <= 0:
        return None
    step_value: Decimal | None = None
    size: Decimal | None = None
    if kind == "future":
        step_value = broker.min_price_increment_amount or base.min_price_increment_amount
        size = broker.basic_asset_size or base.basic_asset_size
        expiry = base.expiration or (
            broker.expiration_date.date() if broker.expiration_date else None
        )
        if not step_value or not size or size <= 0 or expiry is None:
            return None
    else:
        expiry = None
    spec = LegSpec(
        ticker=base.ticker,
        kind=kind,
        lot=lot,
        min_price_increment=increment,
        min_price_increment_amount=step_value,
        basic_asset_size=size,
    )
    risk = LegRisk(
        long_rate=broker.dlong_client if broker.dlong_client is not None else broker.dlong,
        short_rate=broker.dshort_client if broker.dshort_client is not None else broker.dshort,
        initial_buy=_money(broker.initial_margin_on_buy),
        initial_sell=_money(broker.initial_margin_on_sell),
    )
    return ScanInstrument(
        ticker=base.ticker,
        instrument_id=broker.uid or base.uid or broker.figi or base.figi,
        figi=broker.figi or base.figi,
        spec=spec,
        risk=risk,
        basic_asset=(base.basic_asset or broker.basic_asset).upper(),
        expiry=expiry,
        api_tradable=broker.api_trade_available and broker.buy_available and broker.sell_available,
        trading_now=broker.trading_status in TRADING_NOW,
    )


def join(
    catalogue: Iterable[BaseInstrument], broker: Iterable[BrokerInstrument]
) -> list[ScanInstrument]:
    """The catalogue's active instruments joined with the broker's data (by uid, else figi)."""
    by_id: dict[str, BrokerInstrument] = {}
    for item in broker:
        for key in (item.uid, item.figi):
            if key:
                by_id.setdefault(key, item)
    out = []
    for base in catalogue:
        found = by_id.get(base.uid) or by_id.get(base.figi)
        merged = merge(base, found)
        if merged is not None:
            out.append(merged)
    return out


def nearest_futures(
    futures: Sequence[ScanInstrument], today: date, count: int = NEAREST_FUTURES
) -> list[ScanInstrument]:
    """The `count` futures expiring soonest after today (by expiry, then ticker)."""
    alive = [f for f in futures if f.expiry is not None and f.expiry > today]
    alive.sort(key=lambda f: (f.expiry, f.ticker))
    return alive[:count]


def find_pairs(
    instruments: Iterable[ScanInstrument], today: date, count: int = NEAREST_FUTURES
) -> list[Pair]:
    """Stock–future and future–future pairs, share by share (in ticker order)."""
    shares: dict[str, ScanInstrument] = {}
    futures: dict[str, list[ScanInstrument]] = {}
    for item in instruments:
        if item.is_future:
            futures.setdefault(item.basic_asset, []).append(item)
        else:
            shares.setdefault(item.ticker.upper(), item)
    pairs: list[Pair] = []
    for ticker in sorted(shares):
        share = shares[ticker]
        chain = nearest_futures(futures.get(ticker, []), today, count)
        for index, far in enumerate(chain):
            for near in (share, *chain[:index]):
                try:
                    ratio = derive_ratio(far.spec, near.spec)
                except SpreadError:
                    continue
                kind: PairKind = "stock" if near is share else "futures"
                pairs.append(Pair(kind, far, near, ratio))
    return pairs
