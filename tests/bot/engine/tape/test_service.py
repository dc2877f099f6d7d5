"""The recorder in the engine: it records what the stream brings (the jobs' books), adds the
watchlist of the trading settings and the jobs' last prices as stream-only subscriptions, and
answers /whatif from the tape folder of the state directory."""

from __future__ import annotations

import asyncio
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.base_client.types import Spread, TradingSettings
from bot.broker.client import TInvestClient
from bot.broker.config import BrokerConfig
from bot.broker.stream import StreamSettings
from bot.engine.interface import UserError
from bot.engine.tape import format as fmt
from bot.engine.tape.policy import TapeOptions
from bot.engine.tape.service import TapeService
from tests.support import tape_scenario as scenario
from tests.support.fake_base import FakeBase
from tests.support.sim import SimHandle, running_simulator


def _client(sim: SimHandle) -> TInvestClient:
    config = BrokerConfig(
        token=sim.token, account_id=sim.account_id, rest_url=sim.rest_url, ws_url=sim.ws_url
    )
    return TInvestClient(config, stream_settings=StreamSettings(poll_interval=0.05))


async def _until(check: object, what: str) -> None:
    for _ in range(400):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_the_watchlist_and_the_jobs_books_are_recorded_without_a_request(
    tmp_path: Path,
) -> None:
    async with running_simulator() as sim:
        sber = await sim.instrument("SBER_TQBR")
        base = FakeBase(TradingSettings(tape_watchlist=("SBER", "NOPE")))
        base.add_instrument(ticker="SBER", uid=sber["uid"], figi=sber["figi"], lot=10)
        client = _client(sim)
        service = TapeService(client, base, tmp_path, TapeOptions(depth=1, flush_interval=0.05))
        service.start()
        try:
            stream = client.market_stream
            job_book = stream.subscribe_order_book("GAZP_TQBR", 10)  # a job's feed
            await service.sync()
            subscribed = stream.subscriptions
            assert f"{sber['uid']}@1" in subscribed["order_books"]
            assert set(subscribed["last_prices"]) == {sber["uid"], "GAZP_TQBR"}
            await stream.wait_connected()
            calls = client.stats["calls"]
            await sim.walk(1)
            await sim.set_price("SBER_TQBR", "260")
            writer = service.writer
            assert writer is not None
            await _until(lambda: writer.recorded >= 6, "books and prices written")
            assert client.stats["calls"] == calls, "recording made no broker request"
            job_book.close()
        finally:
            await service.close()
            await client.close()
    events = [e for f in fmt.day_files(tmp_path / "tape") for e in fmt.read_file(f)]
    kinds = {(e.ticker, e.kind) for e in events}
    assert {("SBER", "book"), ("SBER", "last"), ("GAZP", "book"), ("GAZP", "last")} <= kinds
    assert all(len(e.bids) <= 1 for e in events if e.ticker == "SBER"), "depth 1 kept"
    last_sber = [e for e in events if e.ticker == "SBER" and e.kind == "last"][-1]
    assert last_sber.price == Decimal(260)


async def test_the_watchlist_is_not_polled_while_the_stream_is_down(tmp_path: Path) -> None:
    async with running_simulator() as sim:
        base = FakeBase(TradingSettings(tape_watchlist=("SBER",)))
        sber = await sim.instrument("SBER_TQBR")
        base.add_instrument(ticker="SBER", uid=sber["uid"], figi=sber["figi"])
        client = _client(sim)
        asked: list[str] = []
        real_book, real_prices = client.get_order_book, client.get_last_prices

        async def get_order_book(instrument_id: str, depth: int = 10) -> Any:
            asked.append(instrument_id)
            return await real_book(instrument_id, depth)

        async def get_last_prices(ids: Any) -> Any:
            asked.extend(f"last:{i}" for i in ids)
            return await real_prices(ids)

        client.get_order_book = get_order_book  # type: ignore[method-assign]
        client.get_last_prices = get_last_prices  # type: ignore[method-assign]
        service = TapeService(client, base, tmp_path, TapeOptions())
        service.start()
        try:
            stream = client.market_stream
            job_book = stream.subscribe_order_book("GAZP_TQBR", 10)  # a job's feed: polled
            await service.sync()
            await stream.wait_connected()
            await sim.faults(streamDisconnectEvery=1, disconnectStreams=True)
            await stream.wait_polling()
            await _until(lambda: asked.count("GAZP_TQBR") >= 3, "the job's book polled")
            assert set(asked) == {"GAZP_TQBR"}, "the recorder's subscriptions were not polled"
            job_book.close()
        finally:
            await service.close()
            await client.close()


class _Base(FakeBase):
    def __init__(self, spreads: list[Spread]) -> None:
        super().__init__()
        self._spreads = spreads

    async def spreads(self) -> list[Spread]:
        return self._spreads


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    (tmp_path / "tape").mkdir()
    for path in fmt.day_files(scenario.DATA):
        shutil.copy(path, tmp_path / "tape" / path.name)
    return tmp_path


async def test_whatif_reads_the_spread_and_the_tape_of_the_state_dir(state_dir: Path) -> None:
    service = TapeService(None, _Base([scenario.spread()]), state_dir)
    result = await service.whatif(7, Decimal(550), 3)
    assert result.filled == 5 and result.average_spread == Decimal(564)
    assert result.days == ["2026-03-11"]


@pytest.mark.parametrize(
    ("spread_id", "days", "key"),
    [(9, 1, "tape.whatif_unknown_spread"), (7, 0, "tape.whatif_bad_days")],
)
async def test_whatif_refusals(state_dir: Path, spread_id: int, days: int, key: str) -> None:
    service = TapeService(None, _Base([scenario.spread()]), state_dir)
    with pytest.raises(UserError) as caught:
        await service.whatif(spread_id, Decimal(550), days)
    assert caught.value.key == key


async def test_whatif_without_a_recording_says_so(tmp_path: Path) -> None:
    service = TapeService(None, _Base([scenario.spread()]), tmp_path)
    with pytest.raises(UserError) as caught:
        await service.whatif(7, Decimal(550), 1)
    assert caught.value.key == "tape.whatif_no_tape"
