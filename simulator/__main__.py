"""``python -m simulator --port 8800 --seed 1``: run the exchange simulator."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from aiohttp import web

from simulator.app import create_app
from simulator.config import SimConfig
from simulator.replay import parse_speed


def parse_args(argv: list[str] | None = None) -> SimConfig:
    p = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8800)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--always-open", action="store_true", help="trade at any time (demos)")
    p.add_argument(
        "--rate-scale",
        type=float,
        default=1.0,
        help="multiply the documented rate limits (0 switches limits off)",
    )
    p.add_argument(
        "--walk-interval",
        type=float,
        default=1.0,
        help="seconds between price-walk steps (0: prices move only via the control API)",
    )
    p.add_argument("--token", default=None, help="accept only this bearer token")
    p.add_argument("--account-id", default="sim-account-1")
    p.add_argument("--money", default="10000000", help="starting RUB of the account")
    p.add_argument("--ping-interval", type=float, default=120.0, help="stream ping, seconds")
    p.add_argument(
        "--start-time",
        default=None,
        help="freeze the clock at this RFC 3339 time (moves only via the control API)",
    )
    p.add_argument(
        "--replay",
        default=None,
        metavar="FILE_OR_FOLDER",
        help="replay a market recording (a tape day file or folder) instead of the random walk "
        "for the instruments it holds; the clock starts at the recording's start",
    )
    p.add_argument(
        "--speed",
        default="1",
        help="replay speed: a factor of real time (1, 10, 0.5), max (as fast as possible) or "
        "step (the clock moves only through the control API)",
    )
    a = p.parse_args(argv)
    try:
        speed = parse_speed(a.speed)
    except ValueError:
        p.error(f"--speed: {a.speed!r} is not a positive number, max or step")
    if a.replay and not Path(a.replay).exists():
        p.error(f"--replay: {a.replay} does not exist")
    start = datetime.fromisoformat(a.start_time.replace("Z", "+00:00")) if a.start_time else None
    return SimConfig(
        host=a.host,
        port=a.port,
        seed=a.seed,
        always_open=a.always_open,
        rate_scale=a.rate_scale,
        walk_interval=a.walk_interval,
        token=a.token,
        account_id=a.account_id,
        money=Decimal(a.money),
        ping_interval=a.ping_interval,
        start_time=start,
        replay=a.replay,
        replay_speed=speed,
    )


async def serve(config: SimConfig) -> None:
    runner = web.AppRunner(create_app(config))
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    base = f"http://{config.host}:{config.port}"
    print(f"simulator REST     {base}/rest", flush=True)
    print(f"simulator streams  ws://{config.host}:{config.port}/ws", flush=True)
    print(f"simulator control  {base}/control/", flush=True)
    print(f"account {config.account_id}, seed {config.seed}", flush=True)
    if config.replay:
        print(f"replaying {config.replay} at speed {config.replay_speed}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        print("simulator stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
