"""The REST core: one pooled httpx.AsyncClient, auth headers, rate limiting, retries with
backoff, and error mapping.

Retry rules:
- a request that never reached the broker (connection refused, pool or connect timeout) is
  retried for every method;
- a 429 waits for the reset (all callers of the bucket wait) and is retried: it was not executed;
- reads are retried on transient errors (timeouts, 5xx, UNAVAILABLE);
- orders (`idempotency_key` given: PostOrder/PostStopOrder) are retried only with the same key,
  which the broker deduplicates; when the last attempt's outcome is unknown (a timeout or a broken
  connection after sending), `OrderOutcomeUnknown(request_id=key)` is raised. A new key is never
  made here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bot import tls
from bot.broker.config import BrokerConfig
from bot.broker.errors import (
    BrokerConnectionError,
    BrokerError,
    BrokerTimeout,
    OrderOutcomeUnknown,
    ProtocolError,
    RateLimited,
    TransientError,
    error_from_response,
    header,
)
from bot.broker.ratelimit import RateLimiter

log = logging.getLogger(__name__)

PACKAGE = "tinkoff.public.invest.api.contract.v1"


@dataclass(frozen=True, slots=True)
class Reply:
    body: dict[str, Any]
    tracking_id: str
    status: int


def ssl_context(config: BrokerConfig) -> ssl.SSLContext | None:
    """Verification against the system CAs plus `ca_bundle` (e.g. the Russian Trusted Root CA
    that signs invest-public-api.tbank.ru); None = the defaults (for REST, the context the
    bot's clients share: `bot.tls`). Never turns verification off."""
    if not config.ca_bundle:
        return None
    ctx = ssl.create_default_context()
    try:
        ctx.load_verify_locations(cafile=config.ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot load the CA bundle {config.ca_bundle!r}: {exc}") from None
    return ctx


class RestTransport:
    def __init__(
        self,
        config: BrokerConfig,
        *,
        limiter: RateLimiter,
        http_transport: httpx.AsyncBaseTransport | None = None,
        sleep: Any = None,
    ) -> None:
        if not config.token:
            raise ValueError("the broker token is empty")
        self.config = config
        self.limiter = limiter
        self._sleep = sleep or asyncio.sleep
        t = config.timeouts
        self._read_timeout = httpx.Timeout(
            connect=t.connect, read=t.read, write=t.read, pool=t.pool
        )
        self._order_timeout = httpx.Timeout(
            connect=t.connect, read=t.order, write=t.order, pool=t.pool
        )
        verify = ssl_context(config) or tls.default_context()
        self._http = httpx.AsyncClient(
            base_url=config.rest_url.rstrip("/") + "/",
            headers={
                "Authorization": f"Bearer {config.token}",
                "x-app-name": config.app_name,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            timeout=self._read_timeout,
            verify=verify,
            transport=http_transport,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
            follow_redirects=False,
        )
        self.calls = 0
        self.retries = 0
        self.rate_limited = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    def _redact(self, text: str) -> str:
        return text.replace(self.config.token, "***") if self.config.token else text

    async def call(
        self,
        service: str,
        method: str,
        body: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> Reply:
        """POST one unary method and return its JSON body, or raise a BrokerError."""
        policy = self.config.retry
        attempt = 0
        rate_limit_retries = 0
        is_order = idempotency_key is not None
        payload = json.dumps(body, separators=(",", ":")).encode()
        path = f"{PACKAGE}.{service}/{method}"
        maybe_sent = False  # an earlier attempt of this order may have reached the broker
        while True:
            attempt += 1
            await self.limiter.acquire(service, method)
            self.calls += 1
            try:
                return await self._once(service, method, path, payload, is_order)
            except RateLimited as err:
                self.rate_limited += 1
                rate_limit_retries += 1
                wait = err.reset_seconds if err.reset_seconds is not None else 1.0
                if wait > policy.max_rate_limit_wait or rate_limit_retries > policy.attempts + 2:
                    raise
                self.limiter.block(service, method, wait)
                log.warning("429 from %s; waiting %.1fs for the reset", method, wait)
                attempt -= 1  # not executed: does not use up an attempt
                continue
            except _SentButNoAnswer as lost:
                maybe_sent = True
                if attempt >= policy.attempts:
                    if is_order:
                        raise self._unknown(method, idempotency_key, lost.reason) from None
                    raise BrokerTimeout(lost.reason, method=method) from None
                log.warning("%s: %s; retrying (attempt %d)", method, lost.reason, attempt + 1)
            except TransientError as err:
                if not isinstance(err, BrokerConnectionError):
                    maybe_sent = True
                if attempt >= policy.attempts:
                    if is_order and maybe_sent:
                        raise self._unknown(method, idempotency_key, str(err)) from err
                    raise
                log.warning("%s: %s; retrying (attempt %d)", method, err, attempt + 1)
            self.retries += 1
            await self._sleep(self._backoff(attempt))

    @staticmethod
    def _unknown(method: str, key: str | None, reason: str) -> OrderOutcomeUnknown:
        return OrderOutcomeUnknown(
            f"no answer to the order request: {reason}", request_id=key or "", method=method
        )

    def _backoff(self, attempt: int) -> float:
        p = self.config.retry
        base = min(p.backoff_initial * (2 ** (attempt - 1)), p.backoff_max)
        return base * (0.5 + random.random() / 2)

    async def _once(
        self, service: str, method: str, path: str, payload: bytes, is_order: bool
    ) -> Reply:
        started = time.perf_counter()
        timeout = self._order_timeout if is_order else self._read_timeout
        try:
            resp = await self._http.post(path, content=payload, timeout=timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # nothing reached the broker
            raise BrokerConnectionError(
                self._redact(f"{type(exc).__name__}: {exc}"), method=method
            ) from None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _SentButNoAnswer(self._redact(f"{type(exc).__name__}: {exc}")) from None
        except httpx.HTTPError as exc:  # bad URL, unsupported scheme, proxy trouble...
            raise BrokerConnectionError(
                self._redact(f"{type(exc).__name__}: {exc}"), method=method
            ) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        tracking_id = header(resp.headers, "x-tracking-id") or ""
        self.limiter.observe(service, method, resp.headers)
        log.debug(
            "%s -> %s in %.1f ms (tracking id %s)",
            method,
            resp.status_code,
            elapsed_ms,
            tracking_id,
        )
        if resp.status_code != 200:
            raise error_from_response(
                http_status=resp.status_code,
                body=resp.content,
                headers=resp.headers,
                method=method,
                redact=(self.config.token,),
            )
        try:
            data = resp.json()
        except ValueError:
            raise ProtocolError(
                "the answer is not JSON", http_status=200, tracking_id=tracking_id, method=method
            ) from None
        if not isinstance(data, dict):
            raise ProtocolError(
                "the answer is not a JSON object",
                http_status=200,
                tracking_id=tracking_id,
                method=method,
            )
        return Reply(body=data, tracking_id=tracking_id, status=resp.status_code)


class _SentButNoAnswer(Exception):
    """The request may have reached the broker but no (complete) answer came back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


__all__ = ["BrokerError", "Reply", "RestTransport"]
