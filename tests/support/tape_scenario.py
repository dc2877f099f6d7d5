"""The short market recording shipped with the tests (tests/data/tape/), and how it was made.

Made from the simulator through the bot's own recorder: the books of SRM6 (SBER future, far leg)
and SBER (near leg) set through the control API at five moments ten seconds apart, recorded from
the bot's market-data stream by the tape writer. Regenerate with
``python -m tests.support.tape_scenario``.

`synthetic_day` writes a longer recording of the same legs (both books changing every second,
the spread wandering), for the what-if's run-to-run and skipping tests and `bench/recorder.py`.

Selling the spread SRM6 − 100 × SBER (SBER asks 250.00 all along, so spread = far ask − 25 000):

| t (s) | SRM6 bids (best)  | SRM6 asks (best) | spread at the far ask |
|-------|-------------------|------------------|-----------------------|
| 0     | 25 480            | 25 500           | 500                   |
| 10    | 25 540            | 25 560           | 560                   |
| 20    | 25 560 × 3 lots   | 25 570           | 570                   |
| 30    | 25 575 × 10 lots  | 25 590           | 590                   |
| 40    | 25 480            | 25 500           | 500                   |
"""

from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.base_client.types import Instrument, Spread
from bot.broker.types import OrderBook, PriceLevel
from simulator.instruments import Catalogue
from simulator.instruments import Instrument as SimInstrument

DATA = Path(__file__).resolve().parent.parent / "data" / "tape"
START = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # Wednesday 12:00 Moscow
FAR, NEAR = "SRM6_SPBFUT", "SBER_TQBR"


def _side(best: str, step: str, first_lots: int, levels: int = 10) -> list[tuple[str, int]]:
    price, delta = Decimal(best), Decimal(step)
    return [(str(price + i * delta), first_lots if i == 0 else 10) for i in range(levels)]


#: (seconds after START, far bids, far asks)
FAR_BOOKS = [
    (0, _side("25480", "-1", 10), _side("25500", "1", 10)),
    (10, _side("25540", "-1", 10), _side("25560", "1", 10)),
    (20, _side("25560", "-1", 3), _side("25570", "1", 10)),
    (30, _side("25575", "-1", 10), _side("25590", "1", 10)),
    (40, _side("25480", "-1", 10), _side("25500", "1", 10)),
]
NEAR_BIDS = _side("249.99", "-0.01", 1000)
NEAR_ASKS = _side("250.00", "0.01", 1000)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def _bot_instrument(inst: SimInstrument, pk: int) -> Instrument:
    future = inst.kind == "futures"
    return Instrument(
        id=pk,
        figi=inst.figi,
        uid=inst.uid,
        ticker=inst.ticker,
        class_code=inst.class_code,
        name=inst.name,
        kind="future" if future else "share",
        lot=inst.lot,
        min_price_increment=inst.min_price_increment,
        min_price_increment_amount=inst.min_price_increment_amount if future else None,
        basic_asset=inst.basic_asset,
        basic_asset_size=inst.basic_asset_size if future else None,
        expiration=inst.expiration.date() if inst.expiration else None,
        short_enabled=inst.short_enabled,
    )


def spread(target: str = "550", amount: int = 5, spread_id: int = 7) -> Spread:
    """The Base's spread over the recorded legs: sell SRM6, buy 100 SBER per contract."""
    catalogue = Catalogue(START)
    far = catalogue.find(FAR)
    near = catalogue.find(NEAR)
    assert far is not None and near is not None
    return Spread(
        id=spread_id,
        far=_bot_instrument(far, 1),
        near=_bot_instrument(near, 2),
        direction="sell",
        amount=amount,
        target_price=Decimal(target),
        ratio=Decimal(100),
        ratio_override=None,
        active=True,
        far_executed=0,
        far_average=None,
        near_executed=0,
        near_average=None,
        average_spread=None,
        created_at=START,
    )


DAY_START = datetime(2026, 3, 11, 7, 0, tzinfo=UTC)  # 10:00 Moscow


def random_book(
    rng: random.Random,
    uid: str,
    mid: Decimal,
    tick: Decimal,
    at: datetime,
    ticker: str = "SBER",
    class_code: str = "TQBR",
) -> OrderBook:
    """Ten levels a side around `mid`, a tick apart, with random lots."""
    return OrderBook(
        instrument_uid=uid,
        figi="FIGI",
        depth=10,
        bids=tuple(PriceLevel(mid - (i + 1) * tick, rng.randint(1, 500)) for i in range(10)),
        asks=tuple(PriceLevel(mid + (i + 1) * tick, rng.randint(1, 500)) for i in range(10)),
        time=at,
        ticker=ticker,
        class_code=class_code,
    )


def synthetic_day(folder: Path, seconds: int, basis: int = 560, seed: int = 3) -> int:
    """Record `seconds` of both legs from DAY_START through the bot's tape writer: both books
    change every second (SBER by -1, 0 or +1 kopeck; the spread, far ask − 100 × SBER ask,
    by -2..+2 within `basis` ± 80); returns the events written."""
    from bot.engine.tape.policy import TapeOptions
    from bot.engine.tape.writer import TapeWriter

    rng = random.Random(seed)
    legs = spread()
    far, near = legs.far, legs.near
    writer = TapeWriter(folder, TapeOptions(queue_size=200_000), fsync=False)
    near_mid = Decimal("250.00")
    low, high = basis - 80, basis + 80
    count = 0
    for second in range(seconds):
        at = DAY_START + timedelta(seconds=second)
        near_mid += rng.choice((-1, 0, 0, 1)) * Decimal("0.01")
        basis = max(low, min(high, basis + rng.choice((-2, -1, 0, 1, 2))))
        far_mid = near_mid * 100 + basis
        for inst, mid, tick in ((near, near_mid, Decimal("0.01")), (far, far_mid, Decimal(1))):
            writer.put(random_book(rng, inst.uid, mid, tick, at, inst.ticker, inst.class_code))
            count += 1
        if second % 600 == 0:
            writer.flush()
    writer.flush()
    return count


async def record_scenario(folder: Path) -> None:
    """Play the scenario in a simulator and record it with the bot's tape writer."""
    from bot.broker.client import TInvestClient
    from bot.broker.config import BrokerConfig
    from bot.engine.tape.policy import TapeOptions
    from bot.engine.tape.writer import TapeWriter
    from tests.support.sim import running_simulator

    writer = TapeWriter(folder, TapeOptions(depth=10), fsync=False)
    async with running_simulator(start_time=START) as sim:
        config = BrokerConfig(
            token=sim.token, account_id=sim.account_id, rest_url=sim.rest_url, ws_url=sim.ws_url
        )
        async with TInvestClient(config) as client:
            stream = client.market_stream
            stream.taps.append(writer.put)
            subs = [stream.subscribe_order_book(i, 10) for i in (FAR, NEAR)]
            for sub in subs:
                await asyncio.wait_for(sub.__anext__(), 10)
            for seconds, bids, asks in FAR_BOOKS:
                await sim.set_clock(at(seconds))
                await sim.set_book(NEAR, NEAR_BIDS, NEAR_ASKS)
                await sim.set_book(FAR, bids, asks)
                for sub in subs:
                    await asyncio.wait_for(sub.__anext__(), 10)
    writer.flush()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(record_scenario(Path(tmp)))
        DATA.mkdir(parents=True, exist_ok=True)
        for old in DATA.glob("*.jsonl.gz"):
            old.unlink()
        # one day file, named for the recorded (exchange) day rather than the day it was made
        [path] = Path(tmp).glob("*.jsonl.gz")
        target = DATA / f"{START.date().isoformat()}.jsonl.gz"
        shutil.copy(path, target)
        print(target, target.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
