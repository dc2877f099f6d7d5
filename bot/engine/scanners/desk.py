"""ScanDesk: the driver of /scan and /dscan.

The whole market in three broker requests — Shares and Futures (flags, trading status, client
risk rates, exchange margins, step values) and one GetLastPrices for every instrument in a pair
— joined with the Base's catalogue. During the session the best candidates are then re-priced
from their order books (depth 1: far sold at the bid, near bought at the ask), at most
`reprice_books` books, fetched concurrently through the broker's rate limiter (MarketData
budget). /dscan then asks GetDividends for each share it shows (one request per share). Every
request is counted and reported.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from typing import TypeVar

from bot.base_client.api import BaseApi
from bot.base_client.errors import BaseRejected, BaseUnavailable
from bot.broker import errors as broker_errors
from bot.broker.types import Dividend, OrderBook
from bot.engine import text_keys
from bot.engine.broker_port import BrokerPort
from bot.engine.clock import Clock
from bot.engine.interface import UserError
from bot.engine.scanners.maths import beats, days_to, dividend_figures, pair_figures
from bot.engine.scanners.pairs import Pair, find_pairs, join
from bot.engine.scanners.report import (
    DividendReport,
    DividendRow,
    PriceSource,
    Requests,
    ScanReport,
    ScanRow,
)
from bot.engine.sessions import MOSCOW

log = logging.getLogger(__name__)
T = TypeVar("T")

#: /scan shows at most this many rows (SPEC).
MAX_SCAN_ROWS = 70
DEFAULT_DSCAN_ROWS = 50
MAX_DSCAN_ROWS = 500
#: Order books fetched to re-price the best candidates (MarketData allows 600 a minute).
REPRICE_BOOKS = 20
UNSUPPORTED = "scan.unsupported"


@dataclass(frozen=True, slots=True)
class _Prices:
    far: Decimal
    near: Decimal
    source: PriceSource


class ScanDesk:
    def __init__(
        self,
        broker: BrokerPort,
        base: BaseApi,
        clock: Clock,
        *,
        reprice_books: int = REPRICE_BOOKS,
        max_rows: int = MAX_SCAN_ROWS,
        on_base_down: Callable[[], None] | None = None,
    ) -> None:
        self._broker = broker
        self._base = base
        self._clock = clock
        self.reprice_books = reprice_books
        self.max_rows = max_rows
        self._on_base_down = on_base_down

    # -- /scan ------------------------------------------------------------------------------

    async def scan(self, rate: Decimal | None = None) -> ScanReport:
        started = time.perf_counter()
        counts: Counter[str] = Counter()
        settings = await self._base_call(self._base.settings())
        threshold = settings.scan_rate if rate is None else rate
        pairs, last, today = await self._market(counts)
        priced: list[tuple[Pair, _Prices]] = []
        for pair in pairs:
            prices = _last_prices(pair, last)
            if prices is not None:
                priced.append((pair, prices))
        rows = [r for r in (_scan_row(p, x, today) for p, x in priced) if r is not None]
        rows.sort(key=_scan_order)
        by_key = {(p.far.ticker, p.near.ticker): p for p, _ in priced}
        books, book_requests = await self._books([by_key[(r.far, r.near)] for r in rows])
        repriced = 0
        if books:
            again: list[ScanRow] = []
            for pair, prices in priced:
                book_prices = _book_prices(pair, books)
                if book_prices is not None:
                    row = _scan_row(pair, book_prices, today)
                    repriced += 1
                else:
                    row = _scan_row(pair, prices, today)
                if row is not None:
                    again.append(row)
            rows = sorted(again, key=_scan_order)
        matched = [r for r in rows if beats(r.annual_percent, threshold)]
        return ScanReport(
            rows=tuple(matched[: self.max_rows]),
            rate=threshold,
            pairs=len(priced),
            matched=len(matched),
            repriced=repriced,
            requests=Requests(market=dict(counts), books=book_requests),
            at=self._clock.now(),
            seconds=time.perf_counter() - started,
            all_rows=tuple(matched),
            in_session=any(p.in_session for p, _ in priced),
        )

    # -- /dscan -----------------------------------------------------------------------------

    async def dividend_scan(self, top: int = DEFAULT_DSCAN_ROWS) -> DividendReport:
        started = time.perf_counter()
        counts: Counter[str] = Counter()
        settings = await self._base_call(self._base.settings())
        carry = settings.scan_rate
        pairs, last, today = await self._market(counts)
        priced: list[tuple[Pair, _Prices]] = []
        for pair in pairs:
            if pair.kind != "stock":
                continue
            prices = _last_prices(pair, last)
            if prices is not None:
                priced.append((pair, prices))
        rows = [r for r in (_dividend_row(p, x, carry, today) for p, x in priced) if r is not None]
        rows.sort(key=_dividend_order)
        by_key = {(p.far.ticker, p.near.ticker): p for p, _ in priced}
        books, book_requests = await self._books([by_key[(r.future, r.share)] for r in rows[:top]])
        repriced = 0
        if books:
            again: list[DividendRow] = []
            for pair, prices in priced:
                book_prices = _book_prices(pair, books)
                if book_prices is not None:
                    repriced += 1
                row = _dividend_row(pair, book_prices or prices, carry, today)
                if row is not None:
                    again.append(row)
            rows = sorted(again, key=_dividend_order)
        shown = rows[:top]
        shown, dividend_requests = await self._declared(shown, priced)
        return DividendReport(
            rows=tuple(shown),
            carry_percent=carry,
            pairs=len(priced),
            repriced=repriced,
            requests=Requests(
                market=dict(counts), books=book_requests, dividends=dividend_requests
            ),
            at=self._clock.now(),
            seconds=time.perf_counter() - started,
            all_rows=(*shown, *rows[top:]),
            in_session=any(p.in_session for p, _ in priced),
        )

    # -- the market in bulk -----------------------------------------------------------------

    async def _market(self, counts: Counter[str]) -> tuple[list[Pair], dict[str, Decimal], date]:
        catalogue = await self._base_call(self._base.instruments(active=True))
        shares, futures = await asyncio.gather(
            self._broker_call(self._broker.shares(), counts, "Shares"),
            self._broker_call(self._broker.futures(), counts, "Futures"),
        )
        today = self._clock.now().astimezone(MOSCOW).date()
        pairs = find_pairs(join(catalogue, [*shares, *futures]), today)
        ids = list(dict.fromkeys(x.instrument_id for p in pairs for x in (p.far, p.near)))
        last: dict[str, Decimal] = {}
        if ids:
            # one request per 3000 instruments (the broker's cap)
            prices = await self._broker_call(self._broker.last_prices(ids), counts, None)
            counts["GetLastPrices"] += -(-len(ids) // 3000)
            for item in prices:
                if item.price > 0:
                    for key in (item.instrument_uid, item.figi):
                        if key:
                            last[key] = item.price
            for pair in pairs:  # a uid-less answer is matched by figi
                for leg in (pair.far, pair.near):
                    if leg.instrument_id not in last and leg.figi in last:
                        last[leg.instrument_id] = last[leg.figi]
        return pairs, last, today

    async def _books(self, candidates: Sequence[Pair]) -> tuple[dict[str, OrderBook], int]:
        """Order books of the best candidates trading now, best first, within the budget."""
        wanted: list[str] = []
        for pair in candidates:
            if not pair.in_session:
                continue
            new = [x.instrument_id for x in (pair.far, pair.near) if x.instrument_id not in wanted]
            if len(wanted) + len(new) > self.reprice_books:
                break
            wanted.extend(new)
        if not wanted:
            return {}, 0

        async def one(instrument_id: str) -> tuple[str, OrderBook | None]:
            try:
                return instrument_id, await self._broker.order_book(instrument_id, 1)
            except broker_errors.BrokerError as exc:  # that pair keeps its last prices
                log.warning("scan: no order book for %s: %s", instrument_id, exc)
                return instrument_id, None

        got = await asyncio.gather(*(one(i) for i in wanted))
        return {i: b for i, b in got if b is not None}, len(wanted)

    async def _declared(
        self, rows: list[DividendRow], priced: Sequence[tuple[Pair, _Prices]]
    ) -> tuple[list[DividendRow], int]:
        """The declared dividends with a record date before each row's expiry (GetDividends,
        one request per share shown)."""
        if not rows:
            return rows, 0
        ids = {p.near.ticker: p.near.instrument_id for p, _ in priced}
        horizon: dict[str, date] = {}
        for row in rows:
            horizon[row.share] = max(horizon.get(row.share, row.expiry), row.expiry)
        now = self._clock.now()

        async def one(ticker: str) -> tuple[str, list[Dividend]]:
            end = datetime.combine(horizon[ticker] + timedelta(days=1), dt_time(), tzinfo=UTC)
            try:
                return ticker, await self._broker.dividends(ids[ticker], now, end)
            except (broker_errors.BrokerError, NotImplementedError) as exc:
                log.warning("dscan: no dividends for %s: %s", ticker, exc)
                return ticker, []

        found = dict(await asyncio.gather(*(one(t) for t in horizon)))
        out = []
        for row in rows:
            amount, record = _declared_before(found.get(row.share, []), now, row.expiry)
            out.append(replace(row, declared=amount, declared_record=record))
        return out, len(horizon)

    # -- errors ------------------------------------------------------------------------------

    async def _base_call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except BaseUnavailable as exc:
            if self._on_base_down is not None:
                self._on_base_down()
            raise UserError(text_keys.BASE_UNAVAILABLE) from exc
        except BaseRejected as exc:
            raise UserError(text_keys.BASE_REJECTED, message=exc.message) from exc

    @staticmethod
    async def _broker_call(call: Awaitable[T], counts: Counter[str], method: str | None) -> T:
        try:
            result = await call
        except NotImplementedError as exc:
            raise UserError(UNSUPPORTED) from exc
        except broker_errors.BrokerError as exc:
            raise UserError(
                text_keys.BROKER_ERROR, message=exc.user_message(), code=exc.api_code or ""
            ) from exc
        if method is not None:
            counts[method] += 1
        return result


# ---- pure helpers ----------------------------------------------------------------------------


def _last_prices(pair: Pair, last: dict[str, Decimal]) -> _Prices | None:
    far = last.get(pair.far.instrument_id)
    near = last.get(pair.near.instrument_id)
    if far is None or near is None:
        return None
    return _Prices(far, near, "last")


def _book_prices(pair: Pair, books: dict[str, OrderBook]) -> _Prices | None:
    """Executable prices of selling the spread: far at its best bid, near at its best ask."""
    far_book = books.get(pair.far.instrument_id)
    near_book = books.get(pair.near.instrument_id)
    if far_book is None or near_book is None:
        return None
    far, near = far_book.best_bid, near_book.best_ask
    if far is None or near is None or far <= 0 or near <= 0:
        return None
    return _Prices(far, near, "book")


def _scan_row(pair: Pair, prices: _Prices, today: date) -> ScanRow | None:
    assert pair.far.expiry is not None
    days = days_to(pair.far.expiry, today)
    figures = pair_figures(
        pair.far.spec,
        pair.near.spec,
        pair.ratio,
        prices.far,
        prices.near,
        pair.far.risk,
        pair.near.risk,
        days,
    )
    if figures is None:
        return None
    return ScanRow(
        kind=pair.kind,
        far=pair.far.ticker,
        near=pair.near.ticker,
        far_price=prices.far,
        near_price=prices.near,
        far_increment=pair.far.spec.min_price_increment,
        near_increment=pair.near.spec.min_price_increment,
        ratio=pair.ratio,
        profit=figures.spread,
        margin=figures.margin,
        days=figures.days,
        annual_percent=figures.annual_percent,
        tradable=pair.tradable_now,
        source=prices.source,
        far_expiry=pair.far.expiry,
    )


def _dividend_row(pair: Pair, prices: _Prices, carry: Decimal, today: date) -> DividendRow | None:
    assert pair.far.expiry is not None
    days = days_to(pair.far.expiry, today)
    figures = dividend_figures(
        pair.far.spec, pair.near.spec, pair.ratio, prices.far, prices.near, carry, days
    )
    if figures is None:
        return None
    return DividendRow(
        share=pair.near.ticker,
        future=pair.far.ticker,
        share_price=prices.near,
        future_price=prices.far,
        share_increment=pair.near.spec.min_price_increment,
        future_increment=pair.far.spec.min_price_increment,
        ratio=pair.ratio,
        implied=figures.implied,
        yield_percent=figures.yield_percent,
        days=figures.days,
        spread=figures.spread,
        tradable=pair.tradable_now,
        source=prices.source,
        expiry=pair.far.expiry,
    )


def _scan_order(row: ScanRow) -> tuple[Decimal, int, str, str]:
    return (-row.annual_percent, row.days, row.far, row.near)


def _dividend_order(row: DividendRow) -> tuple[Decimal, int, str, str]:
    return (-row.yield_percent, row.days, row.share, row.future)


def _declared_before(
    dividends: Sequence[Dividend], now: datetime, expiry: date
) -> tuple[Decimal | None, date | None]:
    """The sum of the dividends with a record date from now until before the expiry day, and the
    latest such record date; (None, None) when there is none."""
    total = Decimal(0)
    record: date | None = None
    for item in dividends:
        if item.record_date is None or item.dividend_net is None:
            continue
        day = item.record_date.astimezone(MOSCOW).date()
        if item.record_date < now or day >= expiry:
            continue
        total += item.dividend_net.amount
        record = day if record is None or day > record else record
    return (total, record) if record is not None else (None, None)
