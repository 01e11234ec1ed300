"""The bell a worker's open page listens to (bot.storage.bell): rung when a change to her
conversation commits, never for one rolled back; on PostgreSQL also for a change another process
commits (NOTIFY, heard by this process's LISTEN)."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.bell import listen_postgres, ring_on_commit
from bot.storage.db import Database


async def test_a_committed_change_rings_and_a_rolled_back_one_does_not(database_url: str, keyring) -> None:
    db = Database(database_url, keyring)
    try:
        with db.bell.listen(7) as rung, db.bell.listen(8) as other:
            with pytest.raises(RuntimeError):
                async with db.transaction() as s:
                    await ring_on_commit(s, 7)
                    raise RuntimeError("rolled back")
            assert not rung.is_set()
            async with db.transaction() as s:
                await ring_on_commit(s, 7)
            assert rung.is_set() and not other.is_set()
    finally:
        await db.dispose()


async def test_another_process_committing_her_message_wakes_this_one(database_url: str, keyring) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("one process owns a SQLite database")
    here, there = Database(database_url, keyring), Database(database_url, keyring)
    stop = asyncio.Event()
    listening = asyncio.create_task(listen_postgres(database_url, here.bell, stop))
    try:
        with here.bell.listen(42) as rung:
            # LISTEN takes effect once the listener's connection is up: ring until it hears one
            async with asyncio.timeout(60):
                while not rung.is_set():
                    async with there.transaction() as s:
                        await ring_on_commit(s, 42)
                    await asyncio.wait({asyncio.ensure_future(rung.wait())}, timeout=0.2)
    finally:
        stop.set()
        await listening
        await here.dispose()
        await there.dispose()
