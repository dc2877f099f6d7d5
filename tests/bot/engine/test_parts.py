"""Engine parts on their own: journal, pushed order states, calendar, prices, risk."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.base_client.types import Instrument, TradingSettings
from bot.broker.types import (
    OrderBook,
    OrderDirection,
    OrderState,
    OrderStatus,
    OrderTrade,
    PriceLevel,
)
from bot.broker.types import OrderType as BrokerOrderType
from bot.engine import events, text_keys
from bot.engine.journal import Journal
from bot.engine.order_watch import OrderWatcher
from bot.engine.risk import check_order, piece_value
from bot.engine.sellbuy import passive_price
from bot.engine.sessions import MOSCOW, builtin_windows
from bot.engine.stops.ledger import StopLedger
from bot.engine.stops.plan import PlannedStop
from bot.engine.trader import next_local_time
from tests.bot.engine.conftest import EngineFactory, RecordingNotifier, eventually
from tests.bot.engine.fake_broker import FakeBroker
from tests.support.fake_base import FakeBase


def test_journal_survives_a_restart_and_a_torn_line(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    first = journal.append("order", {"client_order_id": "a"})
    second = journal.append("fill", {"order": "a", "trade_id": "T1"})
    journal.ack(first.seq)
    with (tmp_path / "journal.jsonl").open("a") as handle:
        handle.write('{"seq": 3, "kind": "upd')  # the process died mid-write
    reopened = Journal(tmp_path)
    assert [(e.seq, e.kind, e.data) for e in reopened.pending()] == [
        (second.seq, "fill", {"order": "a", "trade_id": "T1"})
    ]
    third = reopened.append("update", {"client_order_id": "a", "status": "filled"})
    assert third.seq > second.seq, "sequence numbers never repeat"
    reopened.ack(second.seq)
    reopened.ack(third.seq)
    assert len(Journal(tmp_path)) == 0
    assert (tmp_path / "journal.jsonl").read_text() == "", "compacted once nothing is owed"


def test_a_bulk_command_s_stops_are_journaled_with_one_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """500 stop orders of a /stops are durable before the first is sent, with one fsync (an
    SD card takes milliseconds for each), and a restart finds every one of them pending."""
    import bot.engine.journal as journal_module

    syncs: list[int] = []
    monkeypatch.setattr(journal_module.os, "fsync", lambda fd: syncs.append(fd))
    ledger = StopLedger(tmp_path)
    stops = tuple(
        PlannedStop(
            instrument_uid=f"uid-{i}",
            ticker=f"T{i}",
            direction="buy",
            kind="take_profit",
            stop_price=Decimal("100.5"),
            lots=1 + i % 3,
            lot=10,
            expire_at=None,
            level=Decimal("0.85"),
        )
        for i in range(500)
    )
    prepared = ledger.prepare("stops", stops, datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    assert len(syncs) == 1
    assert len({p.client_id for p in prepared}) == 500
    ledger.settle(prepared[0])
    again = StopLedger(tmp_path).pending()
    assert [(p.client_id, p.stop) for p in again] == [(p.client_id, p.stop) for p in prepared[1:]]


def _state(order_id: str, lots: int, trades: tuple[OrderTrade, ...]) -> OrderState:
    return OrderState(
        order_id=order_id,
        request_id="req-" + order_id,
        status=OrderStatus.PARTIALLY_FILLED,
        direction=OrderDirection.BUY,
        order_type=BrokerOrderType.LIMIT,
        lots_requested=5,
        lots_executed=lots,
        trades=trades,
    )


async def test_pushed_states_accumulate_trades_per_order() -> None:
    watcher = OrderWatcher(FakeBroker(), "acc-1")
    changed = watcher.changed()
    watcher.put(_state("X1", 1, (OrderTrade("T1", 1, Decimal(100)),)))
    assert changed.is_set()
    watcher.put(_state("X1", 3, (OrderTrade("T2", 2, Decimal("100.5")),)))
    latest = watcher.latest("X1", "req-X1")
    assert latest is not None and latest.lots_executed == 3
    assert [t.trade_id for t in latest.trades] == ["T1", "T2"]
    assert watcher.latest(None, "req-X1") == latest, "found by our request id too"
    watcher.forget("X1", "req-X1")
    assert watcher.latest("X1", "req-X1") is None


def test_builtin_calendar() -> None:
    share = Instrument(
        id=1,
        figi="f",
        uid="u",
        ticker="SBER",
        class_code="TQBR",
        name="",
        kind="share",
        lot=10,
        min_price_increment=Decimal("0.01"),
    )
    future = Instrument(
        id=2,
        figi="g",
        uid="v",
        ticker="SRZ6",
        class_code="SPBFUT",
        name="",
        kind="future",
        lot=1,
        min_price_increment=Decimal(1),
    )
    wednesday, saturday = date(2026, 11, 18), date(2026, 11, 21)
    main, evening = builtin_windows(share, wednesday)
    assert main[0].astimezone(MOSCOW).time() == time(7, 0)
    assert evening[1].astimezone(MOSCOW).time() == time(23, 50)
    assert builtin_windows(share, saturday) == []
    weekend = dataclasses.replace(share, weekend_trading=True)
    ((opens, closes),) = builtin_windows(weekend, saturday)
    assert (opens.astimezone(MOSCOW).time(), closes.astimezone(MOSCOW).time()) == (
        time(10, 0),
        time(19, 0),
    )
    assert builtin_windows(future, wednesday)[0][0].astimezone(MOSCOW).time() == time(9, 0)
    assert builtin_windows(share, date(2026, 1, 1)) == [], "a holiday"


def test_daily_refresh_time_is_moscow_time() -> None:
    before = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # 06:00 Moscow
    after = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)  # 08:00 Moscow
    assert next_local_time(before, time(7, 0)) == datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
    assert next_local_time(after, time(7, 0)) == datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


def test_passive_price_respects_the_limit() -> None:
    book = OrderBook(
        instrument_uid="u",
        figi="f",
        depth=10,
        bids=(PriceLevel(Decimal(100), 5),),
        asks=(PriceLevel(Decimal(101), 5),),
    )
    assert passive_price(book, "buy", None) == Decimal(100)
    assert passive_price(book, "buy", Decimal("99.5")) == Decimal("99.5")
    assert passive_price(book, "sell", None) == Decimal(101)
    assert passive_price(book, "sell", Decimal(102)) == Decimal(102)
    empty = OrderBook(instrument_uid="u", figi="f", depth=10, bids=(), asks=())
    assert passive_price(empty, "buy", None) is None


def test_futures_risk_is_in_roubles() -> None:
    future = Instrument(
        id=2,
        figi="g",
        uid="v",
        ticker="SiZ6",
        class_code="SPBFUT",
        name="",
        kind="future",
        lot=1,
        min_price_increment=Decimal(1),
        min_price_increment_amount=Decimal(2),
    )
    assert piece_value(future, Decimal(1000)) == Decimal(2000)
    settings = TradingSettings(max_order_value=Decimal(10000), max_position_value=Decimal(10**9))
    refusal = check_order(settings, future, price=Decimal(1000), pieces=6, position_after=6)
    assert refusal is not None and refusal.key == text_keys.RISK_ORDER_VALUE
    assert refusal.params["value"] == "12000.00"
    assert check_order(settings, future, price=Decimal(1000), pieces=5, position_after=5) is None


async def test_an_idle_engine_notices_the_base_going_away_and_coming_back(
    make_engine: EngineFactory, base: FakeBase, notifier: RecordingNotifier
) -> None:
    engine = make_engine()
    await engine.start()
    base.down = True
    await eventually(lambda: engine.recorder.is_down, "outage noticed without any write")
    base.down = False
    await eventually(lambda: len(notifier.events) == 2, "Base back", diag=notifier.describe)
    assert [type(e) for e in notifier.events] == [events.BaseUnavailable, events.BaseRestored]


class JumpingClock:
    """Time passes only when someone sleeps (a sleep returns at once, time jumps ahead)."""

    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment

    async def sleep(self, seconds: float) -> None:
        self.moment += timedelta(seconds=max(seconds, 0.0))
        await asyncio.sleep(0.001)


async def test_the_catalogue_is_refreshed_daily_at_seven_moscow(
    broker: FakeBroker, base: FakeBase, notifier: RecordingNotifier
) -> None:
    from bot.broker.types import Instrument as BrokerInstrument
    from bot.broker.types import InstrumentKind
    from bot.engine.trader import Engine
    from tests.bot.engine.conftest import FAST

    broker.catalogue = [
        BrokerInstrument(
            kind=InstrumentKind.SHARE,
            figi="F9",
            uid="uid-new",
            ticker="NEWS",
            class_code="TQBR",
            name="New",
            lot=1,
            currency="RUB",
            min_price_increment=Decimal("0.01"),
        )
    ]
    clock = JumpingClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))  # 06:00 Moscow
    engine = Engine(
        broker,
        base,
        notifier,
        account_id="acc-1",
        mode="paper",
        clock=clock,
        options=dataclasses.replace(FAST, catalogue_refresh_at=time(7, 0)),
    )
    synced_at: list[datetime] = []
    sync = base.sync_instruments

    async def timed_sync(instruments: list[dict[str, object]], *, complete: bool) -> object:
        synced_at.append(clock.now())
        return await sync(instruments, complete=complete)

    base.sync_instruments = timed_sync  # type: ignore[method-assign,assignment]
    await engine.start()
    try:
        await eventually(lambda: bool(base.synced), "daily refresh ran")
        first = synced_at[0].astimezone(MOSCOW)
        assert (first.date(), first.time()) == (date(2026, 11, 23), time(7, 0)), first
        assert [i["ticker"] for i in base.synced] == ["NEWS"]
        assert any(i.ticker == "NEWS" for i in base.instruments_by_id.values())
    finally:
        await engine.close()
