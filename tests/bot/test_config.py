"""Configuration rules: explicit paper/live, refusals with a clear message, secrets hidden."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import (
    LIVE_REST_URL,
    LIVE_WS_URL,
    PAPER_REST_URL,
    PAPER_WS_URL,
    ConfigError,
    load_config,
)

ROOT = Path(__file__).resolve().parents[2]
VARIABLES = [
    "TRADEMAN_MODE",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_OWNER_IDS",
    "TELEGRAM_API_URL",
    "BOT_LANGUAGE",
    "BASE_URL",
    "BASE_TOKEN",
    "TINVEST_TOKEN",
    "TINVEST_ACCOUNT_ID",
    "TINVEST_REST_URL",
    "TINVEST_WS_URL",
    "TINVEST_CA_BUNDLE",
    "TINVEST_APP_NAME",
    "LOG_LEVEL",
    "BOT_STATE_DIR",
    "TAPE_WHATIF_MEMORY_MB",
    "TAPE_WHATIF_TIMEOUT",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_paper_is_the_default_and_points_at_the_local_simulator() -> None:
    config = load_config(None)
    assert config.trademan_mode == "paper"
    assert (config.rest_url, config.ws_url) == (PAPER_REST_URL, PAPER_WS_URL)
    assert config.bot_language == "ru"
    assert config.base_url == "http://127.0.0.1:8000/api/v1/"
    config.check_broker()  # paper needs no broker secrets


def test_live_defaults_to_the_real_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEMAN_MODE", "live")
    monkeypatch.setenv("TINVEST_TOKEN", "t.secret")
    monkeypatch.setenv("TINVEST_ACCOUNT_ID", "2000")
    config = load_config(None)
    assert (config.rest_url, config.ws_url) == (LIVE_REST_URL, LIVE_WS_URL)
    config.check_broker()


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, ["TINVEST_TOKEN", "TINVEST_ACCOUNT_ID"]),
        ({"TINVEST_TOKEN": "t.x"}, ["TINVEST_ACCOUNT_ID"]),
        ({"TINVEST_ACCOUNT_ID": "2000", "TINVEST_TOKEN": " "}, ["TINVEST_TOKEN"]),
    ],
)
def test_live_refuses_without_broker_token_and_account(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: list[str]
) -> None:
    monkeypatch.setenv("TRADEMAN_MODE", "live")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = load_config(None)
    with pytest.raises(ConfigError) as caught:
        config.check_broker()
    for name in missing:
        assert name in str(caught.value)


def test_run_needs_telegram_token_and_owners(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN and TELEGRAM_OWNER_IDS"):
        load_config(None).check_telegram()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    with pytest.raises(ConfigError, match="TELEGRAM_OWNER_IDS"):
        load_config(None).check_telegram()
    monkeypatch.setenv("TELEGRAM_OWNER_IDS", " 11, 22 ,")
    config = load_config(None)
    config.check_telegram()
    assert config.telegram_owner_ids == [11, 22]
    assert config.console_owner_id == 11
    assert config.telegram_chat_ids == []


def test_extra_chats_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_CHAT_IDS", "-1001234567890, -42")
    assert load_config(None).telegram_chat_ids == [-1001234567890, -42]


def test_the_whatif_workers_limits_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = load_config(None).tape_options()
    assert (options.whatif_memory_mb, options.whatif_timeout) == (768, 600.0)  # a Pi's defaults
    monkeypatch.setenv("TAPE_WHATIF_MEMORY_MB", "300")
    monkeypatch.setenv("TAPE_WHATIF_TIMEOUT", "120")
    options = load_config(None).tape_options()
    assert (options.whatif_memory_mb, options.whatif_timeout) == (300, 120.0)
    monkeypatch.setenv("TAPE_WHATIF_MEMORY_MB", "10")
    with pytest.raises(ConfigError, match="TAPE_WHATIF_MEMORY_MB"):
        load_config(None)


def test_malformed_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_OWNER_IDS", "11,bob")
    with pytest.raises(ConfigError, match="TELEGRAM_OWNER_IDS"):
        load_config(None)
    monkeypatch.setenv("TELEGRAM_OWNER_IDS", "11")
    monkeypatch.setenv("TRADEMAN_MODE", "demo")
    with pytest.raises(ConfigError, match="TRADEMAN_MODE"):
        load_config(None)


def test_env_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("BOT_LANGUAGE=en\nTELEGRAM_OWNER_IDS=5\nBASE_URL=http://b:1/api\n")
    config = load_config(env_file)
    assert config.bot_language == "en"
    assert config.telegram_owner_ids == [5]
    assert config.base_url == "http://b:1/api/"


def test_secrets_never_appear_in_repr_describe_or_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = {
        "TELEGRAM_BOT_TOKEN": "999:tg-SECRET-token",
        "BASE_TOKEN": "base-SECRET-key",
        "TINVEST_TOKEN": "t.broker-SECRET",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TELEGRAM_OWNER_IDS", "1")
    config = load_config(None)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("config %s | %r | %s", config.describe(), config, config)
    for value in secrets.values():
        assert value not in caplog.text
    assert "telegram_token=set" in config.describe()
    assert config.tinvest_token is not None
    assert config.tinvest_token.get_secret_value() == secrets["TINVEST_TOKEN"]


def run_bot(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot` in an empty directory (no .env), with only `env` configured."""
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_live_without_secrets_exits_2_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    result = run_bot(["console", "--exit-on-eof"], {"TRADEMAN_MODE": "live"}, tmp_path)
    assert result.returncode == 2, result
    assert "TINVEST_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_run_without_telegram_token_exits_2(tmp_path: Path) -> None:
    result = run_bot(["run"], {"TRADEMAN_MODE": "paper"}, tmp_path)
    assert result.returncode == 2, result
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
