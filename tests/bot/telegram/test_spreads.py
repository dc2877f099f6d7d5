"""/spreads and /sprices through the real dispatcher, a fake Telegram and a fake Trader; spread
events rendered for the owner."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from bot.engine import events as ev
from bot.engine.interface import SideQuote, SpreadQuote, UserError
from bot.telegram.outbox import TEXT_LIMIT
from bot.texts import Texts
from bot.texts.render import render_event
from tests.support.fake_telegram import AT, OWNER, FakeTrader, Harness, make_harness

D = Decimal


def quote(**changes: object) -> SpreadQuote:
    """SRH7/SBER, sold at target 1200: selling now gets 1234.50 per far piece (meets it), buying
    would cost 1210 (dearer than the target)."""
    base = SpreadQuote(
        spread_id=100,
        far_ticker="SRH7",
        near_ticker="SBER",
        direction="sell",
        amount=5,
        remaining=5,
        ratio=D(100),
        target=D(1200),
        in_session=True,
        sell=SideQuote("sell", D("1234.5"), D(26000), D(247), D("1230.1"), True),
        buy=SideQuote("buy", D(1210), D(25990), D("247.8"), None, False),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_help_and_menu_name_the_spread_commands(tg: Harness) -> None:
    await tg.send("/help")
    assert "/spreads — run every active spread from the Base" in tg.replies()
    assert any(line.startswith("/sprices — spread prices now") for line in tg.replies())
    [menu] = tg.session.calls("setMyCommands")
    described = {c["command"]: c["description"] for c in menu.params["commands"]}
    assert described["spreads"] == "run the active spreads"
    assert described["sprices"] == "spread prices now, both directions"


async def test_spreads_answers_at_once_then_lists_the_started_jobs(tg: Harness) -> None:
    tg.trader.spread_titles = ["sell SRM6/SBER", "buy SiH7/SiM7"]
    await tg.send("/spreads")
    text = tg.session.transcript()
    assert text.index("Starting every active spread…") < text.index("Started: 2.")
    assert "Started #1: sell spread SRM6/SBER, [0/5]." in tg.replies()
    assert "Started #2: buy spread SiH7/SiM7, [0/5]." in tg.replies()
    assert "▶ #1 sell spread SRM6/SBER: started, 5 pieces." in tg.replies()
    assert [name for name, _ in tg.trader.calls] == ["start_spreads_all"]


async def test_spreads_again_says_they_already_run(tg: Harness) -> None:
    await tg.send("/spreads")
    await tg.send("/spreads")
    assert tg.last() == "Every active spread is already running; /tasks lists them."
    assert [job.title for job in tg.trader.running] == ["sell SRM6/SBER"]


async def test_spreads_refused_without_active_spreads(tg: Harness) -> None:
    tg.trader.spread_titles = []
    await tg.send("/spreads")
    assert tg.last() == "No active spreads in the Base."
    assert tg.trader.running == []
    await tg.send("/sprices")
    assert tg.last() == "No active spreads in the Base."


async def test_spreads_and_sprices_refused_with_the_base_down() -> None:
    trader = FakeTrader(
        fail={
            "start_spreads_all": UserError("base_unavailable"),
            "spread_prices": UserError("base_unavailable"),
        }
    )
    tg = await make_harness("ru", trader=trader)
    await tg.send("/spreads")
    assert tg.last() == "База не отвечает; ничего не запущено. Подробности — /health."
    await tg.send("/sprices")
    assert tg.replies()[-2:] == [
        "Считаю цены активных спредов…",
        "База не отвечает; ничего не запущено. Подробности — /health.",
    ]
    await tg.outbox.close(timeout=5)


async def test_sprices_shows_both_directions_for_one_lot_and_the_rest_in_russian() -> None:
    trader = FakeTrader(quotes=[quote()])
    tg = await make_harness("ru", trader=trader)
    await tg.send("/sprices")
    assert tg.replies() == [
        "Считаю цены активных спредов…",
        "#S100 SRH7/SBER продажа: 1\u00a0234,50 ₽ (цель 1\u00a0200 ✓)"
        " · покупка: 1\u00a0210,00 ₽ (✗)"
        " · на 5 шт.: продажа 1\u00a0230,10 ₽ / покупка мало глубины стакана",
    ]
    await tg.outbox.close(timeout=5)


async def test_sprices_says_when_trading_opens_and_why_a_spread_has_no_price(
    tg: Harness,
) -> None:
    opens = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 09:00 in Moscow
    tg.trader.quotes = [
        quote(in_session=False, sell=None, buy=None, opens_at=opens, minutes_to_open=25),
        quote(spread_id=101, in_session=False, sell=None, buy=None),
        quote(
            spread_id=102,
            sell=None,
            buy=None,
            error_key="no_price",
            error_params=(("ticker", "SRH7"),),
        ),
        quote(
            spread_id=103,
            remaining=0,
            buy=SideQuote("buy", None, None, None, None, False, "not_enough_depth"),
        ),
        quote(
            spread_id=104,
            sell=None,
            buy=None,
            error_key="broker_error",
            error_params=(("message", "too many requests"), ("code", "80002")),
        ),
    ]
    await tg.send("/sprices")
    lines = tg.replies()[1:]
    assert lines[0] == "#S100 SRH7/SBER: opens in 25 min (23.11 09:00 MSK)"
    assert lines[1] == "#S101 SRH7/SBER: no session now; the opening time is unknown"
    assert lines[2] == "#S102 SRH7/SBER: SRH7: no market price right now."
    assert lines[3] == (
        "#S103 SRH7/SBER sell: 1,234.50 RUB (target 1,200 ✓) · buy: not enough depth"
    )
    assert lines[4] == (
        "#S104 SRH7/SBER: Broker: the broker's request limit is exceeded (code 80002)"
    )


async def test_long_sprices_output_is_split_into_messages_within_the_limit(tg: Harness) -> None:
    tg.trader.quotes = [quote(spread_id=1000 + i) for i in range(60)]
    await tg.send("/sprices")
    texts = tg.session.texts(OWNER)
    assert sum(len(t) for t in texts) > TEXT_LIMIT  # too long for one message
    assert len(texts) >= 2 and all(len(t) <= TEXT_LIMIT for t in texts)
    lines = [line for t in texts for line in t.split("\n")]
    assert sum(line.startswith("#S10") for line in lines) == 60


def test_a_leg_fill_shows_the_leg_and_the_average_spread() -> None:
    fill = ev.OrderFilled(
        "7", AT, "SRH7", "sell", 2, D(25400), 2, 5, D(25400), leg="far", average_spread=D("350.5")
    )
    assert render_event(Texts("en"), fill) == (
        "#7 far leg: sold 2 SRH7 @ 25,400 — [2/5] avg 25,400, avg spread 350.5"
    )
    hedge = replace(
        fill, ticker="SBER", direction="buy", quantity=200, price=D("250.1"), leg="near"
    )
    assert render_event(Texts("ru"), hedge).startswith("#7 ближняя нога: куплено 200 SBER по 250,1")


def test_a_finished_spread_shows_its_average_spread() -> None:
    done = ev.JobFinished(
        "7", AT, "spread", "sell SRH7/SBER", "done", 5, 5, D(25400), average_spread=D("350")
    )
    assert render_event(Texts("en"), done) == (
        "✅ #7 sell spread SRH7/SBER done: [5/5] avg 25,400, avg spread 350"
    )
    left = ev.JobFinished(
        "7",
        AT,
        "spread",
        "sell SRH7/SBER",
        "failed",
        3,
        5,
        D(25400),
        "spread_left_unhedged",
        {"ticker": "SBER", "pieces": "100"},
        D("349.5"),
    )
    assert render_event(Texts("en"), left) == (
        "❌ #7 sell spread SRH7/SBER failed: [3/5] avg 25,400, avg spread 349.5 — SBER: "
        "the near leg is left unhedged by 100 pieces. /spreads rebalances it first."
    )
