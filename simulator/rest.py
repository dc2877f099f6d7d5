"""The REST endpoint ``POST /rest/tinkoff.public.invest.api.contract.v1.{Service}/{Method}``:
authentication, rate limits, injected faults, then the method itself."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from simulator.errors import ApiError
from simulator.state import SIM_KEY, Simulator

log = logging.getLogger("simulator.rest")
PREFIX = "tinkoff.public.invest.api.contract.v1."


def bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def authenticate(sim: Simulator, token: str) -> None:
    if not token or (sim.config.token is not None and token != sim.config.token):
        raise ApiError(40003)


def _json(body: Any, status: int, headers: dict[str, str]) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/json",
        headers=headers,
    )


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    #: an accepted order whose answer the faults say to lose (``lose_mode`` says how)
    lost: bool = False


async def respond(sim: Simulator, token: str, full: str, raw: bytes) -> Answer:
    """One unary call: ``full`` is ``tinkoff.public.invest.api.contract.v1.{Service}/{Method}``,
    ``raw`` the request body. Authentication, rate limits, injected faults, then the method.
    The HTTP endpoint serves it; in-process callers (the bot's what-if) call it directly."""
    tracking_id = uuid.uuid4().hex
    headers = {"x-tracking-id": tracking_id}
    if not full.startswith(PREFIX) or full.count("/") != 1:
        return Answer(404, headers, {"code": 5, "message": "Not Found", "description": "0"})
    service, method = full[len(PREFIX) :].split("/")
    sim.requests.count(service, method)
    try:
        authenticate(sim, token)
        verdict = sim.limiter.check(token, service, method, sim.clock.now())
        headers.update(verdict.headers())
        if not verdict.allowed:
            raise ApiError(80002)
        delay = sim.faults.latency_for(method)
        if delay > 0:
            await sim.delay(delay)
        if sim.faults.should_fail(method):
            raise ApiError(sim.faults.error_code)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError as exc:
            raise ApiError(30049, message="Invalid request: the body is not JSON") from exc
        result = sim.api.call(service, method, body, tracking_id)
    except ApiError as err:
        return Answer(err.http_status, headers, err.body())
    except Exception:
        log.exception("internal error in %s/%s", service, method)
        return Answer(500, headers, ApiError(70001).body())
    lost = (method == "PostOrder" and sim.faults.take_lost_post_order()) or (
        method == "PostStopOrder" and sim.faults.take_lost_stop_order()
    )
    if lost:
        log.info(
            "fault: losing the response of accepted order %s",
            result.get("orderId") or result.get("stopOrderId"),
        )
    return Answer(200, headers, result, lost=lost)


async def handle(request: web.Request) -> web.StreamResponse:
    sim: Simulator = request.app[SIM_KEY]
    answer = await respond(
        sim, bearer_token(request), request.match_info["method"], await request.read()
    )
    if answer.lost:
        if sim.faults.lose_mode == "504":
            deadline = {"code": 4, "message": "Deadline exceeded", "description": "70003"}
            return _json(deadline, 504, answer.headers)
        if request.transport is not None:
            request.transport.abort()
        # the connection is gone: aiohttp drops whatever is written to it
        return web.Response(status=504)
    return _json(answer.body, answer.status, answer.headers)
