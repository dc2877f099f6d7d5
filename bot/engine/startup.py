"""The gate every command that starts jobs passes: the Base must be up and the engine's start-up
reconciliation complete.

At start the engine first flushes what its journal owes the Base, then resumes the jobs that were
running (each reconciles its orders with the broker). A command that read the Base before that is
done could start a job from totals that miss fills the bot itself has journaled, or start a task
the resumed job is about to finish: so `/sellbuy`, `/sell`, `/buy`, `/dump` and `/spreads` wait
here (at most `wait` seconds, then the owner is asked to try again). Together with the registry
holding a job's key until its records are in the Base (bot.engine.jobs), no path starts a job from
totals older than what the bot has journaled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from bot.base_client.errors import BaseRejected, BaseUnavailable
from bot.engine import text_keys
from bot.engine.interface import UserError
from bot.engine.recorder import BaseRecorder

T = TypeVar("T")

# seconds a command waits for the start-up reconciliation before asking to try again
START_WAIT = 30.0


class StartGate:
    def __init__(self, recorder: BaseRecorder, *, wait: float = START_WAIT) -> None:
        self._recorder = recorder
        self._wait = wait
        self._ready = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def open(self) -> None:
        """Start-up reconciliation is complete: commands may start jobs."""
        self._ready.set()

    async def enter(self) -> None:
        """Let a command that starts jobs through: refused at once with the Base down, waits
        (bounded) while the engine is still starting."""
        self.require_base()
        if self._ready.is_set():
            return
        try:
            async with asyncio.timeout(self._wait):
                await self._ready.wait()
        except TimeoutError:
            raise UserError(text_keys.ENGINE_STARTING) from None
        self.require_base()

    def require_base(self) -> None:
        if self._recorder.is_down:
            raise UserError(text_keys.BASE_UNAVAILABLE)

    async def base_call(self, call: Awaitable[T]) -> T:
        """Await a Base request; its failures become the owner's refusals."""
        try:
            return await call
        except BaseUnavailable as exc:
            self._recorder.mark_down()
            raise UserError(text_keys.BASE_UNAVAILABLE) from exc
        except BaseRejected as exc:
            raise UserError(text_keys.BASE_REJECTED, message=exc.message) from exc
