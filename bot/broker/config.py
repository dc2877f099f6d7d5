"""Connection settings of the broker client."""

from __future__ import annotations

from dataclasses import dataclass, field

PRODUCTION_REST_URL = "https://invest-public-api.tbank.ru/rest"
PRODUCTION_WS_URL = "wss://invest-public-api.tbank.ru/ws"
SANDBOX_REST_URL = "https://sandbox-invest-public-api.tbank.ru/rest"
SANDBOX_WS_URL = "wss://sandbox-invest-public-api.tbank.ru/ws"
SIMULATOR_REST_URL = "http://127.0.0.1:8800/rest"
SIMULATOR_WS_URL = "ws://127.0.0.1:8800/ws"
DEFAULT_APP_NAME = "trademan"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds. `order` bounds PostOrder/PostStopOrder: past it the outcome is unknown."""

    connect: float = 5.0
    read: float = 10.0
    order: float = 10.0
    pool: float = 30.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # total tries of one call (reads and idempotent orders)
    backoff_initial: float = 0.2
    backoff_max: float = 5.0
    max_rate_limit_wait: float = 120.0  # never sleep longer than this for one 429


@dataclass(frozen=True)
class BrokerConfig:
    """Everything the client needs. `token` is a secret: it is excluded from repr and never
    logged; `ca_bundle` is a path to a PEM bundle (e.g. with the Russian Trusted Root CA)."""

    token: str = field(repr=False)
    account_id: str = ""
    rest_url: str = PRODUCTION_REST_URL
    ws_url: str = PRODUCTION_WS_URL
    ca_bundle: str | None = None
    app_name: str = DEFAULT_APP_NAME
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # 1.0 = the documented limits; 0.5 = use half of them (leave room for other apps).
    rate_limit_scale: float = 1.0
    # The documented ceiling on total traffic (requests per second); None = no global bucket.
    rate_limit_global_per_second: int | None = 50
    # Multiplies every rate-limit window and reset (1.0 on a real broker; tests and benchmarks
    # against a simulator with a fast clock shrink it, e.g. 0.01: a minute lasts 0.6 s).
    rate_limit_time_scale: float = 1.0
    # Rate-limit waits this long (broker seconds) or longer are reported to the hook.
    rate_limit_report_threshold: float = 1.0
    last_prices_chunk: int = 100

    @classmethod
    def simulator(
        cls,
        token: str = "paper",  # noqa: S107
        account_id: str = "sim-account-1",
    ) -> BrokerConfig:
        return cls(
            token=token,
            account_id=account_id,
            rest_url=SIMULATOR_REST_URL,
            ws_url=SIMULATOR_WS_URL,
        )

    @classmethod
    def sandbox(cls, token: str, account_id: str = "") -> BrokerConfig:
        return cls(
            token=token, account_id=account_id, rest_url=SANDBOX_REST_URL, ws_url=SANDBOX_WS_URL
        )
