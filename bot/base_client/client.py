"""httpx client of the Base REST API v1. Token auth, timeouts, typed results; network errors,
timeouts and 5xx become BaseUnavailable, 4xx become BaseRejected with the Base's message."""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from bot import tls
from bot.base_client.errors import BaseRejected, BaseUnavailable
from bot.base_client.types import (
    ActiveTasks,
    BaseHealth,
    FillRecorded,
    Instrument,
    Json,
    NewFill,
    NewOrder,
    OrderRecord,
    OrderUpdate,
    SellBuyTask,
    Spread,
    SyncResult,
    TradingSettings,
)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class BaseClient:
    """One instance per process; `close()` releases the connection pool."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        root = url.rstrip("/")
        if not root.endswith("/api/v1"):
            root += "/api/v1"
        self._http = httpx.AsyncClient(
            base_url=root + "/",
            headers={"Authorization": f"Token {token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
            verify=tls.default_context(),  # one context for the bot's clients (bot/tls.py)
        )
        self._active: tuple[str, ActiveTasks] | None = None  # ETag and the answer it names

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> BaseClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- transport ------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        allow_404: bool = False,
    ) -> httpx.Response:
        try:
            response = await self._http.request(
                method, path, json=json, params=params, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise BaseUnavailable(f"{method} {path}: timeout") from exc
        except httpx.HTTPError as exc:
            raise BaseUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise BaseUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code == 404 and allow_404:
            return response
        if response.status_code >= 400:
            raise _rejected(response)
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise BaseUnavailable(f"{method} {path}: answer is not JSON") from exc

    async def _list(self, path: str, params: Mapping[str, Any] | None = None) -> list[Json]:
        query = dict(params or {})
        query.setdefault("page_size", 1000)
        page = 1
        items: list[Json] = []
        while True:
            query["page"] = page
            body = await self._json("GET", path, params=query)
            if isinstance(body, list):  # an unpaginated list
                return body
            items.extend(body.get("results") or [])
            if not body.get("next"):
                return items
            page += 1

    # -- health ---------------------------------------------------------------------------

    async def health(self) -> BaseHealth:
        """The Base's health with the round-trip latency. Raises BaseUnavailable when the Base
        does not answer at all; a 503 from a Base whose database is down is returned as not ok."""
        started = time.perf_counter()
        try:
            response = await self._http.get("health/")
        except httpx.HTTPError as exc:
            raise BaseUnavailable(f"GET health/: {type(exc).__name__}") from exc
        latency = (time.perf_counter() - started) * 1000
        try:
            body = response.json()
        except ValueError:
            body = {}
        database = str(body.get("database", "unknown")) if isinstance(body, dict) else "unknown"
        ok = response.status_code == 200 and body.get("status") == "ok"
        return BaseHealth(ok=ok, latency_ms=latency, database=database)

    # -- instruments ----------------------------------------------------------------------

    async def instrument_by_ticker(self, ticker: str) -> Instrument | None:
        response = await self._request("GET", f"instruments/by-ticker/{ticker}/", allow_404=True)
        if response.status_code == 404:
            return None
        return Instrument.from_json(response.json())

    async def instrument(self, instrument_id: int) -> Instrument:
        return Instrument.from_json(await self._json("GET", f"instruments/{instrument_id}/"))

    async def instruments(self, **filters: Any) -> list[Instrument]:
        params = {k: _param(v) for k, v in filters.items() if v is not None}
        return [Instrument.from_json(x) for x in await self._list("instruments/", params)]

    async def sync_instruments(self, instruments: list[Json], *, complete: bool) -> SyncResult:
        body = await self._json(
            "POST", "instruments/sync/", json={"instruments": instruments, "complete": complete}
        )
        return SyncResult(
            created=int(body.get("created", 0)),
            updated=int(body.get("updated", 0)),
            deactivated=int(body.get("deactivated", 0)),
            unchanged=int(body.get("unchanged", 0)),
        )

    # -- tasks ----------------------------------------------------------------------------

    async def active_tasks(self) -> ActiveTasks:
        """A conditional GET: the last answer is kept with its ETag, and while the Base says
        nothing changed (304) it is returned again without a body to send or parse."""
        last = self._active
        headers = {"If-None-Match": last[0]} if last else None
        response = await self._request("GET", "tasks/active/", headers=headers)
        if response.status_code == 304 and last is not None:
            return last[1]
        try:
            body = response.json()
        except ValueError as exc:
            raise BaseUnavailable("GET tasks/active/: answer is not JSON") from exc
        tasks = ActiveTasks(
            sellbuy=tuple(SellBuyTask.from_json(x) for x in body.get("sellbuy") or ()),
            spreads=tuple(Spread.from_json(x) for x in body.get("spreads") or ()),
        )
        etag = response.headers.get("ETag")
        self._active = (etag, tasks) if etag else None
        return tasks

    async def create_sellbuy(
        self,
        *,
        instrument_id: int,
        direction: str,
        amount: int,
        limit_price: Decimal | None,
        covered: bool = False,
    ) -> SellBuyTask:
        """Create a sell/buy task. `covered` states that a sale is covered by a long position
        (the Base then accepts selling a share that cannot be shorted)."""
        body = await self._json(
            "POST",
            "sellbuy/",
            json={
                "instrument": instrument_id,
                "direction": direction,
                "amount": amount,
                "limit_price": None if limit_price is None else str(limit_price),
                "covered": covered,
            },
        )
        return SellBuyTask.from_json(body)

    async def sellbuy(self, task_id: int) -> SellBuyTask:
        return SellBuyTask.from_json(await self._json("GET", f"sellbuy/{task_id}/"))

    async def set_sellbuy_active(
        self, task_id: int, active: bool, reason: str | None = None
    ) -> SellBuyTask:
        """Switch a task on or off; `reason` (switching off) is shown in the admin."""
        body = await self._json("PATCH", f"sellbuy/{task_id}/", json=_active(active, reason))
        return SellBuyTask.from_json(body)

    async def spreads(self, *, active: bool | None = None) -> list[Spread]:
        params = {} if active is None else {"active": _param(active)}
        return [Spread.from_json(x) for x in await self._list("spreads/", params)]

    async def spread(self, spread_id: int) -> Spread | None:
        """One spread (active or not) by its own endpoint; None when the Base has no such id."""
        response = await self._request("GET", f"spreads/{spread_id}/", allow_404=True)
        if response.status_code == 404:
            return None
        try:
            return Spread.from_json(response.json())
        except ValueError as exc:
            raise BaseUnavailable(f"GET spreads/{spread_id}/: answer is not JSON") from exc

    async def set_spread_active(
        self, spread_id: int, active: bool, reason: str | None = None
    ) -> Spread:
        body = await self._json("PATCH", f"spreads/{spread_id}/", json=_active(active, reason))
        return Spread.from_json(body)

    # -- orders and fills (idempotent) ----------------------------------------------------

    async def record_order(self, order: NewOrder) -> OrderRecord:
        """201 new / 200 identical existing; a 409 (same id, other content) is BaseRejected."""
        return OrderRecord.from_json(await self._json("POST", "orders/", json=order.to_json()))

    async def update_order(self, update: OrderUpdate) -> OrderRecord:
        body = await self._json("PATCH", f"orders/{update.client_order_id}/", json=update.to_json())
        return OrderRecord.from_json(body)

    async def order(self, client_order_id: str) -> OrderRecord | None:
        """One order as the Base has it (None when it has none with that id)."""
        response = await self._request("GET", f"orders/{client_order_id}/", allow_404=True)
        if response.status_code == 404:
            return None
        return OrderRecord.from_json(response.json())

    async def orders(self, **filters: Any) -> list[OrderRecord]:
        params = {k: _param(v) for k, v in filters.items() if v is not None}
        return [OrderRecord.from_json(x) for x in await self._list("orders/", params)]

    async def open_orders(self, task_kind: str | None = None) -> list[OrderRecord]:
        """Orders not in a final status (optionally of one task kind)."""
        return await self.orders(open=True, task_kind=task_kind)

    async def record_fill(self, fill: NewFill) -> FillRecorded:
        response = await self._request("POST", "fills/", json=fill.to_json())
        return FillRecorded.from_json(response.json(), created=response.status_code == 201)

    async def record_batch(
        self, records: list[tuple[str, dict[str, Any]]]
    ) -> list[tuple[int, dict[str, Any]]]:
        """Journal records in one request (POST records/): for each, the status its own
        endpoint would answer and the body or error. A 404 for the whole request means a Base
        without the batch endpoint (BaseRejected)."""
        body = await self._json(
            "POST",
            "records/",
            json={"records": [{"kind": kind, "data": data} for kind, data in records]},
        )
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list) or len(results) != len(records):
            raise BaseUnavailable("POST records/: the answer does not cover every record")
        return [
            (int(item.get("status", 0)), dict(item.get("body") or item.get("error") or {}))
            for item in results
        ]

    # -- settings, stop lists, stash ------------------------------------------------------

    async def settings(self) -> TradingSettings:
        return TradingSettings.from_json(await self._json("GET", "settings/"))

    async def stop_lists(self) -> dict[str, list[Instrument]]:
        body = await self._json("GET", "stop-lists/")
        return {
            key: [Instrument.from_json(x) for x in body.get(key) or ()]
            for key in ("whitelist", "stop_blacklist", "short_blacklist")
        }

    async def stash(self) -> Json:
        result: Json = await self._json("GET", "stash/")
        return result

    async def put_stash(self, orders: list[Json]) -> Json:
        result: Json = await self._json("PUT", "stash/", json={"orders": orders})
        return result

    # -- the owner's views (docs/base-api.md: stats/, portfolio/, quotes/, charts/) ---------

    async def stats(self, period: str) -> Json:
        result: Json = await self._json("GET", "stats/", params={"period": period})
        return result

    async def put_portfolio(self, snapshot: Json) -> None:
        await self._request("PUT", "portfolio/", json=snapshot)

    async def post_quotes(self, series: list[Json]) -> int:
        body = await self._json("POST", "quotes/", json={"series": series})
        return int(body.get("stored", 0))

    async def orders_missing_commission(self) -> list[OrderRecord]:
        """Filled orders of the last days whose commission is not recorded yet."""
        return await self.orders(commission_missing=True)

    async def chart(self, task_kind: str, task_id: int) -> Json | None:
        """A task's quote history and fills; None when the Base has no such task."""
        response = await self._request("GET", f"charts/{task_kind}/{task_id}/", allow_404=True)
        if response.status_code == 404:
            return None
        result: Json = response.json()
        return result


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rejected(response: httpx.Response) -> BaseRejected:
    code = "http_" + str(response.status_code)
    message = response.reason_phrase or "rejected"
    fields: dict[str, list[str]] = {}
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code = str(error.get("code", code))
            message = str(error.get("message", message))
            raw_fields = error.get("fields")
            if isinstance(raw_fields, dict):
                fields = {
                    str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
                    for k, v in raw_fields.items()
                }
        elif "detail" in body:
            message = str(body["detail"])
    return BaseRejected(response.status_code, code, message, fields)


def _active(active: bool, reason: str | None) -> dict[str, object]:
    body: dict[str, object] = {"active": active}
    if reason:
        body["reason"] = reason[:300]
    return body
