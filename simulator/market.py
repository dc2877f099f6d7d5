"""Market data: order books with depth, last prices and a seeded random walk.

Every instrument has a mid price. A walk step moves each share's mid by a seeded log-normal
step and prices each future from its underlying (``(S × carry − dividends) × basicAssetSize ×
(1 + basis)``, see ``simulator.dividends``;
the basis itself a small seeded wander), then rebuilds the displayed book around the mid and
prints a last trade at the touch. Orders the account fills consume the displayed liquidity
until the next step rebuilds the book.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from simulator.dividends import exchange_margin, fair_future
from simulator.instruments import Catalogue, Instrument

BOOK_DEPTH = 50
#: Price band around the close price (limitDown / limitUp); limit orders outside are refused.
PRICE_BAND = Decimal("0.2")
#: Standard deviation of one walk step (relative).
STEP_SIGMA = 0.002
#: Standard deviation of the futures basis noise.
BASIS_SIGMA = 0.0005


@dataclass
class Level:
    price: Decimal
    quantity: int  # lots


@dataclass
class Book:
    bids: list[Level] = field(default_factory=list)  # best (highest) first
    asks: list[Level] = field(default_factory=list)  # best (lowest) first
    time: datetime | None = None

    def best_bid(self) -> Decimal | None:
        return self.bids[0].price if self.bids else None

    def best_ask(self) -> Decimal | None:
        return self.asks[0].price if self.asks else None


def price_limits(inst: Instrument, close_price: Decimal) -> tuple[Decimal, Decimal]:
    """(limitDown, limitUp) for the day."""
    return (
        inst.round_price(close_price * (1 - PRICE_BAND)),
        inst.round_price(close_price * (1 + PRICE_BAND)),
    )


@dataclass
class Quote:
    instrument: Instrument
    mid: Decimal
    last_price: Decimal
    last_time: datetime
    close_price: Decimal
    book: Book
    basis: float = 0.0  # futures only
    #: The last trade of the rest of the market (walk and control API), without the account's
    #: own fills; resting orders fill when this trades at or through their limit.
    market_last: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if not self.market_last:
            self.market_last = self.last_price


class Market:
    def __init__(self, catalogue: Catalogue, seed: int, now: datetime) -> None:
        self.catalogue = catalogue
        self.rng = random.Random(f"walk:{seed}")
        self.quotes: dict[str, Quote] = {}
        #: uids whose books follow a replayed recording (simulator.replay): the walk skips them
        self.replayed: set[str] = set()
        for inst in catalogue.all:
            price = inst.ref_price
            self.quotes[inst.uid] = Quote(inst, price, price, now, price, Book())
        for quote in self.quotes.values():
            self._rebuild(quote, now)

    def quote(self, inst: Instrument) -> Quote:
        return self.quotes[inst.uid]

    # ---- the walk -------------------------------------------------------------------------

    def step(self, now: datetime) -> list[Instrument]:
        """One walk step for every instrument; returns the instruments whose data changed."""
        for share in self.catalogue.shares:
            if share.uid in self.replayed:
                continue
            quote = self.quotes[share.uid]
            factor = Decimal(str(round(math.exp(self.rng.gauss(0.0, STEP_SIGMA)), 9)))
            quote.mid = share.round_price(quote.mid * factor)
        for fut in self.catalogue.futures:
            if fut.uid in self.replayed:
                continue
            quote = self.quotes[fut.uid]
            quote.basis = quote.basis * 0.9 + self.rng.gauss(0.0, BASIS_SIGMA)
            quote.mid = self.fair_price(fut, quote.basis, now)
        changed = []
        for quote in self.quotes.values():
            if quote.instrument.uid in self.replayed:
                continue
            low, high = price_limits(quote.instrument, quote.close_price)
            quote.mid = min(max(quote.mid, low), high)  # the exchange's price band holds
            self._rebuild(quote, now)
            side = self.rng.random() < 0.5
            touch = quote.book.best_bid() if side else quote.book.best_ask()
            if touch is not None:
                quote.last_price = quote.market_last = touch
                quote.last_time = now
            changed.append(quote.instrument)
        return changed

    def fair_price(self, fut: Instrument, basis: float, now: datetime) -> Decimal:
        underlying = self.catalogue.underlying(fut)
        if underlying is None or fut.expiration is None:
            return self.quotes[fut.uid].mid
        spot = self.quotes[underlying.uid].mid
        declared = self.catalogue.dividends.get(underlying.ticker, [])
        value = fair_future(spot, fut.basic_asset_size, now, fut.expiration, declared)
        value *= Decimal(str(round(1.0 + basis, 9)))
        return fut.round_price(value)

    def _rebuild(self, quote: Quote, now: datetime) -> None:
        inst = quote.instrument
        if inst.is_future:  # the exchange's margin follows the price
            inst.initial_margin = exchange_margin(inst.lot_value(quote.mid))
        tick = inst.min_price_increment
        spread_ticks = max(1, int(quote.mid * Decimal("0.0004") / tick))
        half = (spread_ticks + 1) // 2
        best_bid = quote.mid - half * tick
        best_ask = best_bid + spread_ticks * tick
        if best_bid <= 0:
            best_bid, best_ask = tick, tick * (1 + spread_ticks)
        bids, asks = [], []
        rand = self.rng.random
        for i in range(BOOK_DEPTH):
            scale = 1 + i // 10  # deeper levels hold more
            offset = i * tick
            bid_price = best_bid - offset
            if bid_price > 0:
                bids.append(Level(bid_price, (1 + int(rand() * 40)) * scale))
            asks.append(Level(best_ask + offset, (1 + int(rand() * 40)) * scale))
        quote.book = Book(bids, asks, now)

    # ---- control --------------------------------------------------------------------------

    def set_price(self, inst: Instrument, price: Decimal, now: datetime) -> None:
        """Move an instrument to ``price``: mid, last trade and a fresh book around it.

        Moving a share re-prices its futures; moving a future changes only its basis.
        """
        quote = self.quotes[inst.uid]
        quote.mid = price
        quote.last_price = quote.market_last = price
        quote.last_time = now
        self._keep_in_band(quote)
        if inst.is_future:
            fair = self.fair_price(inst, 0.0, now)
            quote.basis = float(price / fair) - 1.0 if fair > 0 else 0.0
        self._rebuild(quote, now)
        if not inst.is_future:
            for fut in self.catalogue.futures:
                if fut.basic_asset == inst.ticker:
                    fq = self.quotes[fut.uid]
                    fq.mid = self.fair_price(fut, fq.basis, now)
                    fq.last_price = fq.market_last = fq.mid
                    fq.last_time = now
                    self._keep_in_band(fq)
                    self._rebuild(fq, now)

    def set_book(
        self,
        inst: Instrument,
        bids: list[Level],
        asks: list[Level],
        now: datetime,
        last_price: Decimal | None = None,
    ) -> None:
        quote = self.quotes[inst.uid]
        quote.book = Book(
            sorted(bids, key=lambda lv: -lv.price), sorted(asks, key=lambda lv: lv.price), now
        )
        best_bid, best_ask = quote.book.best_bid(), quote.book.best_ask()
        if best_bid is not None and best_ask is not None:
            quote.mid = inst.round_price((best_bid + best_ask) / 2)
        elif best_bid is not None or best_ask is not None:
            quote.mid = best_bid if best_bid is not None else best_ask  # type: ignore[assignment]
        if last_price is not None:
            quote.last_price = quote.market_last = last_price
            quote.last_time = now
        self._keep_in_band(quote)

    def _keep_in_band(self, quote: Quote) -> None:
        """A price moved by the control API outside the day's band re-centres the band."""
        low, high = price_limits(quote.instrument, quote.close_price)
        if not low <= quote.mid <= high or not low <= quote.last_price <= high:
            quote.close_price = quote.last_price

    def new_day(self) -> None:
        """The previous day's last price becomes the close the price band is built on."""
        for quote in self.quotes.values():
            quote.close_price = quote.last_price

    def record_trade(self, inst: Instrument, price: Decimal, now: datetime) -> None:
        quote = self.quotes[inst.uid]
        quote.last_price = price
        quote.last_time = now
