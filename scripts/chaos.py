"""`make chaos`: SIGKILL a real bot at random moments while it trades, and check what it did.

The paper stack runs as real processes on loopback (the simulator with a fast random walk and
faults on — errors, lost PostOrder answers, stream drops —, the Base on SQLite, a fake Telegram
Bot API). Each cycle starts `python -m bot run`, types commands (COMMANDS) at random moments of
its restart, moves prices, and SIGKILLs it at a random moment. After every kill the invariants
are checked against the simulator's own state (its orders and trades, not the bot's word):

- no client order id twice, and every order on a known instrument/direction of a task;
- never two live orders for one task (sell/buy tasks each trade their own instrument; a spread's
  far leg is one task side). A spread's near leg is the exception: each far fill is hedged at
  once for exactly the unhedged quantity (SPEC `/spreads`), so a second far fill while the first
  hedge still works rightly adds a second live near order; what must hold there is the next rule;
- no amount exceeded (a task's fills never pass its amount; a spread's near fills plus what its
  live near orders still ask never pass its far fills × ratio: no double hedge, in flight or done);
- at the end (faults off, one clean run, the journal flushed): the spread legs are balanced and
  the Base's fills equal the simulator's trades, order by order.

Usage: python scripts/chaos.py [--cycles 100] [--seed 1] [--keep DIR]
Prints one line per cycle and a summary; exits 1 on any violation (each printed with its seed,
cycle and what). New commands (the stop commands, /cancel…) join by adding to COMMANDS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.processes import Process, wait_ready  # noqa: E402
from tests.e2e.stack import Stack, manage, running_stack  # noqa: E402
from tests.support.fake_bot_api import FakeBotApi, running_bot_api  # noqa: E402

TOKEN = "123456:chaos-token"
OWNER = 777
LIVE = ("EXECUTION_REPORT_STATUS_NEW", "EXECUTION_REPORT_STATUS_PARTIALLYFILL")

# Commands typed at random moments of each restart, with their weights. The stop commands
# (/stops, /shorts, /cancel, /stash, /restore…) join this list once they exist; anything that
# places orders must keep to instruments the invariants know (see TASKS below).
COMMANDS: list[tuple[str, int]] = [
    ("/spreads", 4),
    ("/sellbuy", 4),
    ("/tasks", 2),
    ("/sprices", 1),
    ("/health", 1),
    ("/stop", 1),
]

# Sell/buy tasks: (ticker, direction, lots); each on an instrument nothing else trades. A task
# that is done is replaced by a fresh one before the next cycle (so every cycle has work).
TASKS = [("GAZP", "buy", 200), ("LKOH", "sell", 20), ("VTBR", "buy", 50)]
SPREAD_AMOUNT = 20  # far contracts of the SBER future against SBER shares

FAULTS = {
    "errorRate": {"PostOrder": 0.05, "GetOrderState": 0.05, "CancelOrder": 0.05, "*": 0.02},
    "streamDisconnectEvery": 40,
}

CREATE_SPREAD = """
from decimal import Decimal
from trademan.base.models import Instrument, Spread
near = Instrument.objects.get(ticker="SBER", kind="share")
far = Instrument.objects.filter(
    kind="future", basic_asset__in=("SBER", near.uid), basic_asset_size=100, active=True
).order_by("expiration").last()
spread = Spread.objects.create(
    far=far, near=near, direction="sell", amount=%d, target_price=Decimal("-1000000")
)
print(spread.pk, far.ticker, far.uid, near.uid)
"""


@dataclass
class World:
    """What the invariants need: which simulator orders belong to which task side."""

    sides: dict[tuple[str, str], str] = field(default_factory=dict)  # (ticker, dir) -> task
    amounts: dict[str, int] = field(default_factory=dict)  # task side -> pieces, all tasks
    current: dict[str, int] = field(default_factory=dict)  # task side -> the task now in use
    lots: dict[str, int] = field(default_factory=dict)  # ticker -> lot
    far: str = ""
    near: str = ""
    ratio: int = 100
    spread_ids: list[int] = field(default_factory=list)
    tasks_created: int = 0


@dataclass
class Report:
    seed: int
    cycles: int = 0
    violations: list[str] = field(default_factory=list)
    restarts_to_engine: list[float] = field(default_factory=list)

    def violate(self, cycle: int | str, what: str) -> None:
        line = f"VIOLATION seed={self.seed} cycle={cycle}: {what}"
        self.violations.append(line)
        print(line, flush=True)


def direction(raw: str) -> str:
    return "buy" if raw.endswith("BUY") else "sell"


async def sim_orders(control: httpx.AsyncClient) -> list[dict[str, Any]]:
    body = (await control.get("/control/orders")).json()
    orders: list[dict[str, Any]] = body["orders"]
    return orders


def filled_pieces(orders: list[dict[str, Any]], world: World) -> Counter[tuple[str, str]]:
    done: Counter[tuple[str, str]] = Counter()
    for order in orders:
        key = (order["ticker"], direction(order["direction"]))
        lots = sum(int(f["lots"]) for f in order.get("fills") or ())
        done[key] += lots * world.lots.get(order["ticker"], 1)
    return done


def check_state(
    report: Report, cycle: int | str, orders: list[dict[str, Any]], world: World
) -> None:
    ids = Counter(o.get("requestId") or o["orderId"] for o in orders)
    for request_id, count in ids.items():
        if count > 1:
            report.violate(cycle, f"client order id {request_id} used by {count} orders")
    live: Counter[tuple[str, str]] = Counter()
    near_key = (world.near, "buy")
    in_flight = 0  # near pieces the live hedges still ask for
    for order in orders:
        key = (order["ticker"], direction(order["direction"]))
        if key not in world.sides:
            report.violate(cycle, f"an order nobody asked for: {key} {order['orderId']}")
        if order["status"] in LIVE:
            live[key] += 1
            if key == near_key:
                left = int(order["lotsRequested"]) - int(order["lotsExecuted"])
                in_flight += left * world.lots.get(order["ticker"], 1)
    for key, count in live.items():
        # several hedges may work at once (one per far fill); the over-hedge check bounds them
        if count > 1 and key != near_key:
            report.violate(cycle, f"{count} live orders at once for {world.sides.get(key)} {key}")
    done = filled_pieces(orders, world)
    for key, task in world.sides.items():
        if done[key] > world.amounts[task]:
            report.violate(
                cycle, f"{task} {key}: {done[key]} pieces filled > {world.amounts[task]}"
            )
    far = done[(world.far, "sell")]
    near = done[near_key]
    if near + in_flight > far * world.ratio:
        report.violate(
            cycle,
            f"spread over-hedged: near {near} filled + {in_flight} in live orders "
            f"> far {far} × {world.ratio}",
        )


async def setup(stack: Stack, api: FakeBotApi, tmp: Path, report: Report) -> World:
    """The catalogue from the simulator (the bot's /update), the tasks, a spread."""
    bot = start_bot(stack, api, "bot-setup")
    await wait_ready(bot, lambda: _polling(api), timeout=180)
    api.push_text(OWNER, "/update")
    await api.wait_for_text("Catalogue updated", timeout=180)
    bot.popen.send_signal(signal.SIGTERM)
    await asyncio.to_thread(bot.popen.wait, 60)
    world = World()
    headers = {"Authorization": f"Token {stack.base_token}"}
    async with httpx.AsyncClient(base_url=stack.base_url, headers=headers, timeout=30) as base:
        for ticker, side, _ in TASKS:
            instrument = (await base.get(f"instruments/by-ticker/{ticker}/")).json()
            world.lots[ticker] = int(instrument["lot"])
            world.sides[(ticker, side)] = f"sellbuy {ticker} {side}"
            world.amounts[f"sellbuy {ticker} {side}"] = 0
        far_ticker = new_spread(tmp, world)
        for ticker in (far_ticker, "SBER"):
            instrument = (await base.get(f"instruments/by-ticker/{ticker}/")).json()
            world.lots[ticker] = int(instrument["lot"])
    world.far, world.near = far_ticker, "SBER"
    world.sides[(far_ticker, "sell")] = "spread far"
    world.sides[("SBER", "buy")] = "spread near"
    world.amounts["spread far"] = SPREAD_AMOUNT
    world.amounts["spread near"] = SPREAD_AMOUNT * world.ratio
    await rearm(stack, tmp, world)
    return world


def new_spread(tmp: Path, world: World) -> str:
    db_env = {"DATABASE_URL": f"sqlite:///{tmp / 'base.sqlite3'}", "TRADEMAN_ENV": "development"}
    created = manage(["shell", "-c", CREATE_SPREAD % SPREAD_AMOUNT], db_env).split()
    world.spread_ids.append(int(created[-4]))
    world.tasks_created += 1
    return created[-3]


async def rearm(stack: Stack, tmp: Path, world: World) -> None:
    """A fresh task for every side whose task is done (or that has none yet)."""
    headers = {"Authorization": f"Token {stack.base_token}"}
    async with httpx.AsyncClient(base_url=stack.base_url, headers=headers, timeout=30) as base:
        for ticker, side, lots in TASKS:
            name = f"sellbuy {ticker} {side}"
            task_id = world.current.get(name)
            if task_id is not None and (await base.get(f"sellbuy/{task_id}/")).json()["active"]:
                continue
            amount = lots * world.lots[ticker]
            answer = await base.post(
                "sellbuy/",
                json={"ticker": ticker, "direction": side, "amount": amount, "covered": False},
            )
            assert answer.status_code == 201, answer.text
            world.current[name] = int(answer.json()["id"])
            world.amounts[name] += amount
            world.tasks_created += 1
        spread = (await base.get(f"spreads/{world.spread_ids[-1]}/")).json()
    if not spread["active"]:
        new_spread(tmp, world)
        world.amounts["spread far"] += SPREAD_AMOUNT
        world.amounts["spread near"] += SPREAD_AMOUNT * world.ratio


async def _polling(api: FakeBotApi) -> bool:
    return "setMyCommands" in api.methods()  # set at start-up, just before polling begins


def start_bot(stack: Stack, api: FakeBotApi, name: str) -> Process:
    return stack.start(
        name,
        ["-m", "bot", "run"],
        stack.bot_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_OWNER_IDS=str(OWNER),
            TELEGRAM_API_URL=api.url,
            LOG_LEVEL="INFO",
        ),
    )


def pick_command(rng: random.Random) -> str:
    commands, weights = zip(*COMMANDS, strict=True)
    return rng.choices(commands, weights=weights)[0]


async def move_prices(control: httpx.AsyncClient, rng: random.Random) -> None:
    await control.post("/control/walk", json={"steps": rng.randint(1, 30)})


def engine_started_after(process: Process, spawned: float) -> float | None:
    """Seconds from spawn to the engine's "engine started" log line (trading resumed)."""
    for line in process.output().splitlines():
        if "engine started" in line:
            return time.time() - spawned  # upper bound: read after the fact
    return None


async def cycle(
    n: int, stack: Stack, api: FakeBotApi, control: httpx.AsyncClient, world: World, report: Report
) -> None:
    rng = random.Random(report.seed * 100_003 + n)
    await rearm(stack, stack.tmp, world)
    await control.post(
        "/control/faults", json={"clear": True, **FAULTS, "losePostOrder": rng.randint(0, 2)}
    )
    bot = start_bot(stack, api, f"bot-{n:03d}")
    spawned = time.monotonic()
    life = rng.uniform(2.0, 20.0)  # start-up itself takes seconds: kills land in it too
    typed: list[str] = []
    plan = sorted(rng.uniform(0.0, life) for _ in range(rng.randint(1, 4)))
    moves = sorted(rng.uniform(0.0, life) for _ in range(rng.randint(0, 5)))
    events = [(t, "type") for t in plan] + [(t, "move") for t in moves]
    for at, what in sorted(events):
        await asyncio.sleep(max(0.0, at - (time.monotonic() - spawned)))
        if what == "type":
            command = pick_command(rng)
            typed.append(command)
            api.push_text(OWNER, command)
        else:
            await move_prices(control, rng)
    await asyncio.sleep(max(0.0, life - (time.monotonic() - spawned)))
    engine = "engine started" in bot.output()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(bot.popen.pid, signal.SIGKILL)
    await asyncio.to_thread(bot.popen.wait, 30)
    orders = await sim_orders(control)
    check_state(report, n, orders, world)
    report.cycles += 1
    live = sum(1 for o in orders if o["status"] in LIVE)
    print(
        f"cycle {n:3d}: killed after {life:4.1f} s (engine {'up' if engine else 'starting'}), "
        f"typed {' '.join(typed) or '-'}; {len(orders)} orders, {live} live",
        flush=True,
    )


async def final_run(
    stack: Stack, api: FakeBotApi, control: httpx.AsyncClient, world: World, report: Report
) -> None:
    """Faults off; one clean run until the journal is flushed and the spread is hedged; then
    the Base's fills against the simulator's trades."""
    await control.post("/control/faults", json={"clear": True})
    bot = start_bot(stack, api, "bot-final")
    await wait_ready(bot, lambda: _polling(api), timeout=180)
    api.push_text(OWNER, "/spreads")
    await asyncio.sleep(15.0)  # the resumed jobs and the spread rebalance, the journal flushes
    journal = stack.tmp / "state" / "journal.jsonl"
    deadline = time.monotonic() + 120
    while True:
        orders = await sim_orders(control)
        done = filled_pieces(orders, world)
        balanced = done[(world.near, "buy")] == done[(world.far, "sell")] * world.ratio
        flushed = not journal.exists() or not journal.read_text().strip()
        if balanced and flushed:
            break
        if time.monotonic() > deadline:
            report.violate("final", f"not settled in 120 s: balanced={balanced} flushed={flushed}")
            break
        await asyncio.sleep(1.0)
    api.push_text(OWNER, "/stop")
    await asyncio.sleep(3.0)
    bot.popen.send_signal(signal.SIGTERM)
    await asyncio.to_thread(bot.popen.wait, 120)
    orders = await sim_orders(control)
    check_state(report, "final", orders, world)
    done = filled_pieces(orders, world)
    far, near = done[(world.far, "sell")], done[(world.near, "buy")]
    if near != far * world.ratio:
        report.violate("final", f"spread legs unbalanced: far {far}, near {near}")
    await compare_fills(stack, orders, world, report)
    print(
        f"final: spread far {far} near {near}; filled {dict(done)}; tasks {world.tasks_created}",
        flush=True,
    )


async def compare_fills(
    stack: Stack, orders: list[dict[str, Any]], world: World, report: Report
) -> None:
    headers = {"Authorization": f"Token {stack.base_token}"}
    async with httpx.AsyncClient(base_url=stack.base_url, headers=headers, timeout=30) as base:
        records: list[dict[str, Any]] = []
        page = 1
        while True:
            body = (await base.get("orders/", params={"page": page, "page_size": 500})).json()
            records.extend(body["results"])
            if not body.get("next"):
                break
            page += 1
    base_lots = {str(r["client_order_id"]): int(r["lots_executed"]) for r in records}
    for order in orders:
        cid = str(order.get("requestId") or order["orderId"])
        lots = sum(int(f["lots"]) for f in order.get("fills") or ())
        if lots and cid not in base_lots:
            report.violate(
                "final",
                f"order {cid} ({order['ticker']}) filled {lots} lots at the "
                "exchange, unknown to the Base",
            )
        elif lots != base_lots.get(cid, 0):
            report.violate(
                "final",
                f"order {cid} ({order['ticker']}): exchange {lots} lots, Base {base_lots.get(cid)}",
            )
    # the spreads: the Base's leg totals against the exchange's trades
    far = near = 0
    async with httpx.AsyncClient(base_url=stack.base_url, headers=headers, timeout=30) as base:
        for spread_id in world.spread_ids:
            spread = (await base.get(f"spreads/{spread_id}/")).json()
            far += int(spread["far_executed"])
            near += int(spread["near_executed"])
    done = filled_pieces(orders, world)
    exchange = (done[(world.far, "sell")], done[(world.near, "buy")])
    if (far, near) != exchange:
        report.violate("final", f"spreads in the Base far/near {far}/{near} != exchange {exchange}")


async def run(cycles: int, seed: int, keep: Path | None) -> Report:
    report = Report(seed)
    tmp_dir = keep or Path(tempfile.mkdtemp(prefix="trademan-chaos-"))
    tmp_dir.mkdir(parents=True, exist_ok=True)
    print(f"chaos: seed {seed}, {cycles} cycles, logs in {tmp_dir / 'logs'}", flush=True)
    async with (
        running_stack(tmp_dir, walk_interval="0.3") as stack,
        running_bot_api(TOKEN) as api,
        httpx.AsyncClient(base_url=stack.sim_url, timeout=30) as control,
    ):
        await control.post("/control/account", json={"money": "1000000000"})
        world = await setup(stack, api, tmp_dir, report)
        print(f"tasks: {json.dumps({k[0] + ' ' + k[1]: v for k, v in world.sides.items()})}")
        for n in range(1, cycles + 1):
            await cycle(n, stack, api, control, world, report)
        await final_run(stack, api, control, world, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cycles", type=int, default=int(os.environ.get("CHAOS_CYCLES", "100")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CHAOS_SEED", "1")))
    parser.add_argument("--keep", type=Path, default=None, help="work folder (kept)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    report = asyncio.run(run(args.cycles, args.seed, args.keep))
    minutes = (time.monotonic() - started) / 60
    print(
        f"chaos: {report.cycles} cycles run, {len(report.violations)} violations "
        f"(seed {report.seed}, {minutes:.1f} min)",
        flush=True,
    )
    for line in report.violations:
        print(line)
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
