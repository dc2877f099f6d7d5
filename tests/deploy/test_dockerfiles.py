"""Each image installs only its own requirements and copies only its own package."""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOYABLES, REPO

# Top-level modules a deployable must not need: what its requirements file does not install.
FOREIGN_MODULES = {
    "base": ["aiogram", "aiohttp", "httpx", "pydantic", "pydantic_settings", "bot", "simulator"],
    "bot": ["django", "rest_framework", "psycopg", "gunicorn", "trademan", "simulator"],
    "simulator": ["django", "aiogram", "httpx", "pydantic", "psycopg", "trademan", "bot"],
}


@dataclass
class Instruction:
    keyword: str
    args: str
    stage: int


def parse(path: Path) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped; stage = FROM index."""
    joined: list[str] = []
    current = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not current):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        joined.append(current + line)
        current = ""
    instructions = []
    stage = -1
    for line in joined:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, args.strip(), stage))
    return instructions


def dockerfile(name: str) -> Path:
    return REPO / "docker" / f"{name}.Dockerfile"


def copy_sources(instructions: list[Instruction]) -> list[str]:
    """Sources of COPY instructions that take files from the build context."""
    sources: list[str] = []
    for ins in instructions:
        if ins.keyword != "COPY":
            continue
        parts = shlex.split(ins.args)
        if any(part.startswith("--from") for part in parts):
            continue
        sources.extend(part for part in parts[:-1] if not part.startswith("--"))
    return sources


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_built_from_python_311_slim(name: str) -> None:
    instructions = parse(dockerfile(name))
    arg = next(i for i in instructions if i.keyword == "ARG" and i.args.startswith("PYTHON_IMAGE"))
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11-slim(-\w+)?", arg.args), arg.args
    froms = [i.args for i in instructions if i.keyword == "FROM"]
    assert froms and all(f.startswith("${PYTHON_IMAGE}") for f in froms), froms


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_installs_only_its_own_requirements_with_hashes(name: str) -> None:
    instructions = parse(dockerfile(name))
    requirement_files = set(re.findall(r"requirements/(\w+)\.txt", dockerfile(name).read_text()))
    assert requirement_files == {name}
    installs = [i.args for i in instructions if i.keyword == "RUN" and "pip install" in i.args]
    assert installs, "no pip install"
    for command in installs:
        assert "--require-hashes" in command, command
        assert "--no-deps" in command, command  # nothing outside the hashed file
        assert re.search(rf"-r \"?(/tmp/{name}(-armv7)?\.txt|\$req)\"?", command), command


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_copies_only_its_own_package(name: str) -> None:
    package = DEPLOYABLES[name]
    sources = copy_sources(parse(dockerfile(name)))
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such path"
        top = source.split("/")[0]
        own_requirements = source == f"requirements/{name}.txt"
        allowed = {package, "docker"} | ({"requirements"} if own_requirements else set())
        if name == "bot":  # /whatif's worker process imports the simulator (the bot never does)
            allowed.add("simulator")
        assert top in allowed, f"{name}.Dockerfile copies {source}"
    assert f"{package}/" in sources, f"{name}.Dockerfile does not copy {package}/"


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_requirements_file_has_no_foreign_framework(name: str) -> None:
    text = (REPO / "requirements" / f"{name}.txt").read_text()
    pinned = set(re.findall(r"^([a-z0-9][a-z0-9._-]*)==", text, flags=re.M))
    foreign = {"base": {"aiogram"}, "bot": {"django"}, "simulator": {"aiogram", "django"}}[name]
    assert not pinned & foreign, f"requirements/{name}.txt pins {pinned & foreign}"
    for line in text.splitlines():
        if "==" in line and not line.startswith(" "):
            assert line.rstrip().endswith("\\"), f"unhashed requirement: {line}"


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_runs_as_a_non_root_user_with_a_healthcheck(name: str) -> None:
    instructions = parse(dockerfile(name))
    final = max(i.stage for i in instructions)
    users = [i.args for i in instructions if i.keyword == "USER" and i.stage == final]
    assert users and users[-1] not in {"root", "0"}, users
    last_user = max(n for n, i in enumerate(instructions) if i.keyword == "USER")
    assert all(i.keyword not in {"COPY", "ADD"} for i in instructions[last_user:])
    assert any(i.keyword == "HEALTHCHECK" and i.stage == final for i in instructions)


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_dockerignore_lets_through_exactly_what_is_copied(name: str) -> None:
    ignore = REPO / "docker" / f"{name}.Dockerfile.dockerignore"
    patterns = [
        line.strip()
        for line in ignore.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def included(path: str) -> bool:
        keep = True
        for pattern in patterns:
            negate = pattern.startswith("!")
            pat = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, pat) or path.startswith(pat + "/"):
                keep = negate
        return keep

    for source in copy_sources(parse(dockerfile(name))):
        assert included(source.rstrip("/")), f"{source} is excluded from the build context"
    for secret in (".env", ".venv/bin/python", ".git/config", "var/db.sqlite3"):
        assert not included(secret), f"{secret} would be sent to the Docker build"


def test_base_image_collects_static_files_and_runs_the_entry_script() -> None:
    instructions = parse(dockerfile("base"))
    assert any(i.keyword == "RUN" and "collectstatic --noinput" in i.args for i in instructions)
    entry = next(i.args for i in instructions if i.keyword == "ENTRYPOINT")
    assert entry == '["/app/docker/base-entrypoint.sh"]'
    script = (REPO / "docker" / "base-entrypoint.sh").read_text()
    gunicorn = 'exec "$PYTHON" -m gunicorn --config docker/gunicorn.conf.py'
    assert f"{gunicorn} trademan.wsgi:application" in script
    mode = subprocess.run(
        ["git", "ls-files", "-s", "docker/base-entrypoint.sh"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout.split()
    if mode:  # committed: the executable bit travels with the repository
        assert mode[0] == "100755", mode


def test_armv7_build_drops_only_psycopg_binary_and_installs_libpq() -> None:
    text = dockerfile("base").read_text()
    assert 'if [ "$TARGETARCH" = "arm" ]' in text
    assert "drop_requirement.py /tmp/base.txt /tmp/base-armv7.txt psycopg-binary" in text
    assert "libpq5" in text


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_the_image_layout_runs_with_only_its_own_package(name: str, tmp_path: Path) -> None:
    """Copy what the image copies into an empty /app-like folder and start the entry module
    there, with every module of the other deployables blocked (as absent from the image)."""
    package = DEPLOYABLES[name]
    if name != "base" and not (REPO / package / "__main__.py").is_file():
        pytest.skip(f"{package}/__main__.py does not exist yet (another helper builds it)")
    app = tmp_path / "app"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for source in copy_sources(parse(dockerfile(name))):
        if source.endswith("/"):
            shutil.copytree(REPO / source, app / source, ignore=ignore, dirs_exist_ok=True)
    if name == "base":
        run = (
            "sys.argv = ['manage.py', 'check']\n"
            "runpy.run_path('trademan/manage.py', run_name='__main__')"
        )
    else:
        run = (
            f"sys.argv = ['{package}', '--help']\n"
            f"runpy.run_module('{package}', run_name='__main__')"
        )
    code = (
        "import runpy, sys\n"
        f"for name in {FOREIGN_MODULES[name]!r}:\n"
        "    sys.modules[name] = None\n"
        f"{run}\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TRADEMAN_ENV": "development",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=app, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"{name} image layout fails:\n{result.stdout}{result.stderr}"
