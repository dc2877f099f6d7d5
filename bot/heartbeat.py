"""A file touched while the event loop is alive: the bot container's health check reads its age
(docker/healthcheck.py heartbeat), so a stuck event loop shows as unhealthy."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat"
INTERVAL_SECONDS = 30.0


async def beat(path: Path, interval: float = INTERVAL_SECONDS) -> None:
    """Touch `path` now and every `interval` seconds until cancelled; a write error is logged
    once per failure and never stops the bot."""
    while True:
        try:
            await asyncio.to_thread(path.touch)  # an SD card may stall: not on the loop
        except OSError as exc:
            log.warning("cannot touch the heartbeat file %s: %s", path, exc)
        await asyncio.sleep(interval)
