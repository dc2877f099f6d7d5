"""/whatif in a short-lived worker process of its own, so the live bot only waits on a pipe.

A what-if replays whole recorded days (`whatif.run_whatif`): tens of seconds of CPU and a few
hundred megabytes per busy day, which Python would keep after the run. In the bot's own process
that would starve the live jobs' event loop and could get the bot killed for memory; here the
bot starts `sys.executable -m bot.engine.tape.worker`, writes the request to the child's stdin,
and reads the answer from its stdout while its own event loop goes on (`run_in_worker`).

The child lowers its own priority (`NICE`, the live jobs keep the CPU), dies with the bot
(Linux: PR_SET_PDEATHSIG), caps its own address space (RLIMIT_AS, `TAPE_WHATIF_MEMORY_MB`;
started with MALLOC_ARENA_MAX=1, so the address space is close to the memory really used),
runs the what-if and exits: its memory goes back to the system with it.

The request and the answer are pickled: our own dataclasses (`WhatIfRequest`, `WhatIfResult`,
`WhatIfError`'s key and params) between this module's two ends only — the bot starts the child
from its own code and no one else writes to these pipes. The answer is ("result", result) or
("error", key, params); a child that ran out of memory exits with `EXIT_OUT_OF_MEMORY` (writing
nothing: it may have no memory left to write with). Every way the child can end becomes a
`WhatIfError` with a key in bot/texts/tape.py: out of memory, killed or crashed, too slow
(`TAPE_WHATIF_TIMEOUT`). The parent kills the child when its caller is cancelled (the owner's
command stopped, the bot shutting down).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.base_client.types import Spread, TradingSettings
    from bot.engine.spreads.legs import SpreadTuning
    from bot.engine.tape.whatif import WhatIfResult

log = logging.getLogger(__name__)

NICE = 10  # the child's priority below the bot's
EXIT_OUT_OF_MEMORY = 3
MODULE = "bot.engine.tape.worker"
ROOT = Path(__file__).resolve().parents[3]  # the folder holding the `bot` package


@dataclass(frozen=True, slots=True)
class WhatIfRequest:
    """What the child runs: `whatif.run_whatif`'s arguments."""

    spread: Spread
    target: Decimal
    settings: TradingSettings
    files: tuple[Path, ...]
    tuning: SpreadTuning | None = None
    skip: bool = True
    memory_bytes: int | None = None  # the child's address-space cap; None = none


# ---------------------------------------------------------------------------- the bot's side


async def run_in_worker(
    request: WhatIfRequest,
    *,
    time_limit: float | None = None,
    started: Callable[[asyncio.subprocess.Process], None] | None = None,
) -> WhatIfResult:
    """The what-if of `request`, run in a child process. Raises WhatIfError (a key of
    bot/texts/tape.py) for a refusal of the what-if itself and for a child that ran out of
    memory, died or took longer than `time_limit` seconds; the child is killed when this call is
    cancelled. `started` is told of the child once it runs."""
    from bot.engine.tape.whatif import WhatIfError

    request = _absolute(request)
    payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        MODULE,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=_child_environment(),
    )
    try:
        if started is not None:
            started(proc)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(payload), time_limit)
        except TimeoutError:
            log.warning("whatif: the worker took over %s s; killed", time_limit)
            minutes = max(1, round((time_limit or 0) / 60))
            raise WhatIfError("tape.whatif_timeout", minutes=minutes) from None
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    code = proc.returncode
    if code == EXIT_OUT_OF_MEMORY:
        log.warning("whatif: the worker ran out of memory (cap %s bytes)", request.memory_bytes)
        megabytes = (request.memory_bytes or 0) // (1024 * 1024)
        raise WhatIfError(
            "tape.whatif_out_of_memory",
            memory=megabytes,
            days=len(request.files),
            id=request.spread.id,
            target=request.target,
        )
    answer: Any = None
    if code == 0 and out:
        try:
            answer = pickle.loads(out)  # noqa: S301  (our own child's answer: module docstring)
        except Exception:
            log.exception("whatif: the worker's answer could not be read")
    if isinstance(answer, tuple) and answer and answer[0] == "result":
        result: WhatIfResult = answer[1]
        return result
    if isinstance(answer, tuple) and answer and answer[0] == "error":
        _, key, params = answer
        raise WhatIfError(key, **params)
    how = _how_it_ended(code)
    log.warning("whatif: the worker ended without an answer (%s)", how)
    raise WhatIfError("tape.whatif_died", how=how)


def _absolute(request: WhatIfRequest) -> WhatIfRequest:
    return replace(request, files=tuple(Path(p).resolve() for p in request.files))


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    # one malloc arena: the address space (what RLIMIT_AS caps) stays close to the memory used
    env["MALLOC_ARENA_MAX"] = "1"
    paths = [str(ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def _how_it_ended(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-code).name
        return f"signal {-code}"
    return f"exit code {code}"


# ---------------------------------------------------------------------------- the child


class _MemoryWatch(logging.Handler):
    """A MemoryError the engine caught and logged (a job's error, a failed request, a book
    stream falling back to polling) ends the child at once as out of memory: the rest of that
    run could not be trusted."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        logged = [record.exc_info[1] if record.exc_info else None]
        if isinstance(record.args, tuple):
            logged += [arg for arg in record.args if isinstance(arg, BaseException)]
        if any(_is_memory_error(exc) for exc in logged):
            _out_of_memory()


def _out_of_memory() -> None:
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(EXIT_OUT_OF_MEMORY)


def _is_memory_error(exc: BaseException | None) -> bool:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, MemoryError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when the bot's process ends, however it ends."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _cap_memory(limit: int | None) -> Callable[[], None]:
    """Cap this process's address space at `limit` bytes; returns what lifts the cap again."""
    if limit is None:
        return lambda: None
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


async def _run(request: WhatIfRequest) -> tuple[object, ...]:
    from bot.engine.tape.whatif import WhatIfError, run_whatif

    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_on_loop_error)
    # the thread the recording is read in starts before the cap (a thread's stack is address
    # space: under a cap too tight it would fail to start rather than raise MemoryError)
    await asyncio.to_thread(int)
    with contextlib.suppress(ImportError):  # the simulator's code is not the what-if's memory
        import simulator.app  # noqa: F401
    lift = _cap_memory(request.memory_bytes)
    try:
        result = await run_whatif(
            request.spread,
            request.target,
            request.settings,
            list(request.files),
            tuning=request.tuning,
            skip=request.skip,
        )
    except WhatIfError as exc:
        return ("error", exc.key, exc.params)
    finally:
        lift()  # the cap is the what-if's: answering and exiting never fail for it
    return ("result", result)


def _on_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if _is_memory_error(context.get("exception")):
        _out_of_memory()
    loop.default_exception_handler(context)


def main() -> None:
    raw = sys.stdin.buffer.read()
    answer_fd = os.dup(1)
    os.dup2(2, 1)  # anything printed goes to stderr: stdout carries the answer only
    _die_with_parent()
    with contextlib.suppress(OSError):
        os.nice(NICE)
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="whatif worker %(levelname)s %(message)s"
    )
    logging.getLogger().addHandler(_MemoryWatch())
    try:
        request = pickle.loads(raw)  # noqa: S301  (our own parent's request: module docstring)
        del raw
        answer = asyncio.run(_run(request))
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:
        if _is_memory_error(exc):
            _out_of_memory()
        raise
    with os.fdopen(answer_fd, "wb") as out:
        out.write(data)


if __name__ == "__main__":
    main()
