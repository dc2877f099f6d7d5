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

The stop-order commands (/stops, /shorts, /nuke, /cancel, /stash, /restore) are typed too, on
instruments of their own (STOP_TICKERS: a three-share whitelist, /nuke on a fourth); the plans
that ask for confirmation are confirmed (or declined) by pressing their inline buttons. Checked
against the simulator's own stop orders after every kill:

- no stop client id (requestId) twice;
- never more stop orders on one (instrument, direction, stop price) than the plans the owner was
  shown asked for (each plan counted once, when it ran or its Confirm was pressed): no duplicate
  after a crash mid-/stops or mid-/restore;
- a /cancel that reported completion before the kill left active none of the stop orders and
  none of the live orders there were when its Confirm was pressed;
- nothing but /cancel cancels a stop order (so /restore never cancels anything): a stop order
  turns CANCELED only in a cycle where (or just after) /cancel was confirmed.
Orders placed by fired stops (with a stopOrderId, on STOP_TICKERS) belong to no task and are
left out of the task invariants and of the Base comparison.

Usage: python scripts/chaos.py [--cycles 100] [--seed 1] [--keep DIR] [--rate-scale 2]
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
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
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
STOP_ACTIVE = "STOP_ORDER_STATUS_ACTIVE"
STOP_CANCELED = "STOP_ORDER_STATUS_CANCELED"

# Commands typed at random moments of each restart, with their weights. Anything that places
# orders must keep to instruments the invariants know (TASKS, the spread, STOP_TICKERS).
COMMANDS: list[tuple[str, int]] = [
    ("/spreads", 4),
    ("/sellbuy", 4),
    ("/tasks", 2),
    ("/sprices", 1),
    ("/health", 1),
    ("/stop", 1),
    ("/stops", 2),
    ("/shorts", 1),
    ("/nuke NVTK 20000", 1),
    ("/cancel", 1),
    ("/stash", 1),
    ("/restore", 2),
]
CONFIRM_RATE = 0.85  # a question is confirmed this often; else declined or left unanswered

# The stop commands' instruments (nothing else trades them): the whitelist of /stops and
# /shorts, and /nuke's share. Small levels and sum: a /stops places 6 stops, a /shorts 3.
WHITELIST = ("ROSN", "MTSS", "CHMF")
STOP_TICKERS = frozenset((*WHITELIST, "NVTK"))
STOP_SETTINGS = """
from decimal import Decimal
from trademan.base.models import Instrument, StopListEntry, TradingSettings
settings, _ = TradingSettings.objects.get_or_create(pk=TradingSettings.SINGLETON_PK)
settings.long_levels = "5, 10"
settings.short_levels = "5"
settings.stop_sum = Decimal(5000)
settings.save()
for ticker in %r:
    StopListEntry.objects.get_or_create(
        kind="whitelist", instrument=Instrument.objects.get(ticker=ticker, kind="share")
    )
print("ok")
"""
# "ROSN buy 9 × 1 at 1,234.5 (…": one order of a plan as the bot shows it (English texts)
PLAN_LINE = re.compile(r"^(\S+) (buy|sell) \d+ × \d+ at ([\d,.]+) \(", re.MULTILINE)
PLAN_MORE = re.compile(r"^… \(\+(\d+)\)$", re.MULTILINE)
PLAN_HEAD = re.compile(r"^/(stops|shorts|nuke|restore): \d+ st", re.MULTILINE)
# what one plan of a command that runs without confirmation may place, per (ticker, direction)
UNSEEN_PLAN = {
    "/stops": {(ticker, "buy"): 2 for ticker in WHITELIST},
    "/nuke NVTK 20000": {("NVTK", "buy"): 4},
}

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
    stops: StopsSeen = field(default_factory=lambda: StopsSeen())


@dataclass
class StopsSeen:
    """What the stop invariants need, gathered from the bot's messages and chaos's presses."""

    asked: Counter[tuple[str, str, Decimal]] = field(default_factory=Counter)
    asked_unlisted: int = 0  # orders of plans too long to list line by line
    plans_run: int = 0
    cancelled: set[str] = field(default_factory=set)  # stop ids seen CANCELED so far
    cancel_cycles: set[int] = field(default_factory=set)  # cycles where /cancel was confirmed
    presses: Counter[str] = field(default_factory=Counter)
    # plans typed but never seen (killed before the bot's message went out): what they may place
    unseen: Counter[tuple[str, str]] = field(default_factory=Counter)


def active(stop: dict[str, Any]) -> bool:
    return bool(stop["status"] == STOP_ACTIVE)


class Owner:
    """The owner's eyes and thumb during one cycle: reads what the bot sends, counts the stop
    plans shown, presses Confirm (or Cancel, or nothing) under each question."""

    def __init__(
        self, api: FakeBotApi, control: httpx.AsyncClient, world: World, rng: random.Random, n: int
    ) -> None:
        self.api, self.control, self.seen, self.rng, self.n = api, control, world.stops, rng, n
        self.index = len(api.calls)
        self.presses: set[asyncio.Task[None]] = set()
        self.cancel_snapshot: tuple[set[str], set[str]] | None = None
        self.cancel_finished: tuple[set[str], set[str]] | None = None
        self.plans_seen: Counter[str] = Counter()

    async def watch(self) -> None:
        while True:
            while self.index < len(self.api.calls):
                call = self.api.calls[self.index]
                self.index += 1
                self.see(call)
            await asyncio.sleep(0.05)

    def see(self, call: Any) -> None:
        text = call.text
        if call.method == "sendMessage":
            markup = call.params.get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup)
            buttons = (markup or {}).get("inline_keyboard") or []
            data = [b.get("callback_data", "") for row in buttons for b in row]
            if len(data) == 2 and all(d.startswith("cf:") for d in data):
                task = asyncio.get_running_loop().create_task(self.answer(call, data, text))
                self.presses.add(task)
                task.add_done_callback(self.presses.discard)
            else:
                self.count(text)
        finished = "/cancel finished:" in text and "Failed (" not in text
        if finished and call.method in ("sendMessage", "editMessageText"):
            self.cancel_finished = self.cancel_snapshot

    def count(self, text: str) -> None:
        """A plan shown (and run, or confirmed): what it asks for."""
        for kind in PLAN_HEAD.findall(text):
            self.plans_seen[kind] += 1
            self.seen.plans_run += 1
        for ticker, side, price in PLAN_LINE.findall(text):
            self.seen.asked[stop_key(ticker, side, price)] += 1
        for more in PLAN_MORE.findall(text):
            self.seen.asked_unlisted += int(more)

    async def answer(self, call: Any, data: list[str], text: str) -> None:
        await asyncio.sleep(self.rng.uniform(0.0, 3.0))
        roll = self.rng.random()
        if roll >= CONFIRM_RATE:
            if roll < (1 + CONFIRM_RATE) / 2:
                self.seen.presses["declined"] += 1
                self.api.press(OWNER, data[1], call.result)
            else:
                self.seen.presses["unanswered"] += 1
            return
        if text.startswith("/cancel:"):
            body = (await self.control.get("/control/orders")).json()
            self.cancel_snapshot = (
                {s["stopOrderId"] for s in body["stopOrders"] if active(s)},
                {o["orderId"] for o in body["orders"] if o["status"] in LIVE},
            )
            self.seen.cancel_cycles.add(self.n)
        self.count(text)  # counted once pressed, whether or not the bot lives to act on it
        self.seen.presses["confirmed"] += 1
        self.api.press(OWNER, data[0], call.result)

    async def close(self, typed: list[str]) -> None:
        for task in list(self.presses):
            task.cancel()
        for command, may_place in UNSEEN_PLAN.items():
            kind = command.split()[0].lstrip("/")
            unseen = typed.count(command) - self.plans_seen[kind]
            for key, count in may_place.items():
                self.seen.unseen[key] += max(0, unseen) * count


@dataclass
class Report:
    seed: int
    cycles: int = 0
    violations: list[str] = field(default_factory=list)
    restarts_to_engine: list[float] = field(default_factory=list)
    cancels_checked: int = 0

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


async def sim_stops(control: httpx.AsyncClient) -> list[dict[str, Any]]:
    body = (await control.get("/control/orders")).json()
    stops: list[dict[str, Any]] = body["stopOrders"]
    return stops


def stop_key(ticker: str, side: str, price: str) -> tuple[str, str, Decimal]:
    return (ticker, side, Decimal(price.replace(",", "")).normalize())


def check_stops(
    report: Report, cycle: int | str, stops: list[dict[str, Any]], world: World
) -> None:
    seen = world.stops
    ids = Counter(s.get("requestId") or s["stopOrderId"] for s in stops)
    for request_id, count in ids.items():
        if count > 1:
            report.violate(cycle, f"stop client id {request_id} used by {count} stop orders")
    placed = Counter(
        stop_key(s["ticker"], direction(s["direction"]), s["stopPrice"]) for s in stops
    )
    strangers = [s["stopOrderId"] for s in stops if s["ticker"] not in STOP_TICKERS]
    if strangers:
        report.violate(cycle, f"stop orders on instruments no stop command uses: {strangers}")
    excess = {k: n - seen.asked[k] for k, n in placed.items() if n > seen.asked[k]}
    by_side: Counter[tuple[str, str]] = Counter()
    for (ticker, side, _price), n in excess.items():
        by_side[(ticker, side)] += n
    beyond = sum(max(0, n - seen.unseen[key]) for key, n in by_side.items())
    if beyond > seen.asked_unlisted:
        report.violate(
            cycle,
            "more stop orders than the plans asked for: "
            + ", ".join(f"{t} {d} @{p}: +{n}" for (t, d, p), n in sorted(excess.items())),
        )
    now_cancelled = {s["stopOrderId"] for s in stops if s["status"] == STOP_CANCELED}
    fresh = now_cancelled - seen.cancelled
    seen.cancelled |= now_cancelled
    if fresh and isinstance(cycle, int) and not {cycle, cycle - 1} & seen.cancel_cycles:
        report.violate(cycle, f"stop orders cancelled with no /cancel confirmed: {sorted(fresh)}")


def check_cancel(
    report: Report,
    cycle: int,
    snapshot: tuple[set[str], set[str]],
    orders: list[dict[str, Any]],
    stops: list[dict[str, Any]],
) -> None:
    """A /cancel that said it finished: nothing active at its Confirm is active still."""
    stop_ids, order_ids = snapshot
    left = [s["stopOrderId"] for s in stops if s["stopOrderId"] in stop_ids and active(s)]
    if left:
        report.violate(cycle, f"/cancel finished, yet stop orders it saw are active: {left}")
    live = [o["orderId"] for o in orders if o["orderId"] in order_ids and o["status"] in LIVE]
    if live:
        report.violate(cycle, f"/cancel finished, yet orders it saw are live: {live}")


def filled_pieces(orders: list[dict[str, Any]], world: World) -> Counter[tuple[str, str]]:
    done: Counter[tuple[str, str]] = Counter()
    for order in orders:
        if from_stop(order):
            continue
        key = (order["ticker"], direction(order["direction"]))
        lots = sum(int(f["lots"]) for f in order.get("fills") or ())
        done[key] += lots * world.lots.get(order["ticker"], 1)
    return done


def from_stop(order: dict[str, Any]) -> bool:
    """An order a fired stop placed (on a stop command's instrument): no task's order."""
    return bool(order.get("stopOrderId")) and order["ticker"] in STOP_TICKERS


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
        if from_stop(order):
            continue
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
    manage(["shell", "-c", STOP_SETTINGS % (WHITELIST,)], db_env(tmp))
    world.sides[(far_ticker, "sell")] = "spread far"
    world.sides[("SBER", "buy")] = "spread near"
    world.amounts["spread far"] = SPREAD_AMOUNT
    world.amounts["spread near"] = SPREAD_AMOUNT * world.ratio
    await rearm(stack, tmp, world)
    return world


def db_env(tmp: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp / 'base.sqlite3'}", "TRADEMAN_ENV": "development"}


def new_spread(tmp: Path, world: World) -> str:
    created = manage(["shell", "-c", CREATE_SPREAD % SPREAD_AMOUNT], db_env(tmp)).split()
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
    owner = Owner(api, control, world, random.Random(report.seed * 7_919 + n), n)
    watching = asyncio.get_running_loop().create_task(owner.watch())
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
    watching.cancel()
    await owner.close(typed)
    body = (await control.get("/control/orders")).json()
    orders, stops = body["orders"], body["stopOrders"]
    check_state(report, n, orders, world)
    check_stops(report, n, stops, world)
    if owner.cancel_finished is not None:
        check_cancel(report, n, owner.cancel_finished, orders, stops)
        report.cancels_checked += 1
    report.cycles += 1
    live = sum(1 for o in orders if o["status"] in LIVE)
    print(
        f"cycle {n:3d}: killed after {life:4.1f} s (engine {'up' if engine else 'starting'}), "
        f"typed {' | '.join(typed) or '-'}; {len(orders)} orders, {live} live; "
        f"{len(stops)} stop orders, {sum(1 for s in stops if active(s))} active",
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
    stops = await sim_stops(control)
    check_stops(report, "final", stops, world)
    done = filled_pieces(orders, world)
    far, near = done[(world.far, "sell")], done[(world.near, "buy")]
    if near != far * world.ratio:
        report.violate("final", f"spread legs unbalanced: far {far}, near {near}")
    await compare_fills(stack, orders, world, report)
    print(
        f"final: spread far {far} near {near}; filled {dict(done)}; tasks {world.tasks_created}",
        flush=True,
    )
    statuses = Counter(s["status"].rsplit("_", 1)[-1] for s in stops)
    seen = world.stops
    print(
        f"final: {len(orders)} orders ({sum(1 for o in orders if from_stop(o))} from fired stops), "
        f"{len(stops)} stop orders {dict(statuses)}; {seen.plans_run} stop plans shown/confirmed, "
        f"presses {dict(seen.presses)}, {len(seen.cancel_cycles)} /cancel confirmed, "
        f"{report.cancels_checked} finished /cancel checked",
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
        if from_stop(order):
            continue  # placed by the exchange when a stop fired: the bot never journals it
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


async def run(cycles: int, seed: int, keep: Path | None, rate_scale: float) -> Report:
    report = Report(seed)
    tmp_dir = keep or Path(tempfile.mkdtemp(prefix="trademan-chaos-"))
    tmp_dir.mkdir(parents=True, exist_ok=True)
    print(f"chaos: seed {seed}, {cycles} cycles, logs in {tmp_dir / 'logs'}", flush=True)
    async with (
        running_stack(tmp_dir, walk_interval="0.3", rate_scale=rate_scale) as stack,
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
    parser.add_argument(
        "--rate-scale",
        type=float,
        default=float(os.environ.get("CHAOS_RATE_SCALE", "2")),
        help="the simulator's rate limits × this (stop orders: 50/min × scale)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    report = asyncio.run(run(args.cycles, args.seed, args.keep, args.rate_scale))
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
