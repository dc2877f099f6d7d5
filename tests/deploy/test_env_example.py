""".env.example documents every variable the code reads, and works as a .env unchanged."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.conftest import REPO, SECRETS, parse_env_file

EXAMPLE = REPO / ".env.example"
# The bot's variables, as agreed with bot/config.py.
BOT_VARIABLES = [
    "TRADEMAN_MODE",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_OWNER_IDS",
    "TELEGRAM_CHAT_IDS",
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
]


def _reads_environment(func: ast.expr) -> bool:
    """os.environ.get(...), os.getenv(...), or a local helper named _env*/_int*(...)."""
    if isinstance(func, ast.Attribute):
        owner = func.value
        on_environ = isinstance(owner, ast.Attribute) and owner.attr == "environ"
        return (on_environ and func.attr in {"get", "setdefault"}) or func.attr == "getenv"
    return isinstance(func, ast.Name) and func.id.startswith(("_env", "_int"))


def variables_read_by(path: Path) -> set[str]:
    """Names of the environment variables a Python file reads (first argument a literal)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        key: ast.expr | None = None
        if isinstance(node, ast.Call) and node.args and _reads_environment(node.func):
            key = node.args[0]
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "environ"
        ):
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def documented() -> dict[str, str]:
    return parse_env_file(EXAMPLE)


def test_settings_variables_are_found_by_the_scanner() -> None:
    found = variables_read_by(REPO / "trademan" / "settings.py")
    # If this fails, the scanner stopped seeing how settings.py reads the environment.
    assert {"TRADEMAN_ENV", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"} <= found


def test_every_settings_variable_is_documented() -> None:
    read = variables_read_by(REPO / "trademan" / "settings.py") - {"DJANGO_SETTINGS_MODULE"}
    commented = EXAMPLE.read_text()
    missing = {name for name in read if name not in documented() and f"# {name}=" not in commented}
    assert not missing, f"not in .env.example: {sorted(missing)}"


@pytest.mark.parametrize(
    "path",
    [
        "docker/gunicorn.conf.py",
        "docker/wait_for_db.py",
        "docker/healthcheck.py",
        "docker/base-entrypoint.sh",
    ],
)
def test_every_container_variable_is_documented(path: str) -> None:
    file = REPO / path
    if file.suffix == ".py":
        read = variables_read_by(file) - {"DJANGO_SETTINGS_MODULE"}
    else:
        read = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", file.read_text())) - {"PYTHON"}
    assert read, f"found no variables in {path}"
    assert read - set(documented()) == set()


def test_every_bot_variable_is_documented() -> None:
    assert set(BOT_VARIABLES) - set(documented()) == set()


def test_bot_config_fields_are_documented() -> None:
    config = pytest.importorskip("bot.config", reason="bot/config.py not built yet")
    fields = {name.upper() for name in config.BotConfig.model_fields}
    assert fields - set(documented()) == set()


def test_file_is_plain_key_value_lines_without_inline_comments() -> None:
    keys: list[str] = []
    for number, raw in enumerate(EXAMPLE.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*=[^\s#'\"]*", line), f"line {number}: {raw!r}"
        keys.append(line.partition("=")[0])
    assert len(keys) == len(set(keys)), "a variable is defined twice"


@pytest.mark.parametrize("secret", [*SECRETS, "TINVEST_TOKEN", "DATABASE_URL"])
def test_secrets_are_empty_in_the_example(secret: str) -> None:
    assert documented()[secret] == ""


def test_example_as_dotenv_starts_the_base_in_development(tmp_path: Path) -> None:
    """A fresh clone that copies .env.example to .env gets a working development Base."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "trademan.settings",
        **documented(),
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'], settings.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_example_as_dotenv_configures_the_bot_in_paper_mode(tmp_path: Path) -> None:
    pytest.importorskip("bot.config", reason="bot/config.py not built yet")
    shutil.copy(EXAMPLE, tmp_path / ".env")
    code = (
        "from bot.config import load_config\n"
        "c = load_config('.env')\n"
        "print(c.trademan_mode, c.rest_url, c.base_url, c.bot_language)\n"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "paper",
        "http://127.0.0.1:8800/rest",
        "http://127.0.0.1:8000/api/v1/",
        "ru",
    ]


def test_management_commands_and_scripts_variables_are_documented() -> None:
    read: set[str] = set()
    for command in (REPO / "trademan").glob("**/management/commands/*.py"):
        read |= variables_read_by(command)
    for script in (REPO / "scripts").glob("*.py"):
        read |= variables_read_by(script)
    text = EXAMPLE.read_text()
    missing = {name for name in read if name not in documented() and f"# {name}=" not in text}
    assert not missing, f"not in .env.example: {sorted(missing)}"


def test_readme_names_every_variable_of_the_example() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = set(documented()) | set(re.findall(r"^# ([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), re.M))
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"README.md does not mention {missing}"
