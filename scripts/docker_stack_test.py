"""Run the compose stack in paper mode in a real Docker engine and check it as a user would.

Called by scripts/docker-test.sh (`make docker-test`) once the images exist; run from the
repository root with the project's venv (it uses tests/support/fake_bot_api.py):

    .venv/bin/python scripts/docker_stack_test.py

It follows the README's deployment steps with docker-compose.yml as it is (plus the overlay
scripts/docker-compose.test.yml, which only names the images built for the test):
`run --rm base ... createsuperuser` and `bot_token`, then `--profile paper up -d`. The bot polls a
fake Telegram Bot API served by this process on the compose network's gateway address. Then:
every health check turns healthy; through nginx the admin login page answers and an admin logs
in, static files and the REST API answer; the bot answers /health; /update and /sell in paper
mode reach the Base (the simulator fills the order); every container is recreated and the data
of the PostgreSQL and bot-state volumes is still there. Prints the figures (cold start to
all-healthy, the bot's RSS) and writes them to var/docker-test/figures.json.

Options: --project (compose project name), --image-prefix, --postgres-image, --nginx-image
(the images to run), --keep (leave the stack running at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from aiohttp import web  # noqa: E402

from tests.support.fake_bot_api import FakeBotApi  # noqa: E402

PROJECT = "trademan-dt"
OWNER = 777001
TELEGRAM_TOKEN = "123456:docker-test-token"
TICKER = "SBER"
SERVICES = ("db", "base", "nginx", "bot", "simulator")
HEALTH_TIMEOUT = 420.0  # seconds for every health check to turn healthy
FIGURES = REPO / "var" / "docker-test" / "figures.json"


def say(message: str) -> None:
    print(f"docker-test: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Compose:
    """docker compose (v2 plugin) or docker-compose (v1, Debian's 1.29) on the real file."""

    def __init__(self, workdir: Path, env_file: Path) -> None:
        self.env_file = env_file
        compose_file = REPO / "docker-compose.yml"
        if self._works(["docker", "compose", "version"]):
            self.command = ["docker", "compose"]
        elif shutil.which("docker-compose"):
            self.command = ["docker-compose"]
            # v1 predates the top-level `name:` (the project name is given with -p anyway).
            text = compose_file.read_text(encoding="utf-8")
            compose_file = workdir / "docker-compose.yml"
            compose_file.write_text(re.sub(r"^name: .*\n", "", text, flags=re.M))
        else:
            raise SystemExit("docker-test: neither `docker compose` nor `docker-compose` found")
        self.files = [compose_file, REPO / "scripts" / "docker-compose.test.yml"]

    @staticmethod
    def _works(command: list[str]) -> bool:
        try:
            result = subprocess.run(command, capture_output=True, check=False)  # noqa: S603
            return result.returncode == 0
        except OSError:
            return False

    def args(self, *args: str) -> list[str]:
        files = [a for f in self.files for a in ("-f", str(f))]
        return [
            *self.command,
            "-p",
            PROJECT,
            "--project-directory",
            str(REPO),
            "--env-file",
            str(self.env_file),
            *files,
            "--profile",
            "paper",
            *args,
        ]

    def run(self, *args: str, check: bool = True, quiet: bool = False) -> str:
        result = subprocess.run(  # noqa: S603
            self.args(*args), cwd=REPO, capture_output=True, text=True, check=False
        )
        if not quiet:
            for line in (result.stderr or "").splitlines():
                if line.strip():
                    print(f"  | {line}", flush=True)
        if check and result.returncode != 0:
            raise SystemExit(
                f"docker-test: `compose {' '.join(args)}` failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )
        return result.stdout

    async def arun(self, *args: str, check: bool = True) -> str:
        return await asyncio.to_thread(self.run, *args, check=check)

    def container(self, service: str) -> str:
        ids = self.run("ps", "-q", service, quiet=True).split()
        if not ids:
            raise SystemExit(f"docker-test: no container for {service}")
        return ids[0]


def docker(*args: str, check: bool = True) -> str:
    command = ["docker", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if check and result.returncode != 0:
        raise SystemExit(f"docker-test: `docker {' '.join(args)}` failed: {result.stderr}")
    return result.stdout


def health(container: str) -> str:
    out = docker(
        "inspect",
        "--format",
        "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
        container,
        check=False,
    ).split()
    if len(out) != 2:
        return "missing"
    state, status = out
    return status if state == "running" else state


async def wait_all_healthy(compose: Compose, what: str) -> float:
    """Seconds until every service's container reports healthy (fails on timeout)."""
    started = time.monotonic()
    deadline = started + HEALTH_TIMEOUT
    last: dict[str, str] = {}
    while True:
        states = {}
        for service in SERVICES:
            ids = (await asyncio.to_thread(compose.run, "ps", "-q", service, quiet=True)).split()
            states[service] = health(ids[0]) if ids else "missing"
        if states != last:
            say(f"{what}: " + ", ".join(f"{s} {h}" for s, h in states.items()))
            last = states
        if all(h == "healthy" for h in states.values()):
            return time.monotonic() - started
        bad = [s for s, h in states.items() if h in {"exited", "dead", "unhealthy"}]
        if bad or time.monotonic() > deadline:
            for service in bad or SERVICES:
                print(await compose.arun("logs", "--tail", "60", service, check=False))
            raise SystemExit(f"docker-test: {what}: not all healthy: {states}")
        await asyncio.sleep(1)


@contextlib.asynccontextmanager
async def bot_api_on(host: str) -> AsyncIterator[FakeBotApi]:
    """The fake Bot API, listening where the containers reach this machine."""
    api = FakeBotApi(TELEGRAM_TOKEN)
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api.url = f"http://{host}:{port}"
    try:
        yield api
    finally:
        await runner.cleanup()


@contextlib.contextmanager
def egress_blocked(subnet: str) -> Iterator[None]:
    """The stack's containers reach each other and this machine, nothing beyond (DOCKER-USER)."""
    rule = ["DOCKER-USER", "-s", subnet, "!", "-d", subnet, "-j", "REJECT"]
    added = False
    if shutil.which("iptables") and os.geteuid() == 0:
        insert = ["iptables", "-I", *rule]
        added = subprocess.run(insert, check=False).returncode == 0  # noqa: S603
    say(
        f"egress from {subnet} to anywhere but the network itself and this machine: blocked"
        if added
        else "note: could not add the DOCKER-USER rule; egress is not blocked"
    )
    try:
        yield
    finally:
        if added:
            subprocess.run(["iptables", "-D", *rule], check=False)  # noqa: S603, S607


def write_env(path: Path, values: dict[str, str]) -> None:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")


async def until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"docker-test: timed out waiting for {what}")
        await asyncio.sleep(0.5)


async def check_nginx(web_url: str, admin_password: str) -> None:
    async with httpx.AsyncClient(base_url=web_url, timeout=15) as client:
        login = await client.get("/admin/login/")
        assert login.status_code == 200, login.text[:500]
        assert 'name="csrfmiddlewaretoken"' in login.text, login.text[:500]
        assert login.headers.get("x-frame-options") == "DENY"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        assert token, "no CSRF token on the login page"
        posted = await client.post(
            "/admin/login/?next=/admin/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": "admin",
                "password": admin_password,
                "next": "/admin/",
            },
            headers={"Referer": f"{web_url}/admin/login/", "Origin": web_url},
        )
        assert posted.status_code == 302, (posted.status_code, posted.text[:800])
        assert posted.headers["location"] == "/admin/", posted.headers
        panel = await client.get("/admin/")
        assert panel.status_code == 200 and "logout" in panel.text.lower(), panel.text[:500]
        say("nginx: admin login page answers and the admin logs in")
        css = await client.get("/static/admin/css/base.css")
        assert css.status_code == 200 and "text/css" in css.headers["content-type"], css.headers
        say("nginx: static files answer (whitenoise behind nginx)")
        health_answer = await client.get("/api/v1/health/")
        assert health_answer.status_code == 200, health_answer.text
    async with httpx.AsyncClient(base_url=web_url, timeout=15) as client:  # no session cookie
        anonymous = await client.get("/api/v1/instruments/")
        assert anonymous.status_code in (401, 403), anonymous.status_code
        say("nginx: API health answers; the API refuses a request without a token")


async def check_bot(api: FakeBotApi, web_url: str, base_token: str, sim_url: str) -> dict[str, Any]:
    api.push_text(OWNER, "/health")
    report = await api.wait_for_text("Mode: paper", timeout=120)
    assert "Base: ok" in report.text and "Broker: ok" in report.text, report.text
    say("bot: /health through the fake Bot API: " + report.text.replace("\n", "; "))

    api.push_text(OWNER, "/update")
    await api.wait_for_text("Catalogue updated:", timeout=180)
    headers = {"Authorization": f"Token {base_token}"}
    base = httpx.AsyncClient(base_url=f"{web_url}/api/v1/", headers=headers, timeout=15)
    async with base, httpx.AsyncClient(base_url=sim_url, timeout=15) as control:
        instrument = (await base.get(f"instruments/by-ticker/{TICKER}/")).json()
        lot = int(instrument["lot"])
        api.push_text(OWNER, f"/sell {lot} {TICKER}")
        # nothing is held: the sale opens a short, so the bot asks first; the owner confirms
        question = await api.wait_for_text("opens a short", timeout=60)
        markup = question.params["reply_markup"]
        if isinstance(markup, str):
            markup = json.loads(markup)
        api.press(OWNER, markup["inline_keyboard"][0][0]["callback_data"], question.result)
        say("bot: /sell asks before opening a short; confirmed with its button")
        started = await api.wait_for_text("Started #", timeout=60)
        job_id = started.text.split("Started #", 1)[1].split(":", 1)[0]

        async def resting_order() -> dict[str, Any] | None:
            orders = (await control.get("/control/orders")).json()["orders"]
            live = [
                o
                for o in orders
                if o["ticker"] == TICKER
                and o["direction"] == "ORDER_DIRECTION_SELL"
                and o["status"]
                in ("EXECUTION_REPORT_STATUS_NEW", "EXECUTION_REPORT_STATUS_PARTIALLYFILL")
            ]
            return live[0] if live else None

        try:
            order = await until(resting_order, 60, "the bot's sell order at the simulator")
        except SystemExit:
            print(api.transcript(), (await control.get("/control/orders")).text[:3000])
            raise
        price = Decimal(str(order["price"]))
        moved = await control.post(
            "/control/price", json={"instrumentId": order["instrumentUid"], "price": str(price)}
        )
        assert moved.status_code == 200, moved.text
        await api.wait_for_text(f"✅ #{job_id}", timeout=60)

        async def recorded() -> dict[str, Any] | None:
            tasks = (await base.get("sellbuy/")).json()["results"]
            done = [
                t for t in tasks if t["instrument"]["ticker"] == TICKER and t["executed"] == lot
            ]
            return done[0] if done else None

        task = await until(recorded, 30, "the sell task in the Base")
        assert task["direction"] == "sell" and Decimal(task["average_price"]) == price, task
        orders = (await base.get("orders/", params={"task_kind": "sellbuy"})).json()["results"]
        filled = [o for o in orders if o["status"] == "filled"]
        assert len(filled) == 1, orders
    say(f"bot: /sell {lot} {TICKER} in paper mode filled at {price}; the Base holds task and order")
    return {"lot": lot, "task_id": task["id"], "orders": len(orders)}


async def base_records(web_url: str, base_token: str) -> tuple[list[Any], list[Any]]:
    headers = {"Authorization": f"Token {base_token}"}
    async with httpx.AsyncClient(
        base_url=f"{web_url}/api/v1/", headers=headers, timeout=15
    ) as base:
        tasks = (await base.get("sellbuy/")).json()["results"]
        orders = (await base.get("orders/", params={"task_kind": "sellbuy"})).json()["results"]
    return tasks, orders


def bot_rss_kib(compose: Compose) -> int:
    status = docker("exec", compose.container("bot"), "cat", "/proc/1/status")
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, flags=re.M)
    assert match, status
    return int(match.group(1))


def bot_state(compose: Compose) -> dict[str, str]:
    """Files in the bot's state volume (name -> size), the heartbeat left out (it changes)."""
    out = docker(
        "exec",
        compose.container("bot"),
        "python",
        "-c",
        "import os,json;print(json.dumps({os.path.join(d,f):os.path.getsize(os.path.join(d,f))"
        " for d,_,fs in os.walk('/app/var') for f in fs}))",
    )
    files: dict[str, Any] = json.loads(out)
    return {k: str(v) for k, v in files.items() if not k.endswith("/heartbeat")}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", default=PROJECT)
    parser.add_argument("--image-prefix", default="trademan-dt")
    parser.add_argument("--postgres-image", default="postgres:16-alpine")
    parser.add_argument("--nginx-image", default="nginx:1.27-alpine")
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args(argv)


async def main(options: argparse.Namespace) -> int:
    global PROJECT
    PROJECT = options.project
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="trademan-dt-") as tmp:
        work = Path(tmp)
        env_file = work / ".env"
        admin_password = secrets.token_urlsafe(18)
        web_port = free_port()
        env = {
            "POSTGRES_PASSWORD": secrets.token_hex(24),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_COOKIES": "false",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_OWNER_IDS": str(OWNER),
            "BOT_LANGUAGE": "en",
            "BASE_TOKEN": "pending",
            "TRADEMAN_MODE": "paper",
            "TINVEST_REST_URL": "http://simulator:8800/rest",
            "TINVEST_WS_URL": "ws://simulator:8800/ws",
            "TRADEMAN_HTTP_PORT": str(web_port),
            "DT_SIMULATOR_PORT": str(free_port()),
            "DT_IMAGE_PREFIX": options.image_prefix,
            "DT_POSTGRES_IMAGE": options.postgres_image,
            "DT_NGINX_IMAGE": options.nginx_image,
        }
        write_env(env_file, env)
        compose = Compose(work, env_file)
        web_url = f"http://127.0.0.1:{web_port}"
        sim_url = f"http://127.0.0.1:{env['DT_SIMULATOR_PORT']}"
        say(f"compose: {' '.join(compose.command)}, project {PROJECT}")
        compose.run("down", "-v", "--remove-orphans", check=False, quiet=True)
        try:
            # README step 3: the admin and the bot's token (`run` starts PostgreSQL, waits for
            # it and applies the migrations first).
            compose.run(
                "run",
                "--rm",
                "-e",
                "DJANGO_SUPERUSER_USERNAME=admin",
                "-e",
                f"DJANGO_SUPERUSER_PASSWORD={admin_password}",
                "-e",
                "DJANGO_SUPERUSER_EMAIL=admin@example.org",
                "base",
                "python",
                "trademan/manage.py",
                "createsuperuser",
                "--noinput",
            )
            out = compose.run("run", "--rm", "base", "python", "trademan/manage.py", "bot_token")
            base_token = [line for line in out.splitlines() if line.strip()][-1].strip()
            assert re.fullmatch(r"[0-9a-f]{40}", base_token), "bot_token printed no token"
            say("README step 3: admin created, bot token issued")
            compose.run("stop")  # the start below is a cold one

            network = f"{PROJECT}_default"  # made by `run`; the fake Bot API listens there
            ipam = json.loads(docker("network", "inspect", network, "--format", "{{json .IPAM}}"))
            gateway, subnet = ipam["Config"][0]["Gateway"], ipam["Config"][0]["Subnet"]
            async with bot_api_on(gateway) as api:
                env |= {"BASE_TOKEN": base_token, "TELEGRAM_API_URL": api.url}
                write_env(env_file, env)
                with egress_blocked(subnet):
                    started = time.monotonic()
                    await compose.arun("up", "-d", "--no-build")
                    cold = await wait_all_healthy(compose, "cold start")
                    figures["cold_start_to_all_healthy_s"] = round(time.monotonic() - started, 1)
                    say(f"cold start to all healthy: {figures['cold_start_to_all_healthy_s']} s")
                    del cold

                    figures["bot_rss_idle_mib"] = round(bot_rss_kib(compose) / 1024, 1)
                    say(f"bot RSS, idle after start: {figures['bot_rss_idle_mib']} MiB")
                    await check_nginx(web_url, admin_password)
                    await check_bot(api, web_url, base_token, sim_url)
                    figures["bot_rss_mib"] = round(bot_rss_kib(compose) / 1024, 1)
                    say(f"bot RSS after /update and /sell: {figures['bot_rss_mib']} MiB")

                    tasks, orders = await base_records(web_url, base_token)
                    docker("exec", compose.container("bot"), "sh", "-c", "date > /app/var/dt-mark")
                    state = bot_state(compose)
                    say(f"bot state volume before: {sorted(state)}")
                    old_ids = {s: compose.container(s) for s in SERVICES}
                    await compose.arun("up", "-d", "--no-build", "--force-recreate")
                    new_ids = {s: compose.container(s) for s in SERVICES}
                    assert all(old_ids[s] != new_ids[s] for s in SERVICES), "not recreated"
                    figures["recreate_to_all_healthy_s"] = round(
                        await wait_all_healthy(compose, "after recreating every container"), 1
                    )
                    assert await base_records(web_url, base_token) == (tasks, orders)
                    say("restart: the Base's records survived (PostgreSQL volume)")
                    after = bot_state(compose)
                    assert "/app/var/dt-mark" in after, after
                    lost = {k for k in state if k not in after}
                    assert not lost, f"bot state lost: {lost}"
                    say("restart: the bot's state volume kept its files")
                    api.calls.clear()
                    api.push_text(OWNER, "/health")
                    await api.wait_for_text("Base: ok", timeout=120)
                    api.push_text(OWNER, "/tasks")
                    await api.wait_for_text("No running tasks.", timeout=60)
                    say("restart: the bot answers again and started nothing by itself")
                    assert TELEGRAM_TOKEN not in await compose.arun("logs", "bot")
        finally:
            if options.keep:
                say(f"--keep: the stack stays up (compose project {PROJECT})")
            else:
                compose.run("down", "-v", "--remove-orphans", check=False, quiet=True)
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(FIGURES.read_text()) if FIGURES.is_file() else {}
    FIGURES.write_text(json.dumps(old | figures, indent=2) + "\n", encoding="utf-8")
    say("stack checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args(sys.argv[1:]))))
