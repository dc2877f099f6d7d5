"""`make demo`: the whole paper stack on this machine, then the bot console.

1. the exchange simulator (always-open sessions, prices walking);
2. the Base on a fresh SQLite database in var/demo/ (migrated, an admin login printed, a bot
   token created);
3. the instrument catalogue synced from the simulator into the Base (the bot's own /update
   path), and the demo tasks seeded (`manage.py seed_demo`);
4. the bot console, pointed at both.

Ctrl-C stops the jobs, then the Base and the simulator (no process is left behind).
Ports: 8800 (simulator) and 8000 (Base) unless taken, then free ones (printed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402

from bot.config import BotConfig, ConfigError, load_config  # noqa: E402
from bot.engine.events import Event  # noqa: E402

DEMO_DIR = Path(os.environ.get("TRADEMAN_DEMO_DIR") or ROOT / "var" / "demo")  # wiped at start
WALK_INTERVAL = "2"  # seconds between price steps


def port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])


def say(text: str) -> None:
    print(text, flush=True)


class Children:
    """Child processes, each in its own session so Ctrl-C in the terminal reaches only the
    console; stopped here with SIGTERM, then SIGKILL."""

    def __init__(self) -> None:
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (DEMO_DIR / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes.append((name, process))
        return process

    def stop(self) -> None:
        for _, process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for name, process in reversed(self.processes):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in time: killed")
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)


def wait_http(name: str, url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited; see {DEMO_DIR / (name + '.log')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"{name} did not answer at {url}; see {DEMO_DIR / (name + '.log')}")


def manage(
    args: list[str], env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "trademan/manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


class PrintNotifier:
    async def notify(self, event: Event) -> None:
        return None


async def sync_catalogue(config: BotConfig) -> str:
    from bot.app import build_app
    from bot.texts import Texts
    from bot.texts.render import render_catalogue_update

    app = await build_app(config, PrintNotifier())
    try:
        result = await app.trader.update_catalogue()
    finally:
        await app.close()
    return render_catalogue_update(Texts(config.bot_language), result)


def interrupt(signum: int, frame: object) -> None:
    """SIGTERM before the console runs: unwind like Ctrl-C (children are stopped)."""
    raise KeyboardInterrupt


def main() -> int:
    try:
        base_config = load_config()
    except ConfigError as exc:
        say(f"trademan: {exc}")
        return 2
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    sim_port, base_port = port(8800), port(8000)
    sim_url, base_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{base_port}"
    password = secrets.token_urlsafe(9)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "PYTHONPATH": str(ROOT),
        "TRADEMAN_ENV": "development",
        "DATABASE_URL": f"sqlite:///{DEMO_DIR / 'base.sqlite3'}",
        "TRADEMAN_ADMIN_USER": "admin",
        "TRADEMAN_ADMIN_PASSWORD": password,
    }
    children = Children()
    signal.signal(signal.SIGTERM, interrupt)
    try:
        say(f"Starting the exchange simulator on {sim_url} …")
        sim = children.start(
            "simulator",
            [
                "-m",
                "simulator",
                "--port",
                str(sim_port),
                "--seed",
                "1",
                "--always-open",
                "--walk-interval",
                WALK_INTERVAL,
            ],
            env,
        )
        say("Preparing the Base (SQLite in var/demo/) …")
        manage(["migrate", "--noinput", "-v", "0"], env)
        manage(["ensure_admin"], env)
        token = manage(["bot_token"], env).stdout.strip().splitlines()[-1]
        base = children.start(
            "base", ["trademan/manage.py", "runserver", f"127.0.0.1:{base_port}", "--noreload"], env
        )
        wait_http("simulator", f"{sim_url}/control/state", sim)
        wait_http("base", f"{base_url}/api/v1/health/", base)

        config = base_config.model_copy(
            update={
                "trademan_mode": "paper",
                "tinvest_token": SecretStr("paper"),
                "tinvest_account_id": None,
                "tinvest_rest_url": f"{sim_url}/rest",
                "tinvest_ws_url": f"ws://127.0.0.1:{sim_port}/ws",
                "base_url": f"{base_url}/api/v1/",
                "base_token": SecretStr(token),
                "bot_state_dir": DEMO_DIR / "bot",
            }
        )
        say("Syncing the instrument catalogue from the simulator into the Base …")
        say("  " + asyncio.run(sync_catalogue(config)))
        seeded = manage(["seed_demo"], env, check=False)
        if seeded.returncode == 0:
            say("  " + (seeded.stdout.strip() or "demo tasks seeded").replace("\n", "\n  "))
        else:
            say(
                "  (no demo tasks: `manage.py seed_demo` failed; see below)\n"
                + seeded.stderr[-500:]
            )

        say(
            "\nTrademan demo — paper trading against the simulator (prices move every "
            f"{WALK_INTERVAL} s).\n"
            f"  Admin panel: {base_url}/admin/   login: admin   password: {password}\n"
            f"  API docs:    {base_url}/api/v1/docs/\n"
            f"  Logs:        {DEMO_DIR}/\n"
            "  Try: /help  /health  /tasks  /sell 10 SBER  /buy GAZP 50000  /sellbuy  /stop\n"
            "  A number alone presses a button; Ctrl-C stops everything.\n"
        )
        from bot.console import run_console

        logging.basicConfig(  # the terminal is for the conversation; the log goes to a file
            filename=DEMO_DIR / "bot.log",
            level=config.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        return asyncio.run(run_console(config, exit_on_eof=False))
    except KeyboardInterrupt:
        say("\nStopping …")
        return 130
    finally:
        children.stop()
        say("Demo stopped: simulator and Base are down.")


if __name__ == "__main__":
    sys.exit(main())
