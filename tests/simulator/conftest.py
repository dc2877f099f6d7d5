from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.sim import SimHandle, running_simulator


@pytest.fixture
async def sim() -> AsyncIterator[SimHandle]:
    async with running_simulator() as handle:
        yield handle
