"""The heartbeat file the bot container's health check reads."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.heartbeat import beat

REPO = Path(__file__).resolve().parents[2]


async def _until(condition: object, what: str) -> None:
    for _ in range(500):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_the_heartbeat_is_touched_again_and_again(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat"
    task = asyncio.create_task(beat(path, interval=0.01))
    try:
        await _until(path.exists, "the heartbeat file")
        os.utime(path, (0, 0))  # make it look stale
        await _until(lambda: path.stat().st_mtime > 0, "a fresh touch")
    finally:
        task.cancel()
    # what the image's health check says of it
    check = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(REPO / "docker" / "healthcheck.py"), "heartbeat", str(path), "180"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


async def test_an_unwritable_heartbeat_never_stops_the_bot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "missing-dir" / "heartbeat"
    task = asyncio.create_task(beat(path, interval=0.01))
    try:
        failures = lambda: sum("heartbeat" in r.getMessage() for r in caplog.records)  # noqa: E731
        await _until(lambda: failures() >= 3, "several failed touches")
        assert not task.done(), "the heartbeat task died on a write error"
    finally:
        task.cancel()
