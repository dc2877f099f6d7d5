"""`make chaos`'s stop-order invariants (scripts/chaos.py) on made-up simulator states: each
catches what it is meant to catch, and the bot's plan as rendered is read back exactly."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bot.engine.stops.plan import PlannedStop, StopPlan
from bot.texts import Texts
from bot.texts.stops_render import render_plan

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "chaos.py"


@pytest.fixture(scope="module")
def chaos() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chaos_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["chaos_script"] = module
    spec.loader.exec_module(module)
    return module


def stop(
    sid: str,
    ticker: str = "ROSN",
    side: str = "BUY",
    price: str = "1300.2",
    status: str = "ACTIVE",
    request_id: str | None = None,
) -> dict[str, Any]:
    return {
        "stopOrderId": sid,
        "requestId": request_id or f"r-{sid}",
        "ticker": ticker,
        "direction": f"STOP_ORDER_DIRECTION_{side}",
        "stopPrice": price,
        "status": f"STOP_ORDER_STATUS_{status}",
    }


class Owner:
    """Stands in for the chaos Owner: `count` is the real method, bound to this state."""

    def __init__(self, chaos: ModuleType, world: Any) -> None:
        self.seen = world.stops
        self.plans_seen: Counter[str] = Counter()
        self.count = chaos.Owner.count.__get__(self)


def plan_text(orders: list[tuple[str, str, str]]) -> str:
    planned = tuple(
        PlannedStop(
            instrument_uid=f"uid-{ticker}",
            ticker=ticker,
            direction="buy" if side == "buy" else "sell",
            kind="take_profit",
            stop_price=Decimal(price),
            lots=3,
            lot=1,
            expire_at=datetime(2026, 12, 31, tzinfo=UTC),
        )
        for ticker, side, price in orders
    )
    return render_plan(Texts("en"), StopPlan(kind="stops", orders=planned))


def violations(chaos: ModuleType, stops: list[dict[str, Any]], world: Any, cycle: int = 5) -> str:
    report = chaos.Report(seed=1)
    chaos.check_stops(report, cycle, stops, world)
    return "\n".join(report.violations)


def test_the_plan_as_rendered_is_read_back(chaos: ModuleType) -> None:
    world = chaos.World()
    owner = Owner(chaos, world)
    owner.count(plan_text([("CHMF", "buy", "1300.2"), ("ROSN", "sell", "550.05")]))
    assert world.stops.asked == {
        ("CHMF", "buy", Decimal("1300.2")): 1,
        ("ROSN", "sell", Decimal("550.05")): 1,
    }
    assert owner.plans_seen == {"stops": 1}


def test_as_many_stops_as_the_plans_asked_pass_one_more_is_a_violation(chaos: ModuleType) -> None:
    world = chaos.World()
    Owner(chaos, world).count(plan_text([("ROSN", "buy", "1300.2")]))
    assert violations(chaos, [stop("1")], world) == ""
    found = violations(chaos, [stop("1"), stop("2")], world)
    assert "more stop orders than the plans asked for: ROSN buy @1300.2: +1" in found


def test_a_plan_never_seen_allows_what_that_command_may_place(chaos: ModuleType) -> None:
    world = chaos.World()
    world.stops.unseen[("ROSN", "buy")] += 2  # a /stops typed, its plan lost with the kill
    assert violations(chaos, [stop("1"), stop("2", price="1200")], world) == ""
    assert "more stop orders" in violations(
        chaos, [stop("1"), stop("2", price="1200"), stop("3", price="1100")], world
    )


def test_a_client_id_twice_is_a_violation(chaos: ModuleType) -> None:
    world = chaos.World()
    world.stops.asked[("ROSN", "buy", Decimal("1300.2"))] = 2
    found = violations(chaos, [stop("1", request_id="same"), stop("2", request_id="same")], world)
    assert "stop client id same used by 2 stop orders" in found


def test_a_stop_cancelled_without_cancel_is_a_violation(chaos: ModuleType) -> None:
    world = chaos.World()
    world.stops.asked[("ROSN", "buy", Decimal("1300.2"))] = 1
    cancelled = [stop("1", status="CANCELED")]
    assert "cancelled with no /cancel confirmed: ['1']" in violations(chaos, cancelled, world)
    again = chaos.World()
    again.stops.asked[("ROSN", "buy", Decimal("1300.2"))] = 1
    again.stops.cancel_cycles.add(4)  # confirmed in the cycle before: its requests may land late
    assert violations(chaos, cancelled, again) == ""


def test_a_finished_cancel_leaving_what_it_saw_active_is_a_violation(chaos: ModuleType) -> None:
    report = chaos.Report(seed=1)
    orders = [{"orderId": "o1", "status": "EXECUTION_REPORT_STATUS_NEW"}]
    stops = [stop("s1"), stop("s2", status="CANCELED"), stop("s3")]
    chaos.check_cancel(report, 7, ({"s1", "s2"}, {"o1"}), orders, stops)
    assert len(report.violations) == 2
    assert "stop orders it saw are active: ['s1']" in report.violations[0]
    assert "orders it saw are live: ['o1']" in report.violations[1]
