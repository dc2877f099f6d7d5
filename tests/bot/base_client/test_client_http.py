"""The Base client's error mapping and parsing, against a scripted HTTP transport."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from bot.base_client import BaseClient, BaseRejected, BaseUnavailable, NewFill, NewOrder
from bot.base_client.types import parse_time


def client_for(handler: httpx.MockTransport) -> BaseClient:
    return BaseClient("http://base.test", "secret-token", transport=handler)


async def test_sends_the_token_and_parses_decimals() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "long_levels": ["15", "20.5"],
                "max_order_value": "5000000.00",
                "order_ttl_days": 30,
            },
        )

    async with client_for(httpx.MockTransport(handle)) as client:
        settings = await client.settings()
    assert seen[0].url == "http://base.test/api/v1/settings/"
    assert seen[0].headers["Authorization"] == "Token secret-token"
    assert settings.long_levels == (Decimal(15), Decimal("20.5"))
    assert settings.max_order_value == Decimal("5000000.00")


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_mean_unavailable(status: int) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(status, text="oops"))
    async with client_for(transport) as client:
        with pytest.raises(BaseUnavailable):
            await client.active_tasks()


async def test_network_errors_and_timeouts_mean_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    for handler in (refuse, slow):
        async with client_for(httpx.MockTransport(handler)) as client:
            with pytest.raises(BaseUnavailable):
                await client.settings()


async def test_client_errors_carry_the_bases_message() -> None:
    body = {
        "error": {
            "code": "validation_error",
            "message": "Amount must be a whole number of lots (lot = 10).",
            "fields": {"amount": ["Amount must be a whole number of lots (lot = 10)."]},
        }
    }
    transport = httpx.MockTransport(lambda r: httpx.Response(400, json=body))
    async with client_for(transport) as client:
        with pytest.raises(BaseRejected) as err:
            await client.create_sellbuy(
                instrument_id=1, direction="buy", amount=15, limit_price=None
            )
    assert err.value.status == 400 and err.value.code == "validation_error"
    assert err.value.message == "Amount must be a whole number of lots (lot = 10)."
    assert "amount" in err.value.fields


async def test_unknown_ticker_is_none_and_paging_is_followed() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/by-ticker/NOPE/"):
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}})
        page = int(request.url.params.get("page", "1"))
        item = {"id": page, "ticker": f"T{page}", "lot": 1, "min_price_increment": "0.01"}
        return httpx.Response(
            200,
            json={
                "count": 2,
                "next": "more" if page == 1 else None,
                "previous": None,
                "results": [item],
            },
        )

    async with client_for(httpx.MockTransport(handle)) as client:
        assert await client.instrument_by_ticker("NOPE") is None
        listed = await client.instruments(active=True)
    assert [i.ticker for i in listed] == ["T1", "T2"]


async def test_order_and_fill_bodies_follow_the_contract() -> None:
    bodies: list[dict[str, object]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        if request.url.path.endswith("/orders/"):
            return httpx.Response(201, json={**body, "lots_executed": 0, "broker_order_id": None})
        return httpx.Response(
            200,
            json={"fill": body, "progress": {"executed": 20, "average_price": "100.05"}},
        )

    async with client_for(httpx.MockTransport(handle)) as client:
        record = await client.record_order(
            NewOrder(
                client_order_id="6f1c2a52-3d7e-4b8e-9a51-5b0c2d1e7f30",
                instrument=3,
                direction="buy",
                order_type="limit",
                price=Decimal("100.10"),
                lots=2,
                task_kind="sellbuy",
                task_id=7,
            )
        )
        result = await client.record_fill(
            NewFill(
                order=record.client_order_id,
                trade_id="T1",
                quantity=20,
                price=Decimal("100.05"),
                executed_at=parse_time("2026-11-21T10:00:00Z"),
            )
        )
    assert bodies[0]["price"] == "100.10" and bodies[0]["status"] == "prepared"
    assert bodies[1] == {
        "order": record.client_order_id,
        "trade_id": "T1",
        "quantity": 20,
        "price": "100.05",
        "executed_at": "2026-11-21T10:00:00Z",
    }
    assert record.price == Decimal("100.10") and record.status == "prepared"
    assert not result.created, "200 means the fill was already recorded"
    assert (result.executed, result.average_price) == (20, Decimal("100.05"))


async def test_active_tasks_is_a_conditional_request() -> None:
    seen: list[httpx.Request] = []
    answers = [
        httpx.Response(200, json={"sellbuy": [], "spreads": []}, headers={"ETag": '"v1"'}),
        httpx.Response(304, headers={"ETag": '"v1"'}),
        httpx.Response(200, json={"sellbuy": [], "spreads": []}, headers={"ETag": '"v2"'}),
        httpx.Response(304, headers={"ETag": '"v2"'}),
    ]

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[len(seen) - 1]

    async with client_for(httpx.MockTransport(handle)) as client:
        first = await client.active_tasks()
        again = await client.active_tasks()
        changed = await client.active_tasks()
        same = await client.active_tasks()
    assert "If-None-Match" not in seen[0].headers
    assert [r.headers.get("If-None-Match") for r in seen[1:]] == ['"v1"', '"v1"', '"v2"']
    assert again is first  # the kept answer, not parsed again
    assert changed is not first and same is changed


async def test_one_spread_is_read_by_its_own_endpoint() -> None:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "No spread."}})

    async with client_for(httpx.MockTransport(handle)) as client:
        assert await client.spread(7) is None
    assert seen == ["/api/v1/spreads/7/"]
