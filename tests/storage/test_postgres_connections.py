"""A PostgreSQL connection the server has ended (a restart, an administrator, an idle timeout) is
replaced when it is taken from the pool, before a message's transaction uses it: without a
query sent to the server at every checkout (bot/storage/pg_liveness.py)."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.storage.db import Database
from safety.crypto import KeyRing
from tests.conftest import PG_SKIP_REASON


async def _backend_pid(db: Database) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(text("SELECT pg_backend_pid()")) or 0)


async def test_a_connection_the_server_ended_is_replaced_before_the_next_transaction_uses_it(
        pg_database_url: str | None, keyring: KeyRing) -> None:
    if pg_database_url is None:
        pytest.skip(PG_SKIP_REASON)
    db = Database(pg_database_url, keyring)
    plain = make_url(pg_database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        pooled = await _backend_pid(db)  # the pool keeps this connection for the next transaction
        async with await psycopg.AsyncConnection.connect(plain, autocommit=True) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", (pooled,))
            for _ in range(200):  # until the server has ended it (bounded: 2 s)
                row = await (await admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pooled,))).fetchone()
                if row is not None and row[0] == 0:
                    break
                await asyncio.sleep(0.01)
        assert await _backend_pid(db) not in (0, pooled)  # no error: a new connection was opened
    finally:
        await db.dispose()


async def test_a_live_pooled_connection_is_used_again_without_reconnecting(
        pg_database_url: str | None, keyring: KeyRing) -> None:
    if pg_database_url is None:
        pytest.skip(PG_SKIP_REASON)
    db = Database(pg_database_url, keyring)
    try:
        assert await _backend_pid(db) == await _backend_pid(db)
    finally:
        await db.dispose()
