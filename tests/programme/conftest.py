"""A database on a clock the test sets, for programme-event tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from bot.storage.db import Database
from tests.support.clock import TEST_NOW


@pytest.fixture
def manual_clock() -> ManualClock:
    """Stands at TEST_NOW until a test moves it."""
    return ManualClock(TEST_NOW)


@pytest.fixture
async def db(database_url: str, keyring, manual_clock: ManualClock) -> AsyncIterator[Database]:
    database = Database(database_url, keyring, clock=manual_clock)
    yield database
    await database.dispose()
