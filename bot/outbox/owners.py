"""Who holds an outbox claim, and whether that process is still alive.

A claimed row (`sending`) names its owner: this process's random id. A process that starts, and
every live one every few seconds, releases the claims of owners that are gone, without waiting for
the claim's lease (60 s: her quick exit stayed on her screen that long after a crash):
- PostgreSQL: each process holds a session advisory lock on its id for as long as it lives; the
  server lets go of it the moment the process's connection ends (kill -9, OOM, a lost host). An
  owner whose lock can be taken is dead, exactly, with no timing to guess under load.
- SQLite is one process's database: a claim of another owner found when this process starts was
  left by its previous incarnation. (Claims made after the start by some other process are left
  to their lease, as before.)
A live process whose connection to PostgreSQL broke looks dead too: its claims become `in_doubt`
(never resent) and its deletions are repeated (harmless); it takes its lock again at once.
"""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.logs import log_event
from bot.storage.db import Database

LOCK_CLASS = 24_024  # the first key of the two-key advisory locks that mark a live outbox owner
PROCESS_OWNER = secrets.randbits(31) + 1  # this process: every dispatcher in it claims as one owner


class Owners:
    """This process's mark of life and the test of another owner's."""

    def __init__(self, db: Database, owner: int = PROCESS_OWNER) -> None:
        self.db = db
        self.owner = owner
        self._alive: AsyncConnection | None = None

    async def hold(self) -> None:
        """Keep (or take again, after a lost connection) this process's advisory lock."""
        if self.db.is_sqlite:
            return
        if self._alive is not None and not self._alive.closed:
            try:
                await self._alive.execute(text("SELECT 1"))
                return
            except Exception:
                await self._forget()
        conn = await self.db.engine.execution_options(isolation_level="AUTOCOMMIT").connect()
        try:
            # try: another dispatcher of this process may hold it already (the lock is the process's)
            await conn.execute(text("SELECT pg_try_advisory_lock(:c, :k)"), {"c": LOCK_CLASS, "k": self.owner})
        except Exception:
            await conn.close()
            raise
        self._alive = conn

    async def dead(self, conn: AsyncConnection | None, owners: set[int], *, at_start: bool) -> set[int]:
        """Those of `owners` (other processes) that are gone. On PostgreSQL each one found dead
        was locked for the test and is let go at once (its id is never used again)."""
        others = {o for o in owners if o != self.owner}
        if conn is None:  # SQLite
            return others if at_start else set()
        gone = set()
        for other in others:
            if (await conn.execute(text("SELECT pg_try_advisory_lock(:c, :k)"),
                                   {"c": LOCK_CLASS, "k": other})).scalar():
                gone.add(other)
                await conn.execute(text("SELECT pg_advisory_unlock(:c, :k)"), {"c": LOCK_CLASS, "k": other})
        if gone:
            log_event("outbox.dead_owners", logging.WARNING, count=len(gone))
        return gone

    async def _forget(self) -> None:
        conn, self._alive = self._alive, None
        if conn is not None:
            try:  # ended, not handed back to the pool: the server lets go of the lock with it
                await conn.invalidate()
                await conn.close()
            except Exception:
                log_event("outbox.owner_lock_close_failed", logging.WARNING)

    async def close(self) -> None:
        await self._forget()
