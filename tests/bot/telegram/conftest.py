from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.fake_telegram import Harness, make_harness


@pytest.fixture
async def tg() -> AsyncIterator[Harness]:
    harness = await make_harness("en")
    yield harness
    await harness.outbox.close(timeout=5)
