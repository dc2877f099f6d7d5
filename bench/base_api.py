"""Base API under load: GET /api/v1/tasks/active/ served by gunicorn on PostgreSQL.

A fresh database (700 instruments, 200 spreads, 200 sell/buy tasks, one open order each),
gunicorn with the production settings (docker/gunicorn.conf.py: 2 sync workers, access log,
worker recycling) in production mode on a random loopback port, a bounded number of requests
from a few concurrent lean clients (a prepared request on a socket: on this 2-core machine an
httpx client costs about as much CPU per request as the server's 304, and would measure itself),
twice:

- unchanged: as the bot asks, with the last answer's ETag in If-None-Match (nothing changes
  during the run, so every answer after each client's first is a 304);
- changed: without If-None-Match, so every request builds and sends the whole answer (what each
  request costs after a write).

For each: requests/s, p50/p99 latency (connect to the last byte), and the CPU per request of the
gunicorn workers (the server's cost) and of the clients. Then stops gunicorn and drops the database.

Environment: BENCH_DATABASE_URL (or DATABASE_URL when it is PostgreSQL) names the server;
default postgres://postgres@127.0.0.1:5432/postgres. BENCH_BASE_REQUESTS (default 2000; the
changed run makes a quarter of them) and BENCH_BASE_CLIENTS (default 4) bound the run.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
DB_NAME = f"trademan_bench_{os.getpid()}"  # helpers may run the bench at once
INSTRUMENTS = 700
SPREADS = 200
SELLBUY = 200


def _server_url() -> str:
    for name in ("BENCH_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://")):
            return url
    return "postgres://postgres@127.0.0.1:5432/postgres"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed_in_child() -> None:
    """Runs in a subprocess with the bench environment: fill the database, print the token."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trademan.settings")
    django.setup()
    import uuid
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from trademan.base.models import Instrument, Order, SellBuyTask, Spread
    from trademan.base.services.accounts import rotate_bot_token

    shares = [
        Instrument(
            figi=f"BBG{i:09d}",
            uid=f"share-{i}",
            ticker=f"S{i:03d}",
            class_code="TQBR",
            name=f"Share {i}",
            kind="share",
            lot=10,
            min_price_increment=Decimal("0.01"),
            short_enabled=True,
            exchange="MOEX",
        )
        for i in range(INSTRUMENTS // 2)
    ]
    expiry = datetime.now(tz=UTC) + timedelta(days=90)
    futures = [
        Instrument(
            figi=f"FUT{i:09d}",
            uid=f"future-{i}",
            ticker=f"F{i:03d}",
            class_code="SPBFUT",
            name=f"Future {i}",
            kind="future",
            lot=1,
            min_price_increment=Decimal(1),
            min_price_increment_amount=Decimal(1),
            basic_asset=f"S{i:03d}",
            basic_asset_size=Decimal(10),
            expiration=expiry,
            exchange="FORTS_EVENING",
        )
        for i in range(INSTRUMENTS - INSTRUMENTS // 2)
    ]
    shares = Instrument.objects.bulk_create(shares)
    futures = Instrument.objects.bulk_create(futures)
    tasks = SellBuyTask.objects.bulk_create(
        SellBuyTask(instrument=shares[i % len(shares)], direction="buy", amount=100)
        for i in range(SELLBUY)
    )
    spreads = Spread.objects.bulk_create(
        Spread(
            far=futures[i], near=shares[i], direction="sell", amount=5, target_price=Decimal(100)
        )
        for i in range(SPREADS)
    )
    orders = [
        Order(
            client_order_id=uuid.uuid4(),
            sellbuy=t,
            instrument_id=t.instrument_id,
            direction="buy",
            order_type="limit",
            price=Decimal("100.5"),
            lots=1,
            status="new",
        )
        for t in tasks
    ] + [
        Order(
            client_order_id=uuid.uuid4(),
            spread=s,
            leg="far",
            instrument_id=s.far_id,
            direction="sell",
            order_type="limit",
            price=Decimal(1000),
            lots=1,
            status="new",
        )
        for s in spreads
    ]
    Order.objects.bulk_create(orders)
    print(rotate_bot_token())


def _wait_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/api/v1/health/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become healthy in time")


async def _get(host: str, port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection (gunicorn's sync workers close it after the answer):
    the status, the headers (lower-case names) and the body."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        data = await reader.read()  # up to the server's close
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1]) if head else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


async def _load(
    base: str, token: str, requests: int, clients: int, *, conditional: bool
) -> tuple[list[float], int, list[str], int]:
    """`requests` GETs from `clients` concurrent clients. The client is lean (a prepared request
    written to a socket, the answer read to the close) so that on this 2-core machine the
    figures are the server's, not the client library's: httpx spends about as much CPU per
    request as the Base does on a 304 (the bench prints the clients' CPU too)."""
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", int(parts.port or 80)
    latencies: list[float] = []
    errors: list[str] = []
    size = 0
    not_modified = 0
    per_client = requests // clients
    plain = (
        f"GET /api/v1/tasks/active/ HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Token {token}\r\nAccept: application/json\r\n"
    )

    async def client() -> None:
        nonlocal size, not_modified
        request = (plain + "\r\n").encode()
        for _ in range(per_client):
            started = time.perf_counter()
            status, headers, body = await _get(host, port, request)
            latencies.append(time.perf_counter() - started)
            if status == 304:
                not_modified += 1
                continue
            if status != 200:
                errors.append(f"{status}: {body[:200]!r}")
                continue
            size = len(body)
            if conditional and "etag" in headers:
                etag = headers["etag"]
                request = (plain + f"If-None-Match: {etag}\r\n\r\n").encode()

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, size, errors, not_modified


def _server_cpu(gunicorn: subprocess.Popen[bytes]) -> float:
    """CPU seconds used so far by gunicorn's workers."""
    import psutil

    total = 0.0
    for worker in psutil.Process(gunicorn.pid).children():
        times = worker.cpu_times()
        total += times.user + times.system
    return total


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    server = _server_url()
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        print(f"base_api: skipped, PostgreSQL not reachable at {urlsplit(server).hostname}: {exc}")
        return
    requests = int(os.environ.get("BENCH_BASE_REQUESTS", "2000"))
    clients = int(os.environ.get("BENCH_BASE_CLIENTS", "4"))
    database = sql.Identifier(DB_NAME)
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
    admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
    port = _free_port()
    env = {
        **os.environ,
        "TRADEMAN_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": _with_database(server, DB_NAME),
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    gunicorn: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [sys.executable, "trademan/manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=REPO,
            env=env,
            check=True,
        )
        seeded = subprocess.run(
            [sys.executable, "-c", "import bench.base_api as b; b._seed_in_child()"],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        token = seeded.stdout.strip().splitlines()[-1]
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "docker/gunicorn.conf.py",
                "trademan.wsgi:application",
            ],
            cwd=REPO,
            # the production settings (2 sync workers, access log, worker recycling), here
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_LOG_LEVEL": "warning"},
            stdout=subprocess.DEVNULL,  # the access log
        )
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(base, gunicorn)
        for name, conditional, count in (
            ("unchanged", True, requests),
            ("changed", False, max(clients, requests // 4)),
        ):
            # warm-up: connections, caches
            asyncio.run(_load(base, token, clients * 5, clients, conditional=conditional))
            cpu0 = _server_cpu(gunicorn)
            client_cpu0 = time.process_time()
            started = time.perf_counter()
            latencies, size, errors, not_modified = asyncio.run(
                _load(base, token, count, clients, conditional=conditional)
            )
            elapsed = time.perf_counter() - started
            client_cpu = time.process_time() - client_cpu0
            cpu = _server_cpu(gunicorn) - cpu0
            how = (
                f"If-None-Match: {not_modified} answers 304"
                if conditional
                else "no If-None-Match: every answer built"
            )
            print(
                f"base_api [{name}]: GET /api/v1/tasks/active/ ({SELLBUY} sell/buy + {SPREADS} "
                f"spreads, {INSTRUMENTS} instruments, {size / 1024:.0f} KiB JSON), gunicorn with "
                f"docker/gunicorn.conf.py (2 sync workers), {clients} clients, "
                f"{len(latencies)} requests; {how}"
            )
            print(
                f"base_api [{name}]: {len(latencies) / elapsed:.1f} requests/s, "
                f"latency p50 {_percentile(latencies, 0.5) * 1000:.1f} ms, "
                f"p99 {_percentile(latencies, 0.99) * 1000:.1f} ms, "
                f"mean {statistics.fmean(latencies) * 1000:.1f} ms; "
                f"server CPU {cpu / len(latencies) * 1000:.1f} ms per request "
                f"(clients {client_cpu / len(latencies) * 1000:.2f} ms)"
            )
            if errors:
                print(f"base_api [{name}]: {len(errors)} failed requests, first: {errors[0]}")
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(timeout=20)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
                gunicorn.wait()
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        admin.close()


if __name__ == "__main__":
    main()
