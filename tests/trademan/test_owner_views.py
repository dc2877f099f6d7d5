"""The owner's views in the Base: /stats results (price improvement on known fills), the
portfolio snapshot and quotes the bot sends, chart data, and the dashboard (staff only)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User

from trademan.base import reports
from trademan.base.models import Instrument, QuotePoint, SellBuyTask, Spread
from trademan.base.services.fills import record_fill
from trademan.base.services.orders import OrderRequest, record_order, update_order
from trademan.base.services.snapshots import store_quotes

pytestmark = pytest.mark.django_db


def order(
    instrument: Instrument,
    direction: str,
    price: str,
    lots: int,
    *,
    task: SellBuyTask | Spread | None = None,
    leg: str | None = None,
    opposite: str | None = None,
    commission: str | None = None,
) -> uuid.UUID:
    kind = "sellbuy" if isinstance(task, SellBuyTask) else "spread" if task else None
    client_id = uuid.uuid4()
    record_order(
        OrderRequest(
            client_order_id=client_id,
            instrument_id=instrument.pk,
            direction=direction,
            order_type="limit",
            price=Decimal(price),
            lots=lots,
            task_kind=kind,
            task_id=task.pk if task else None,
            leg=leg,
            opposite_price=None if opposite is None else Decimal(opposite),
        )
    )
    if commission is not None:
        update_order(client_id, commission=Decimal(commission))
    return client_id


def fill(client_id: uuid.UUID, trade: str, pieces: int, price: str, at: datetime) -> None:
    record_fill(
        client_order_id=client_id,
        trade_id=trade,
        quantity=pieces,
        price=Decimal(price),
        executed_at=at,
    )


@pytest.fixture
def fills_known(share: Instrument, future_far: Instrument, now: datetime) -> dict[str, Any]:
    """Buying 100 SBER (lot 10): two orders placed when the best ask was 281.50 and 282.00, filled
    at 281.40 (50 pieces) and 281.80 (50 pieces); selling 2 SRM7 (1 pt = 1 RUB) placed at a best
    bid of 31000, filled at 31010. Improvement by hand:
      buy:  (281.50 - 281.40) x 50 = 5.00;  (282.00 - 281.80) x 50 = 10.00
      sell: (31010 - 31000) x 2 = 20.00                          -> 35.00 RUB
    crossing value: 281.50x50 + 282.00x50 + 31000x2 = 14075 + 14100 + 62000 = 90175
    bp = 35 / 90175 x 10000 = 3.88… -> 3.9"""
    buy = SellBuyTask.objects.create(instrument=share, direction="buy", amount=100)
    sell = SellBuyTask.objects.create(instrument=future_far, direction="sell", amount=2)
    a = order(share, "buy", "281.40", 5, task=buy, opposite="281.50", commission="7.04")
    b = order(share, "buy", "281.80", 5, task=buy, opposite="282.00", commission="7.05")
    c = order(future_far, "sell", "31010", 2, task=sell, opposite="31000", commission="31.01")
    fill(a, "t1", 50, "281.40", now)
    fill(b, "t2", 50, "281.80", now)
    fill(c, "t3", 2, "31010", now)
    return {"buy": buy, "sell": sell}


def test_price_improvement_on_known_fills(fills_known: dict[str, Any]) -> None:
    result = reports.stats("today")
    assert result["improvement"] == {
        "fills": 3,
        "pieces": 102,
        "roubles": Decimal("35.00"),
        "bp": Decimal("3.9"),
    }
    rows = {(r["ticker"], r["direction"]): r for r in result["rows"]}  # type: ignore[union-attr]
    sber = rows[("SBER", "buy")]
    assert sber["fills"] == 2 and sber["pieces"] == 100
    assert sber["volume"] == Decimal("28160.00")  # 281.40x50 + 281.80x50
    assert sber["commission"] == Decimal("14.09")
    assert sber["average_price"] == Decimal("281.600000")
    assert sber["improvement"]["roubles"] == Decimal("15.00")  # type: ignore[index]
    assert result["totals"] == {
        "fills": 3,
        "volume": Decimal("90180.00"),
        "commission": Decimal("45.10"),
        "commission_unknown": 0,
    }


def test_a_period_leaves_older_fills_out(share: Instrument, now: datetime) -> None:
    task = SellBuyTask.objects.create(instrument=share, direction="sell", amount=20)
    old = order(share, "sell", "280.00", 1, task=task, opposite="279.90")
    new = order(share, "sell", "281.00", 1, task=task, opposite="280.95")
    fill(old, "o", 10, "280.00", now - timedelta(days=10))
    fill(new, "n", 10, "281.00", now)
    week = reports.stats("week")
    assert week["totals"]["fills"] == 1  # type: ignore[index]
    assert week["totals"]["commission_unknown"] == 1  # type: ignore[index]  # not learnt yet
    assert week["improvement"]["roubles"] == Decimal("0.50")  # type: ignore[index]
    assert reports.stats("all")["improvement"]["roubles"] == Decimal("1.50")  # type: ignore[index]
    with pytest.raises(ValueError):
        reports.stats("year")


def test_spread_realised_against_target(
    spread: Spread, future_far: Instrument, share: Instrument, now: datetime
) -> None:
    """Sell 2 SRM7 at 31000 and 31020 (avg 31010), buy 200 SBER at 295.00: realised
    31010 - 100 x 295 = 1510 against the target 1500: 10 better."""
    far = order(future_far, "sell", "31000", 2, task=spread, leg="far")
    near = order(share, "buy", "295.00", 20, task=spread, leg="near")
    fill(far, "f1", 1, "31000", now)
    fill(far, "f2", 1, "31020", now)
    fill(near, "n1", 200, "295.00", now)
    result = reports.stats("today")
    assert result["spreads"] == [
        {
            "task_id": spread.pk,
            "title": "sell SRM7/SBER",
            "direction": "sell",
            "target": Decimal("1500"),
            "average_spread": Decimal("1510.00"),
            "better_than_target": Decimal("10.00"),
            "far_pieces": 2,
            "near_pieces": 200,
        }
    ]
    chart = reports.chart("spread", spread.pk)
    assert chart is not None
    assert [f["price"] for f in chart["fills"]] == [Decimal("1500.00"), Decimal("1520.00")]  # type: ignore[index]


def test_stats_api(api: Any, fills_known: dict[str, Any]) -> None:
    body = api.get("/api/v1/stats/?period=week").json()
    assert body["improvement"] == {"fills": 3, "pieces": 102, "roubles": "35", "bp": "3.9"}
    assert api.get("/api/v1/stats/?period=year").status_code == 400


def test_portfolio_snapshot_round_trip(api: Any, anon: Any) -> None:
    at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    body = {
        "taken_at": at.isoformat(),
        "positions": [{"ticker": "SBER", "quantity": 10, "value": "2814"}],
        "cash": [{"currency": "RUB", "amount": "1000"}],
        "margin": {"used": "0", "free": "3814"},
        "total": "3814",
        "jobs": [{"id": "1"}],
    }
    assert anon.put("/api/v1/portfolio/", body, format="json").status_code in (401, 403)
    assert api.get("/api/v1/portfolio/").status_code == 404
    response = api.put("/api/v1/portfolio/", body, format="json")
    assert response.status_code == 200, response.json()
    got = api.get("/api/v1/portfolio/").json()
    assert got["positions"][0]["ticker"] == "SBER" and got["total"] == "3814"
    older = {**body, "taken_at": (at - timedelta(minutes=1)).isoformat(), "total": "1"}
    api.put("/api/v1/portfolio/", older, format="json")
    assert api.get("/api/v1/portfolio/").json()["total"] == "3814"  # the newer one stays


def test_quotes_are_idempotent_and_bounded(api: Any, spread: Spread) -> None:
    start = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    points = [
        {"at": (start + timedelta(seconds=i)).isoformat(), "sell": "1500", "buy": "1510"}
        for i in range(5)
    ]
    payload = {"series": [{"task_kind": "spread", "task_id": spread.pk, "points": points}]}
    assert api.post("/api/v1/quotes/", payload, format="json").json() == {"stored": 5}
    assert api.post("/api/v1/quotes/", payload, format="json").json() == {"stored": 0}
    more = [
        {
            "task_kind": "spread",
            "task_id": spread.pk,
            "points": [
                {"at": (start + timedelta(seconds=10 + i)).isoformat(), "sell": "1"}
                for i in range(3)
            ],
        }
    ]
    store_quotes(more, limit=4)
    kept = list(QuotePoint.objects.filter(task_id=spread.pk).values_list("sell", flat=True))
    assert len(kept) == 4 and kept[0] == Decimal("1500")
    chart = api.get(f"/api/v1/charts/spread/{spread.pk}/").json()
    assert chart["target"] == "1500" and len(chart["points"]) == 4
    assert api.get("/api/v1/charts/spread/999999/").status_code == 404


def test_opposite_price_and_commission_are_recorded(api: Any, sellbuy: SellBuyTask) -> None:
    client_id = str(uuid.uuid4())
    body = {
        "client_order_id": client_id,
        "task_kind": "sellbuy",
        "task_id": sellbuy.pk,
        "instrument": sellbuy.instrument_id,
        "direction": "buy",
        "order_type": "limit",
        "price": "281.35",
        "lots": 1,
        "opposite_price": "281.40",
    }
    assert api.post("/api/v1/orders/", body, format="json").status_code == 201
    patched = api.patch(
        f"/api/v1/orders/{client_id}/", {"status": "new", "commission": "1.41"}, format="json"
    ).json()
    assert patched["opposite_price"] == "281.4" and patched["commission"] == "1.41"


# -- the dashboard ---------------------------------------------------------------------------


@pytest.fixture
def owner(client: Any) -> Any:
    User.objects.create_user("owner", password="pw-owner-1", is_staff=True)
    client.login(username="owner", password="pw-owner-1")
    return client


def test_dashboard_renders_for_the_owner(
    owner: Any, fills_known: dict[str, Any], spread: Spread
) -> None:
    store_quotes(
        [
            {
                "task_kind": "spread",
                "task_id": spread.pk,
                "points": [
                    {
                        "at": datetime(2026, 12, 4, 10, 0, tzinfo=UTC),
                        "sell": Decimal("1490"),
                        "buy": None,
                    },
                ],
            }
        ]
    )
    page = owner.get("/dashboard/?period=week")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Patience saved 35.00 ₽ (3.9 bp)" in html
    assert "No snapshot yet" in html
    assert f'id="plot-spread-{spread.pk}"' in html
    assert "dashboard/uplot/uPlot.iife.min.js" in html
    task = owner.get(f"/dashboard/task/sellbuy/{fills_known['buy'].pk}/")
    assert task.status_code == 200 and "281.5" in task.content.decode()  # the opposite price
    assert owner.get("/dashboard/task/spread/999999/").status_code == 404


def test_dashboard_says_how_old_the_snapshot_is(owner: Any, api: Any) -> None:
    taken = datetime.now(UTC) - timedelta(minutes=5)
    api.put(
        "/api/v1/portfolio/",
        {
            "taken_at": taken.isoformat(),
            "positions": [],
            "cash": [{"currency": "RUB", "amount": "5"}],
        },
        format="json",
    )
    html = owner.get("/dashboard/").content.decode()
    assert "dash-stale" in html and " s ago" in html


def test_dashboard_in_russian(owner: Any) -> None:
    html = owner.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Позиции и деньги" in html and "Снимка пока нет" in html


def test_dashboard_refuses_anyone_else(client: Any) -> None:
    anonymous = client.get("/dashboard/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    User.objects.create_user("guest", password="pw-guest-1")
    client.login(username="guest", password="pw-guest-1")
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/task/spread/1/").status_code == 403
