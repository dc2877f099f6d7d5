"""A scriptable fake broker for client tests (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.broker.config import BrokerConfig, RetryPolicy

TOKEN = "t.TEST-secret-token-0123456789"
PREFIX = "/rest/tinkoff.public.invest.api.contract.v1."

Handler = Callable[[dict[str, Any], httpx.Request], httpx.Response]


@dataclass
class Sent:
    service: str
    method: str
    body: dict[str, Any]
    headers: httpx.Headers


@dataclass
class FakeBroker:
    """Routes "Service/Method" to handlers; records every request."""

    handlers: dict[str, Handler] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    def on(self, name: str, handler: Handler) -> None:
        self.handlers[name] = handler

    def reply(self, name: str, body: dict[str, Any], **headers: str) -> None:
        self.handlers[name] = lambda _b, _r: httpx.Response(200, json=body, headers=headers)

    def calls(self, name: str) -> list[Sent]:
        return [s for s in self.sent if f"{s.service}/{s.method}" == name]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        assert path.startswith(PREFIX), path
        service, method = path[len(PREFIX) :].split("/")
        body = json.loads(request.content or b"{}")
        self.sent.append(Sent(service, method, body, request.headers))
        handler = self.handlers.get(f"{service}/{method}")
        if handler is None:
            return httpx.Response(
                501, json={"code": 12, "message": "not in this fake", "description": ""}
            )
        return handler(body, request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def config(**kw: Any) -> BrokerConfig:
    base: dict[str, Any] = {
        "token": TOKEN,
        "account_id": "acc-1",
        "rest_url": "http://broker.test/rest",
        "ws_url": "ws://broker.test/ws",
        "retry": RetryPolicy(attempts=3, backoff_initial=0.001, backoff_max=0.002),
    }
    base.update(kw)
    return BrokerConfig(**base)


def error(
    status: int, code: int, description: Any, message: str = "", **headers: str
) -> httpx.Response:
    return httpx.Response(
        status,
        json={"code": code, "message": message, "description": description},
        headers=headers,
    )


def q(value: str) -> dict[str, Any]:
    from bot.broker.money import decimal_to_quotation

    return decimal_to_quotation(value)


def m(value: str, currency: str = "rub") -> dict[str, Any]:
    return {"currency": currency, **q(value)}
