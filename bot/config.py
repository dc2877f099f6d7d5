"""Bot configuration from the environment (and an optional `.env` file).

Two modes, always explicit: `paper` (default) trades against the simulator on loopback, `live`
against the T-Invest API and refuses to start without a broker token and an account id. Secrets
are `SecretStr`: their `repr` and `str` never show the value, and `describe()` (what the bot
logs at start) names only whether each secret is set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.engine.tape.policy import TapeOptions

Mode = Literal["paper", "live"]
Language = Literal["ru", "en"]

PAPER_REST_URL = "http://127.0.0.1:8800/rest"
PAPER_WS_URL = "ws://127.0.0.1:8800/ws"
LIVE_REST_URL = "https://invest-public-api.tbank.ru/rest"
LIVE_WS_URL = "wss://invest-public-api.tbank.ru/ws"
PAPER_TOKEN = "paper"  # the simulator accepts any non-empty bearer token
CONSOLE_OWNER_ID = 1  # the console speaks as the first owner, or as this id when none is set


class ConfigError(Exception):
    """The configuration cannot run the requested command; the message says what to set."""


class BotConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    trademan_mode: Mode = "paper"
    telegram_bot_token: SecretStr | None = None
    telegram_owner_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # chats besides the owners' private chats where the owners may drive the bot (group ids)
    telegram_chat_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    telegram_api_url: str | None = None
    bot_language: Language = "ru"
    base_url: str = "http://127.0.0.1:8000/api/v1/"
    base_token: SecretStr | None = None
    tinvest_token: SecretStr | None = None
    tinvest_account_id: str | None = None
    tinvest_rest_url: str | None = None
    tinvest_ws_url: str | None = None
    tinvest_ca_bundle: Path | None = None
    tinvest_app_name: str = "trademan"
    log_level: str = "INFO"
    bot_state_dir: Path = Path("var/bot")
    # the market recorder (bot/engine/tape): on/off, book levels kept, size cap, retention
    tape_enabled: bool = True
    tape_depth: int = 10
    tape_max_mb: int = Field(default=500, ge=1)
    tape_retention_days: int = Field(default=30, ge=1)
    # /whatif's worker process: its memory cap (MB) and how long it may take (seconds)
    tape_whatif_memory_mb: int = Field(default=768, ge=64)
    tape_whatif_timeout: int = Field(default=600, ge=10)
    # the dashboard feed: seconds between portfolio snapshots sent to the Base (0 = never)
    views_snapshot_seconds: float = Field(default=60.0, ge=0)

    @field_validator("tape_depth")
    @classmethod
    def _book_depth(cls, value: int) -> int:
        if value not in (1, 10, 20, 30, 40, 50):
            raise ValueError("the order-book depth must be 1, 10, 20, 30, 40 or 50")
        return value

    @field_validator("telegram_owner_ids", "telegram_chat_ids", mode="before")
    @classmethod
    def _split_owner_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            return [int(part) for part in parts if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator(
        "telegram_bot_token",
        "base_token",
        "tinvest_token",
        "tinvest_account_id",
        "telegram_api_url",
        "tinvest_rest_url",
        "tinvest_ws_url",
        "tinvest_ca_bundle",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("base_url")
    @classmethod
    def _slash_base_url(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _mode_defaults(self) -> BotConfig:
        live = self.trademan_mode == "live"
        if self.tinvest_rest_url is None:
            self.tinvest_rest_url = LIVE_REST_URL if live else PAPER_REST_URL
        if self.tinvest_ws_url is None:
            self.tinvest_ws_url = LIVE_WS_URL if live else PAPER_WS_URL
        if not live and self.tinvest_token is None:
            self.tinvest_token = SecretStr(PAPER_TOKEN)
        return self

    # -- what each command needs -----------------------------------------------------------

    @property
    def rest_url(self) -> str:
        assert self.tinvest_rest_url is not None  # set by _mode_defaults
        return self.tinvest_rest_url

    @property
    def ws_url(self) -> str:
        assert self.tinvest_ws_url is not None  # set by _mode_defaults
        return self.tinvest_ws_url

    @property
    def console_owner_id(self) -> int:
        return self.telegram_owner_ids[0] if self.telegram_owner_ids else CONSOLE_OWNER_ID

    def check_broker(self) -> None:
        """Live mode needs the owner's broker token and account; paper mode has defaults."""
        if self.trademan_mode != "live":
            return
        missing = [
            name
            for name, value in (
                ("TINVEST_TOKEN", self.tinvest_token),
                ("TINVEST_ACCOUNT_ID", self.tinvest_account_id),
            )
            if value is None
        ]
        if missing:
            raise ConfigError(
                "live mode needs " + " and ".join(missing) + " (or set TRADEMAN_MODE=paper to "
                "trade against the simulator)"
            )

    def check_telegram(self) -> None:
        """`run` talks to Telegram: it needs the bot token and at least one owner id."""
        missing = []
        if self.telegram_bot_token is None:
            missing.append("TELEGRAM_BOT_TOKEN")
        if not self.telegram_owner_ids:
            missing.append("TELEGRAM_OWNER_IDS")
        if missing:
            raise ConfigError(
                "`run` needs " + " and ".join(missing) + " (use `python -m bot console` to try "
                "the bot in the terminal without Telegram)"
            )

    def describe(self) -> str:
        """One line for the start-up log: settings, with secrets shown only as set/unset."""

        def secret(value: SecretStr | None) -> str:
            return "set" if value is not None else "unset"

        return (
            f"mode={self.trademan_mode} language={self.bot_language} "
            f"owners={','.join(str(i) for i in self.telegram_owner_ids) or '-'} "
            f"telegram_token={secret(self.telegram_bot_token)} "
            f"telegram_api={self.telegram_api_url or 'default'} base_url={self.base_url} "
            f"base_token={secret(self.base_token)} tinvest_token={secret(self.tinvest_token)} "
            f"account={self.tinvest_account_id or '-'} rest={self.rest_url} ws={self.ws_url} "
            f"state_dir={self.bot_state_dir} tape={'on' if self.tape_enabled else 'off'}"
        )

    def tape_options(self) -> TapeOptions:
        return TapeOptions(
            enabled=self.tape_enabled,
            depth=self.tape_depth,
            max_bytes=self.tape_max_mb * 1024 * 1024,
            retention_days=self.tape_retention_days,
            whatif_memory_mb=self.tape_whatif_memory_mb,
            whatif_timeout=float(self.tape_whatif_timeout),
        )


def load_config(env_file: str | Path | None = ".env") -> BotConfig:
    """Read the configuration; a malformed value becomes a ConfigError naming the variable."""
    try:
        return BotConfig(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper() or "configuration"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
