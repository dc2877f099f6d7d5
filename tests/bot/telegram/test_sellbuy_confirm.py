"""/sell that opens a short and /dump of a spread's leg are asked with Confirm / Cancel; sums
are explained in the reply."""

from __future__ import annotations

from tests.support.fake_telegram import Harness


def started(tg: Harness) -> list[str]:
    return [job.title for job in tg.trader.running]


async def test_a_sale_opening_a_short_is_asked_and_runs_on_confirm(tg: Harness) -> None:
    tg.trader.short_by = 10
    await tg.send("/sell 10 SBER")
    question = tg.session.sent()[-1]
    assert "opens a short of 10 pieces" in (question.text or "")
    assert [label for label, _ in question.buttons()] == ["Confirm", "Cancel"]
    assert started(tg) == []
    await tg.press(question.buttons()[0][1], question.result)
    assert started(tg) == ["sell 10 SBER"]
    assert "Started #1: sell 10 SBER, [0/10]." in tg.session.transcript()


async def test_a_sale_opening_a_short_cancelled_starts_nothing(tg: Harness) -> None:
    tg.trader.short_by = 10
    await tg.send("/sell 10 SBER")
    question = tg.session.sent()[-1]
    await tg.press(question.buttons()[1][1], question.result)
    assert started(tg) == []
    assert tg.last() == "Cancelled: nothing was done."


async def test_dump_of_a_spread_leg_is_asked(tg: Harness) -> None:
    tg.trader.dump_from_legs = 100
    await tg.send("/dump SBER")
    question = tg.session.sent()[-1]
    assert "belong to the legs of spread(s) S5" in (question.text or "")
    assert started(tg) == []
    await tg.press(question.buttons()[0][1], question.result)
    assert started(tg) == ["sell 50 SBER"]


async def test_sums_are_explained(tg: Harness) -> None:
    await tg.send("/sell SBER 30000")
    assert "The sum is 100 pieces at the price now" in tg.session.transcript()
    await tg.send("/buy SBER 30000")
    assert "is the budget: the fills never cost more" in tg.session.transcript()
