"""README.md stays true: the commands it calls available exist, the files it names exist."""

from __future__ import annotations

import re

from tests.deploy.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def commands_marked(status: str) -> list[str]:
    rows = re.findall(r"^\| (`/[^|]+) \|[^|]+\| ([a-z ]+) \|$", README, flags=re.M)
    names: list[str] = []
    for cell, mark in rows:
        if mark.strip() == status:
            names += re.findall(r"`/([a-z]+)", cell)
    return names


def routed_commands() -> set[str]:
    routed: set[str] = set()
    for router in (REPO / "bot" / "telegram" / "routers").glob("*.py"):
        for args in re.findall(r"Command\(([^)]*)\)", router.read_text(encoding="utf-8")):
            routed |= set(re.findall(r"\"([a-z]+)\"", args))
    return routed


def test_the_table_lists_every_command_of_the_spec_once() -> None:
    listed = commands_marked("available") + commands_marked("being built")
    listed += commands_marked("planned")
    expected = {
        *("help", "health", "test", "tasks", "stop", "update", "sellbuy", "sell", "buy"),
        *("dump", "spreads", "sprices", "stops", "shorts", "nuke", "cancel", "stash"),
        *("restore", "scan", "dscan", "whatif"),
        *("portfolio", "orders", "stats", "chart"),
    }
    assert sorted(listed) == sorted(expected)


def test_commands_called_available_have_a_handler() -> None:
    available = commands_marked("available")
    assert available, "no command is marked available"
    missing = set(available) - routed_commands()
    assert not missing, f"README calls {sorted(missing)} available but no router handles them"


def test_files_the_readme_names_exist() -> None:
    for path in re.findall(r"`((?:docker|nginx|requirements|scripts|\.github)/[\w./-]+)`", README):
        assert (REPO / path).exists(), f"README names {path}, which does not exist"
    for target in ("demo", "test", "lint", "format", "bench", "lock"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", (REPO / "Makefile").read_text(), flags=re.M), target
