"""Every command through the real dispatcher and a fake Telegram, with a fake Trader."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.engine.interface import ComponentHealth, Health, SellBuyOrder, UserError
from tests.support.fake_telegram import OWNER, Harness, make_harness


async def test_start_sets_the_command_menu(tg: Harness) -> None:
    [menu] = tg.session.calls("setMyCommands")
    names = [command["command"] for command in menu.params["commands"]]
    assert names == [
        "help",
        "health",
        "tasks",
        "stop",
        "sellbuy",
        "sell",
        "buy",
        "dump",
        "spreads",
        "sprices",
        "scan",
        "dscan",
        "whatif",
        "stops",
        "shorts",
        "nuke",
        "cancel",
        "stash",
        "restore",
        "update",
        "portfolio",
        "orders",
        "stats",
        "chart",
    ]


async def test_help_lists_commands_with_arguments(tg: Harness) -> None:
    await tg.send("/help")
    assert "/sell TICKER SUM — sell for SUM roubles (whole lots), e.g. /sell SBER 300000" in (
        tg.replies()
    )
    assert "/stop [ID] — stop every running task, or one" in tg.replies()


async def test_start_names_the_mode() -> None:
    tg = await make_harness("ru")
    await tg.send("/start")
    assert "учебная торговля на симуляторе" in tg.session.transcript()
    await tg.outbox.close()


async def test_health_answers_at_once_then_reports(tg: Harness) -> None:
    tg.trader.health_result = Health(
        "paper", ComponentHealth(True, 3.2), ComponentHealth(False, None, "connection refused")
    )
    await tg.send("/health")
    text = tg.session.transcript()
    assert text.index("Checking the Base and the broker") < text.index("Base: ok, 3 ms")
    assert "Broker: NOT AVAILABLE — connection refused" in text


async def test_test_is_an_alias_of_health(tg: Harness) -> None:
    await tg.send("/test")
    assert "Base: ok, 2 ms" in tg.replies()
    assert [name for name, _ in tg.trader.calls] == ["health"]


async def test_tasks_without_jobs(tg: Harness) -> None:
    await tg.send("/tasks")
    assert tg.last() == "No running tasks."
    assert tg.session.sent()[-1].buttons() == []


async def test_tasks_lists_jobs_with_stop_buttons_that_work(tg: Harness) -> None:
    await tg.send("/sell 100 SBER")
    await tg.send("/buy 5 GAZP @150,5")
    await tg.send("/tasks")
    listing = tg.session.sent()[-1]
    assert (listing.text or "").startswith("Running tasks: 2")
    assert "#1 sell 100 SBER: [0/100]" in (listing.text or "")
    assert listing.buttons() == [("Stop #1", "stop:1"), ("Stop #2", "stop:2")]

    await tg.press("stop:2", listing.result)
    assert [job.job_id for job in tg.trader.running] == ["1"]
    assert tg.session.calls("answerCallbackQuery")
    assert "Stopped: 1." in tg.session.transcript()
    assert "⏹ #2 buy 5 GAZP stopped: [0/5]" in tg.session.transcript()


async def test_sell_by_amount_and_by_sum(tg: Harness) -> None:
    await tg.send("/sell 100 sber @281,5")
    await tg.send("/buy SBER 300 000")
    orders = [arg for name, arg in tg.trader.calls if name == "start_sellbuy"]
    assert orders == [
        SellBuyOrder("sell", "SBER", amount=100, limit_price=Decimal("281.5")),
        SellBuyOrder("buy", "SBER", money=Decimal(300000)),
    ]
    text = tg.session.transcript()
    assert "Selling 100 SBER, not below 281.5…" in text
    assert "Buying SBER for 300,000.00 RUB…" in text
    assert "Started #1: sell 100 SBER, [0/100]." in text
    assert "▶ #1 sell 100 SBER: started, 100 pieces." in text  # the engine's event


async def test_bad_arguments_get_one_line_with_the_syntax(tg: Harness) -> None:
    await tg.send("/sell SBER")
    await tg.send("/buy 1,5 SBER")
    await tg.send("/dump")
    await tg.send("/stop 1 2")
    replies = tg.session.texts(OWNER)  # each command one reply of one line
    assert len(replies) == 4
    assert replies[0].startswith("Usage: /sell TICKER SUM")
    assert replies[1].startswith("The amount in pieces must be a whole number, got 1,5.")
    assert replies[2] == "Usage: /dump TICKER — e.g. /dump SBER"
    assert replies[3].startswith("Usage: /stop")
    assert all("\n" not in reply for reply in replies)
    assert not [name for name, _ in tg.trader.calls if name.startswith("start")]


async def test_engine_refusal_is_rendered_with_params(tg: Harness) -> None:
    tg.trader.fail["start_sellbuy"] = UserError("not_whole_lots", ticker="SBER", amount=15, lot=10)
    await tg.send("/sell 15 SBER")
    assert tg.last() == "SBER: 15 pieces is not a whole number of lots (lot = 10)."


async def test_base_down_refuses_in_russian() -> None:
    tg = await make_harness("ru")
    tg.trader.fail["start_sellbuy_all"] = UserError("base_unavailable")
    await tg.send("/sellbuy")
    assert tg.replies() == [
        "Запускаю все активные задачи купли/продажи…",
        "База не отвечает; ничего не запущено. Подробности — /health.",
    ]
    await tg.outbox.close()


class FakeBrokerError(Exception):
    def user_message(self) -> str:
        return "not enough money on the account"


async def test_broker_error_shows_its_short_message(tg: Harness) -> None:
    tg.trader.fail["start_dump"] = FakeBrokerError("30042 insufficient balance, tracking x")
    await tg.send("/dump SBER")
    assert tg.last() == "Broker: not enough money on the account"


async def test_unexpected_exception_is_a_short_reply_and_the_bot_goes_on(tg: Harness) -> None:
    tg.trader.fail["update_catalogue"] = RuntimeError("boom at line 42")
    await tg.send("/update")
    assert tg.last().startswith("Something went wrong (RuntimeError)")
    assert "boom" not in tg.last()
    del tg.trader.fail["update_catalogue"]
    await tg.send("/update")
    assert tg.last() == "Catalogue updated: 3 new, 1 changed, 0 deactivated, 10 unchanged."


async def test_sellbuy_starts_every_active_task(tg: Harness) -> None:
    await tg.send("/sellbuy")
    assert tg.replies()[-3:] == [
        "Started: 2.",
        "Started #1: sell 10 SBER, [0/10].",
        "Started #2: sell 20 SBER, [0/20].",
    ]
    tg.trader.active_tasks = 0
    await tg.send("/sellbuy")
    assert tg.last() == "No active sell/buy tasks in the Base."


async def test_stop_all_one_unknown_and_none(tg: Harness) -> None:
    await tg.send("/stop")
    assert tg.last() == "No running tasks to stop."
    await tg.send("/sellbuy")
    before = len(tg.session.texts(OWNER))
    await tg.send("/stop #7")
    assert tg.session.texts(OWNER)[before:] == ["No running task #7. /tasks lists them."]
    await tg.send("/stop 1")
    assert "Stopped: 1.\n#1 sell 10 SBER: [0/10]" in tg.session.transcript()
    await tg.send("/stop")
    assert [arg for name, arg in tg.trader.calls if name == "stop"] == ["1", None]
    assert tg.trader.running == []


@pytest.mark.parametrize("argument", ["abc", "#abc", "all", "1 2", "$$"])
async def test_stop_with_a_bad_id_answers_the_syntax_and_stops_nothing(
    tg: Harness, argument: str
) -> None:
    await tg.send("/sell 10 SBER")
    before = len(tg.session.texts(OWNER))
    await tg.send(f"/stop {argument}")
    assert tg.session.texts(OWNER)[before:] == [
        "Usage: /stop to stop every task, or /stop ID — e.g. /stop T3 (sell/buy task 3)"
        " or /stop S2 (spread 2)"
    ]
    assert not [name for name, _ in tg.trader.calls if name == "stop"]
    assert [job.job_id for job in tg.trader.running] == ["1"]


async def test_progress_and_summary_arrive_as_events(tg: Harness) -> None:
    await tg.send("/sell 100 SBER")
    await tg.trader.finish("1", Decimal("281.40"))
    await tg.outbox.join()
    text = tg.session.transcript()
    assert "#1 sold 100 SBER @ 281.4 — [100/100] avg 281.4" in text
    assert text.rstrip().endswith("✅ #1 sell 100 SBER done: [100/100] avg 281.4")


async def test_unknown_command_and_plain_text(tg: Harness) -> None:
    await tg.send("/frobnicate now")
    assert tg.last() == "Unknown command /frobnicate. /help lists the commands."
    await tg.send("hello")
    assert tg.last() == "Send a command; /help lists them."


async def test_a_stale_button_is_answered(tg: Harness) -> None:
    await tg.send("/tasks")
    await tg.press("something:old", tg.session.sent()[-1].result)
    [answer] = tg.session.calls("answerCallbackQuery")
    assert answer.params["text"] == "This button is no longer valid."


async def test_commands_to_the_bot_by_name_work(tg: Harness) -> None:
    await tg.send(f"/help@{tg.session.bot_user['username']}")
    assert tg.replies()[0] == "Commands:"
    assert tg.session.sent()[-1].chat_id == OWNER
