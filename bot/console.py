"""`python -m bot console`: the Telegram dispatcher driven from a terminal.

Each input line is one message from the owner; what the bot sends (replies and notifications)
is printed as it happens. Inline buttons are printed numbered (`[1] Stop #3`) and a number typed
alone presses that button of the last keyboard shown. At end of input the console waits until
every job has finished (Ctrl-C or SIGTERM stops the jobs cleanly); with `--exit-on-eof` it stops
the jobs and exits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol, TextIO

from aiogram import Bot, Dispatcher

from bot.config import BotConfig
from bot.engine.interface import Notifier, Trader
from bot.telegram.dispatcher import create_dispatcher
from bot.telegram.fake_session import FakeSession, Request
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.outbox import Outbox
from bot.telegram.updates import callback_update, message_update
from bot.texts import Texts

log = logging.getLogger(__name__)

CONSOLE_TOKEN = "1:console"  # never leaves the process: the fake session answers everything
EXIT_START_FAILED = 1


class Closable(Protocol):
    @property
    def trader(self) -> Trader: ...

    async def close(self) -> None: ...


TraderFactory = Callable[[BotConfig, Notifier], Awaitable[Closable]]


_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


class Printer:
    """Prints what the bot sends; remembers the last keyboard so a number can press it."""

    def __init__(self, out: TextIO, pictures: Path | None = None) -> None:
        self.out = out
        self.pictures = pictures  # where pictures are saved (None: only their size is shown)
        self.buttons: list[tuple[str, dict[str, Any]]] = []  # (callback data, message)

    def _save(self, name: str, data: bytes | None) -> str:
        size = len(data or b"")
        if self.pictures is None or data is None:
            return f"PNG, {size} bytes"
        try:
            self.pictures.mkdir(parents=True, exist_ok=True)
            path = self.pictures / Path(name).name
            path.write_bytes(data)
        except OSError as exc:
            return f"PNG, {size} bytes, not saved: {exc}"
        return f"PNG, {size} bytes, saved to {path}"

    def __call__(self, request: Request) -> None:
        if not request.ok:
            return
        if request.method in ("sendMessage", "editMessageText"):
            prefix = "(edited) " if request.method == "editMessageText" else ""
            text = request.text or ""
            if request.params.get("parse_mode") == "HTML":  # a <pre> table: shown as plain text
                text = html.unescape(_TAG.sub("", text))
            self._write(prefix + text, request)
        elif request.method == "sendDocument":
            body = (request.document or b"").decode("utf-8", errors="replace")
            name = request.params.get("document", {}).get("filename", "file")
            caption = request.params.get("caption", "")
            self._write(f"{caption}\n[{name}]\n{body}", request)
        elif request.method == "sendPhoto":
            name = request.params.get("photo", {}).get("filename", "picture.png")
            caption = request.params.get("caption", "")
            self._write(f"{caption}\n[{name}: {self._save(name, request.document)}]", request)
        elif request.method == "answerCallbackQuery" and request.params.get("text"):
            self._emit(f"  ({request.params['text']})")

    def _write(self, text: str, request: Request) -> None:
        lines = text.split("\n")
        shown = ["« " + lines[0], *("  " + line for line in lines[1:])]
        buttons = request.buttons()
        if buttons and isinstance(request.result, dict):
            self.buttons = [(data, request.result) for _, data in buttons]
            shown.append(
                "  " + "   ".join(f"[{n}] {label}" for n, (label, _) in enumerate(buttons, 1))
            )
        self._emit("\n".join(shown))

    def _emit(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def _read_lines(
    stream: TextIO, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]
) -> None:
    """Blocking reads in a daemon thread (works for a terminal, a pipe or a file)."""
    try:
        for line in stream:
            loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n"))
    finally:
        with contextlib.suppress(RuntimeError):  # the loop may be closed already
            loop.call_soon_threadsafe(queue.put_nowait, None)


class Console:
    def __init__(
        self,
        config: BotConfig,
        *,
        stdin: TextIO,
        stdout: TextIO,
        trader_factory: TraderFactory,
        echo: bool | None = None,
    ) -> None:
        self.config = config
        self.stdin = stdin
        self.out = stdout
        self.trader_factory = trader_factory
        self.echo = (not stdin.isatty()) if echo is None else echo
        self.owner = config.console_owner_id
        self.texts = Texts(config.bot_language)
        self.printer = Printer(stdout, config.bot_state_dir / "pictures")
        self.session = FakeSession(printer=self.printer)
        self.bot = Bot(CONSOLE_TOKEN, session=self.session)
        self.outbox = Outbox(self.bot, pace=0)
        self.stopping = asyncio.Event()

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def run(self, *, exit_on_eof: bool) -> int:
        notifier = TelegramNotifier(self.outbox, [self.owner], self.texts)
        try:
            app = await self.trader_factory(self.config, notifier)
        except Exception as exc:
            from bot.app import AppStartError  # imported late: tests run without the stack

            if isinstance(exc, AppStartError):
                print(f"trademan: {exc}", file=sys.stderr)
                return EXIT_START_FAILED
            raise
        dp = create_dispatcher(
            trader=app.trader,
            texts=self.texts,
            outbox=self.outbox,
            owner_ids=[self.owner],
            mode=self.config.trademan_mode,
        )
        await dp.emit_startup(bot=self.bot)
        self._install_signals()
        self.say(self.texts("console.banner", mode=self.texts(f"mode.{self.config.trademan_mode}")))
        try:
            await self._loop(dp, app, exit_on_eof=exit_on_eof)
        finally:
            if self.stopping.is_set():
                self.say(self.texts("console.stopping"))
            await self.outbox.join()
            await app.close()
            await dp.emit_shutdown(bot=self.bot)
            await self.outbox.close(timeout=10)
            await self.bot.session.close()
            self._remove_signals()
        return 0

    async def _loop(self, dp: Dispatcher, app: Closable, *, exit_on_eof: bool) -> None:
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        reader = threading.Thread(
            target=_read_lines, args=(self.stdin, loop, lines), name="console-stdin", daemon=True
        )
        reader.start()
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            while True:
                get = asyncio.ensure_future(lines.get())
                await asyncio.wait({get, stop}, return_when=asyncio.FIRST_COMPLETED)
                if stop.done():
                    get.cancel()
                    return
                line = get.result()
                if line is None:
                    break
                await self._handle(dp, line)
            await self.outbox.join()
            if exit_on_eof or not app.trader.jobs():
                return
            self.say(self.texts("console.waiting", count=len(app.trader.jobs())))
            idle = asyncio.ensure_future(app.trader.wait_idle())
            await asyncio.wait({idle, stop}, return_when=asyncio.FIRST_COMPLETED)
            idle.cancel()
        finally:
            stop.cancel()

    async def _handle(self, dp: Dispatcher, line: str) -> None:
        text = line.strip()
        if not text:
            return
        if self.echo:
            self.say(f"» {text}")
        if text.isdigit() and not text.startswith("0"):
            number = int(text)
            if 1 <= number <= len(self.printer.buttons):
                data, message = self.printer.buttons[number - 1]
                update = callback_update(self.owner, data, message)
            else:
                update = message_update(self.owner, text)
        else:
            update = message_update(self.owner, text)
        try:
            await dp.feed_raw_update(self.bot, update)
        except Exception:  # the error handler replies; this only guards the loop itself
            log.exception("update failed")
        await self.outbox.join()

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.stopping.set)

    def _remove_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)


async def real_stack(config: BotConfig, notifier: Notifier) -> Closable:
    from bot.app import build_app

    return await build_app(config, notifier)


async def run_console(
    config: BotConfig,
    *,
    exit_on_eof: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    trader_factory: TraderFactory | None = None,
) -> int:
    console = Console(
        config,
        stdin=stdin or sys.stdin,
        stdout=stdout or sys.stdout,
        trader_factory=trader_factory or real_stack,
    )
    return await console.run(exit_on_eof=exit_on_eof)
