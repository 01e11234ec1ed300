"""The outbox tests' database: the migrated schema on SQLite and PostgreSQL, on the test's own clock
(each test module says which clock: frozen, or ticking)."""

import pytest

from bot.storage.db import Database


@pytest.fixture
async def db(database_url, keyring, clock):
    database = Database(database_url, keyring, clock=clock)
    yield database
    await database.dispose()
