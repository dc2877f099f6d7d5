"""Record from the simulator through the bot's market-data stream, replay it in another
simulator: at each recorded moment the replaying simulator's books are the recorded ones."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.broker.stream import Subscription
from bot.broker.types import OrderBook
from bot.engine.tape import format as fmt
from bot.engine.tape.policy import TapeOptions
from bot.engine.tape.writer import TapeWriter
from tests.support.sim import SimHandle, running_simulator

TICKERS = ("SBER_TQBR", "GAZP_TQBR")


async def _next(sub: Subscription[OrderBook]) -> OrderBook:
    return await asyncio.wait_for(sub.__anext__(), timeout=10)


async def record(sim: SimHandle, folder: Path, steps: int) -> TapeWriter:
    """Subscribe the books through the bot's stream with the writer tapped in, walk `steps`
    seconds of market, flush."""
    config = BrokerConfig(
        token=sim.token, account_id=sim.account_id, rest_url=sim.rest_url, ws_url=sim.ws_url
    )
    writer = TapeWriter(folder, TapeOptions(depth=10), fsync=False)
    async with TInvestClient(config) as client:
        stream = client.market_stream
        stream.taps.append(writer.put)
        subs = [stream.subscribe_order_book(t, 10) for t in TICKERS]
        for sub in subs:
            await _next(sub)  # the book at subscription
        for _ in range(steps):
            await sim.advance_clock(1)
            await sim.walk(1)
            for sub in subs:
                await _next(sub)
    writer.flush()
    return writer


async def test_replayed_books_equal_the_recorded_ones_at_each_time(tmp_path: Path) -> None:
    folder = tmp_path / "tape"
    async with running_simulator(seed=3) as source:
        writer = await record(source, folder, steps=6)
    books = [e for f in fmt.day_files(folder) for e in fmt.read_file(f) if e.kind == "book"]
    assert writer.dropped == 0 and len(books) == 2 * 7
    async with running_simulator(seed=99, start_time=None, replay=str(folder)) as replay:
        times = sorted({e.exchange_time for e in books if e.exchange_time is not None})
        assert len(times) == 7
        for moment in times:
            await replay.control("POST", "replay", {"until": moment.isoformat()})
            for ticker in TICKERS:
                recorded = [
                    e
                    for e in books
                    if f"{e.ticker}_{e.class_code}" == ticker
                    and e.exchange_time is not None
                    and e.exchange_time <= moment
                ][-1]
                body = await replay.ok(
                    "MarketDataService", "GetOrderBook", {"instrumentId": ticker, "depth": 10}
                )
                bids = [(_price(x["price"]), int(x["quantity"])) for x in body["bids"]]
                asks = [(_price(x["price"]), int(x["quantity"])) for x in body["asks"]]
                assert bids == list(recorded.bids), f"{ticker} bids at {moment}"
                assert asks == list(recorded.asks), f"{ticker} asks at {moment}"
        state = await replay.control("GET", "replay")
        assert state["done"] and state["skipped"] == 0


async def test_the_walk_keeps_moving_the_instruments_not_recorded(tmp_path: Path) -> None:
    folder = tmp_path / "tape"
    async with running_simulator(seed=3) as source:
        await record(source, folder, steps=1)
    async with running_simulator(start_time=None, replay=str(folder)) as replay:
        await replay.control("POST", "replay", {"next": True})
        sber = await replay.instrument("SBER_TQBR")
        lkoh = await replay.instrument("LKOH_TQBR")
        await replay.walk(5)
        assert (await replay.instrument("SBER_TQBR"))["bestBid"] == sber["bestBid"]
        assert (await replay.instrument("LKOH_TQBR"))["lastPrice"] != lkoh["lastPrice"]


def _price(q: dict[str, object]) -> Decimal:
    units = int(str(q.get("units", "0")))
    nano = int(str(q.get("nano", 0)))
    return Decimal(units) + Decimal(nano) / Decimal(1_000_000_000)
