"""docker-compose.yml is consistent with the repository (no Docker engine needed)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import COMPOSE_VAR, REPO, SECRETS, parse_env_file

COMPOSE_TEXT = (REPO / "docker-compose.yml").read_text(encoding="utf-8")


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def test_the_expected_services_exist(compose: dict[str, Any]) -> None:
    assert set(services(compose)) == {"db", "base", "nginx", "bot", "simulator"}


@pytest.mark.parametrize("name", ["base", "bot", "simulator"])
def test_build_context_and_dockerfile_exist(compose: dict[str, Any], name: str) -> None:
    build = services(compose)[name]["build"]
    context = (REPO / build["context"]).resolve()
    assert context == REPO, f"{name}: the images are built from the repository root"
    dockerfile = context / build["dockerfile"]
    assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"
    assert dockerfile.name == f"{name}.Dockerfile"


def test_no_service_takes_the_whole_env_file(compose: dict[str, Any]) -> None:
    """Compose reads .env for ${...}; each service lists only the variables it needs, so no
    container holds another part's secrets (env_file would pass all of .env)."""
    for name, service in services(compose).items():
        assert "env_file" not in service, f"{name}: list its variables in `environment`"
    assert (REPO / ".env.example").is_file()
    assert ".env" in (REPO / ".gitignore").read_text().split(), ".env must stay out of git"


def test_bot_gets_every_variable_its_config_reads_and_no_foreign_secret(
    compose: dict[str, Any],
) -> None:
    env = services(compose)["bot"]["environment"]
    assert not {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "DATABASE_URL"} & set(env)
    config = pytest.importorskip("bot.config", reason="bot/config.py not built yet")
    fields = {name.upper() for name in config.BotConfig.model_fields}
    assert fields - set(env) == set(), "bot/config.py reads variables compose does not pass"


@pytest.mark.parametrize("secret", SECRETS)
def test_secrets_have_no_default_and_a_message(secret: str) -> None:
    uses = [m for m in COMPOSE_VAR.finditer(COMPOSE_TEXT) if m.group(1) == secret]
    assert uses, f"{secret} is not used in docker-compose.yml"
    for use in uses:
        assert use.group(2) == ":?", f"{use.group(0)}: a secret must be ${{{secret}:?message}}"
        assert use.group(3).strip(), f"{use.group(0)}: say what to set"


def test_only_nginx_publishes_ports(compose: dict[str, Any]) -> None:
    publishing = {name for name, service in services(compose).items() if service.get("ports")}
    assert publishing == {"nginx"}
    assert all("network_mode" not in s for s in services(compose).values())


def test_simulator_starts_only_with_the_paper_profile(compose: dict[str, Any]) -> None:
    profiled = {name: s["profiles"] for name, s in services(compose).items() if "profiles" in s}
    assert profiled == {"simulator": ["paper"]}


def test_start_order_waits_for_health(compose: dict[str, Any]) -> None:
    svc = services(compose)
    assert svc["base"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert svc["nginx"]["depends_on"]["base"]["condition"] == "service_healthy"
    assert "base" in svc["bot"]["depends_on"]
    for name in ("db", "base", "nginx"):
        assert svc[name]["healthcheck"]["test"], f"{name} has no healthcheck"


def test_base_gets_production_settings_and_no_broker_or_telegram_secret(
    compose: dict[str, Any],
) -> None:
    env = services(compose)["base"]["environment"]
    assert env["TRADEMAN_ENV"] == "production"
    assert not [k for k in env if k.startswith(("TINVEST_", "TELEGRAM_", "BASE_TOKEN"))]
    assert "env_file" not in services(compose)["base"]
    # The database URL names the db service and the same credentials as the db container.
    db_env = services(compose)["db"]["environment"]
    url = env["DATABASE_URL"]
    assert url.startswith("postgres://") and "@db:5432/" in url
    for var in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert "${" + var in url and "${" + var in db_env[var]
    # The bot reaches the Base by service name, so "base" must be an allowed host.
    assert env["DJANGO_ALLOWED_HOSTS"].split(",")[0] == "base"
    assert services(compose)["bot"]["environment"]["BASE_URL"] == "http://base:8000/api/v1/"


def test_base_healthcheck_matches_the_image(compose: dict[str, Any]) -> None:
    test = services(compose)["base"]["healthcheck"]["test"]
    dockerfile = (REPO / "docker" / "base.Dockerfile").read_text()
    assert test[0] == "CMD"
    assert " ".join(f'"{part}"' for part in test[1:]).replace(" ", ", ") in dockerfile


def test_state_survives_in_named_volumes(compose: dict[str, Any]) -> None:
    svc = services(compose)
    assert "pgdata:/var/lib/postgresql/data" in svc["db"]["volumes"]
    assert any(v.startswith("botstate:") for v in svc["bot"]["volumes"])
    assert set(compose["volumes"]) == {"pgdata", "botstate"}


def test_nginx_mounts_the_repository_config(compose: dict[str, Any]) -> None:
    for volume in services(compose)["nginx"]["volumes"]:
        source = volume.split(":")[0]
        assert (REPO / source).is_file(), f"{source} is missing"


def test_every_compose_variable_is_documented_in_env_example() -> None:
    documented = set(parse_env_file(REPO / ".env.example"))
    used = {m.group(1) for m in COMPOSE_VAR.finditer(COMPOSE_TEXT)}
    assert used - documented == set()


def _module_help(package: str, *args: str) -> str:
    if not (REPO / package / "__main__.py").is_file():
        pytest.skip(f"{package}/__main__.py does not exist yet (another helper builds it)")
    result = subprocess.run(
        [sys.executable, "-m", package, *args, "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_simulator_accepts_the_options_compose_and_the_image_pass(compose: dict[str, Any]) -> None:
    command = services(compose)["simulator"]["command"]
    dockerfile = (REPO / "docker" / "simulator.Dockerfile").read_text()
    help_text = _module_help("simulator")
    options = [part for part in command if part.startswith("--")]
    assert options == ["--host", "--port", "--seed"]
    for option in options:
        assert re.search(rf"{option}\b", help_text), f"python -m simulator has no {option}"
        assert f'"{option}"' in dockerfile


def test_bot_has_the_run_command_the_image_starts() -> None:
    dockerfile = (REPO / "docker" / "bot.Dockerfile").read_text()
    assert 'ENTRYPOINT ["python", "-m", "bot"]' in dockerfile
    assert 'CMD ["run"]' in dockerfile
    help_text = _module_help("bot")
    assert re.search(r"\brun\b", help_text) and re.search(r"\bconsole\b", help_text), help_text


def compose_command() -> list[str] | None:
    """`docker compose` (v2), else the older `docker-compose` (v1), else None."""
    for command in (["docker", "compose"], ["docker-compose"]):
        try:
            probe = subprocess.run([*command, "version"], capture_output=True, text=True)
        except FileNotFoundError:
            continue
        if probe.returncode == 0:
            return command
    return None


def test_compose_file_passes_docker_compose_config(tmp_path: Path) -> None:
    """`docker compose config` is the authority on the file's schema and interpolation."""
    command = compose_command()
    if command is None:
        pytest.skip("neither docker compose nor docker-compose is installed: structure only")
    compose_file = tmp_path / "docker-compose.yml"
    text = COMPOSE_TEXT
    if command == ["docker-compose"]:  # v1 predates the top-level project name
        text = re.sub(r"^name: .*\n", "", text, flags=re.M)
    compose_file.write_text(text)
    values = parse_env_file(REPO / ".env.example")
    values.update({s: "x" * 40 for s in SECRETS}, DJANGO_ALLOWED_HOSTS="trademan.local")
    values.update(TELEGRAM_OWNER_IDS="1")
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    base = [*command, "--project-directory", str(tmp_path), "-f", str(compose_file)]
    result = subprocess.run(
        [*base, "--profile", "paper", "config"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(result.stdout)
    assert set(rendered["services"]) == {"db", "base", "nginx", "bot", "simulator"}
    assert rendered["services"]["base"]["environment"]["DJANGO_SECRET_KEY"] == "x" * 40
    # Without a secret, compose refuses and says which one.
    (tmp_path / ".env").write_text(
        "".join(f"{k}={v}\n" for k, v in values.items() if k != "POSTGRES_PASSWORD")
    )
    refused = subprocess.run([*base, "config"], cwd=tmp_path, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "POSTGRES_PASSWORD" in refused.stderr


class MissingVariable(Exception):
    pass


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?message} and $$ (enough for this file)."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        current = env.get(name, "")
        if op == ":?" and not current:
            raise MissingVariable(name)
        if op == ":-" and not current:
            return interpolate(arg, env)
        return current

    return COMPOSE_VAR.sub(replace, value).replace("$$", "$")


def service_env(compose: dict[str, Any], name: str, env: dict[str, str]) -> dict[str, str]:
    raw = services(compose)[name]["environment"]
    return {key: interpolate(str(value), env) for key, value in raw.items()}


def filled_example() -> dict[str, str]:
    values = parse_env_file(REPO / ".env.example")
    values.update({secret: "x" * 8 + "-not-a-real-secret-" + "y" * 16 for secret in SECRETS})
    values.update(DJANGO_ALLOWED_HOSTS="raspberrypi.local", TELEGRAM_OWNER_IDS="123456")
    return values


def test_example_without_secrets_is_refused_naming_each_one(compose: dict[str, Any]) -> None:
    values = parse_env_file(REPO / ".env.example")
    refused = set()
    for name in ("db", "base", "bot"):
        raw = services(compose)[name]["environment"]
        for value in raw.values():
            try:
                interpolate(str(value), values)
            except MissingVariable as missing:
                refused.add(str(missing))
    assert refused == {*SECRETS, "DJANGO_ALLOWED_HOSTS", "TELEGRAM_OWNER_IDS"}


def test_the_base_accepts_the_environment_compose_gives_it(compose: dict[str, Any]) -> None:
    env = service_env(compose, "base", filled_example())
    env.update(PATH="/usr/bin:/bin", PYTHONPATH=str(REPO))
    # As in the image: no .env there, so a developer's .env must not count here either.
    env.update(DJANGO_SETTINGS_MODULE="trademan.settings", DJANGO_DEBUG="")
    env.update(DJANGO_STATIC_ROOT="/app/static")
    code = (
        "import django; django.setup(); from django.conf import settings as s\n"
        "db = s.DATABASES['default']\n"
        "hosts = ','.join(s.ALLOWED_HOSTS)\n"
        "print(s.DEBUG, db['ENGINE'], db['HOST'], db['NAME'], db['USER'], hosts)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "db",
        "trademan",
        "trademan",
        "base,raspberrypi.local",
    ]


@pytest.mark.parametrize(
    ("mode", "rest_url"),
    [("paper", "http://simulator:8800/rest"), ("live", "https://invest-public-api.tbank.ru/rest")],
)
def test_the_bot_accepts_the_environment_compose_gives_it(
    compose: dict[str, Any], tmp_path: Path, mode: str, rest_url: str
) -> None:
    pytest.importorskip("bot.config", reason="bot/config.py not built yet")
    values = filled_example()
    values["TRADEMAN_MODE"] = mode
    if mode == "paper":  # as the README says for paper trading under compose
        values.update(
            TINVEST_REST_URL="http://simulator:8800/rest", TINVEST_WS_URL="ws://simulator:8800/ws"
        )
    else:
        values.update(TINVEST_TOKEN="t-live-token", TINVEST_ACCOUNT_ID="2000000001")
    env = service_env(compose, "bot", values)
    env.update(PATH="/usr/bin:/bin", PYTHONPATH=str(REPO))
    code = (
        "from bot.config import load_config\n"
        "c = load_config(None)\n"
        "c.check_broker(); c.check_telegram()\n"
        "print(c.trademan_mode, c.rest_url, c.base_url, c.bot_state_dir)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [mode, rest_url, "http://base:8000/api/v1/", "/app/var/bot"]


def test_the_bot_has_time_to_cancel_its_orders_on_stop(compose: dict[str, Any]) -> None:
    svc = services(compose)
    assert svc["bot"]["stop_grace_period"] == "60s"
    assert not svc["bot"].get("init"), "the bot's health check expects the bot as PID 1"
