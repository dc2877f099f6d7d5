"""The chaos run's invariants (scripts/chaos.py `check_state`) judge the simulator's orders
rightly: a spread's near leg may carry one hedge per far fill at once, never more than the far
fills call for; every other task side keeps to one live order."""

from __future__ import annotations

from typing import Any

from scripts.chaos import Report, World, check_state

NEW = "EXECUTION_REPORT_STATUS_NEW"
FILL = "EXECUTION_REPORT_STATUS_FILL"


def world() -> World:
    w = World(far="SRM7", near="SBER", ratio=100)
    w.sides = {
        ("SRM7", "sell"): "spread far",
        ("SBER", "buy"): "spread near",
        ("GAZP", "buy"): "sellbuy GAZP buy",
    }
    w.amounts = {"spread far": 20, "spread near": 2000, "sellbuy GAZP buy": 2000}
    w.lots = {"SRM7": 1, "SBER": 10, "GAZP": 10}
    return w


def order(n: int, ticker: str, side: str, lots: int, status: str, done: int = 0) -> dict[str, Any]:
    fills = [{"price": "1", "lots": done, "tradeId": f"t{n}", "time": "x"}] if done else []
    return {
        "orderId": str(n),
        "requestId": f"req-{n}",
        "ticker": ticker,
        "direction": f"ORDER_DIRECTION_{side.upper()}",
        "lotsRequested": lots,
        "lotsExecuted": done,
        "status": status,
        "fills": fills,
    }


def check(orders: list[dict[str, Any]]) -> list[str]:
    report = Report(seed=7)
    check_state(report, 14, orders, world())
    return report.violations


def test_two_hedges_in_flight_for_two_far_fills_are_no_violation() -> None:
    # seed 7, cycle 14: far 18 filled, hedge of 180 lots placed; the far order for the last 2
    # filled at once, hedge of 20 lots placed; killed with both hedges working: 2000 = 20 x 100
    orders = [
        order(56, "SRM7", "sell", 18, FILL, done=18),
        order(57, "SBER", "buy", 180, NEW),
        order(58, "SRM7", "sell", 2, FILL, done=2),
        order(59, "SBER", "buy", 20, NEW),
    ]
    assert check(orders) == []


def test_a_hedge_in_flight_twice_is_an_over_hedge() -> None:
    orders = [
        order(56, "SRM7", "sell", 18, FILL, done=18),
        order(57, "SBER", "buy", 180, NEW),
        order(60, "SBER", "buy", 180, NEW),  # the same hedge placed again
    ]
    [violation] = check(orders)
    assert "over-hedged: near 0 filled + 3600 in live orders > far 18" in violation


def test_a_partly_filled_hedge_counts_only_what_it_still_asks() -> None:
    orders = [
        order(56, "SRM7", "sell", 18, FILL, done=18),
        order(57, "SBER", "buy", 180, "EXECUTION_REPORT_STATUS_PARTIALLYFILL", done=100),
        order(58, "SBER", "buy", 1, NEW),  # one lot more than the far fills call for
    ]
    [violation] = check(orders)
    assert "near 1000 filled + 810 in live orders > far 18" in violation


def test_two_live_orders_on_the_far_leg_or_a_sellbuy_task_still_violate() -> None:
    orders = [
        order(1, "SRM7", "sell", 10, NEW),
        order(2, "SRM7", "sell", 10, NEW),
        order(3, "GAZP", "buy", 5, NEW),
        order(4, "GAZP", "buy", 5, NEW),
    ]
    violations = check(orders)
    assert len(violations) == 2
    assert "2 live orders at once for spread far" in violations[0]
    assert "2 live orders at once for sellbuy GAZP buy" in violations[1]
