"""Engines and sessions. Transactions belong to the caller: helpers take a session, never commit.

SQLite lets one writer in at a time and makes the others poll for the lock (busy_timeout: sleeps
of 1 to 100 ms, longer and longer), so under load a write waited seconds for a lock that had been
free for most of that time. On SQLite this process's write transactions therefore take turns on an
asyncio lock first, in arrival order, and meet the database lock free; readers (WAL) never wait.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.clock import Clock, system_clock
from bot.policies import Policies
from bot.storage.audit import AuditedSession  # every audit row is sealed into the hash chain as it is flushed
from bot.storage.bell import BELL, Bell
from bot.storage.pg_liveness import check_at_checkout
from bot.storage.sqlite_inline import inline_connector
from bot.storage.types import attach_keyring, keyring_of
from safety.crypto import KeyRing

POLICIES = "liaison_policies"  # the key of a session's `info` that holds the service's policies
PG_POOL_SIZE = 12  # connections a process keeps open (two processes: 24 of PostgreSQL's default 100)
PG_POOL_OVERFLOW = 12  # and may open beyond them for a burst


def async_url(url: str) -> str:
    """The async-driver form of a DATABASE_URL (sqlite -> aiosqlite, postgresql -> psycopg)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return str(u.set(drivername="sqlite+aiosqlite"))
    if u.get_backend_name() == "postgresql":
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database backend {u.get_backend_name()!r}: use sqlite or postgresql")


def sync_url(url: str) -> str:
    """The sync-driver form, for Alembic."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return str(u.set(drivername="sqlite"))
    if u.get_backend_name() == "postgresql":
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database backend {u.get_backend_name()!r}: use sqlite or postgresql")


def ensure_sqlite_dir(url: str) -> None:
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_file(url: str) -> str:
    """The file a sqlite:/// URL names, absolute (as SQLAlchemy resolves it when the engine is made)."""
    database = make_url(url).database or ":memory:"
    return database if database == ":memory:" else str(Path(database).absolute())


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=0")  # waited for off the loop's back (bot.storage.sqlite_inline)
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class Database:
    """One async engine, its session factory, the key ring its encrypted columns use, and the
    service's policies its sessions carry (`session_policies`)."""

    def __init__(self, url: str, keyring: KeyRing, clock: Clock = system_clock,
                 policies: Policies | None = None) -> None:
        ensure_sqlite_dir(url)
        self.url = url
        self.keyring = keyring
        self.clock = clock
        self.policies = policies or Policies()
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        # the clock rides on the engine so column defaults (bot.storage.types.utcnow) read it
        if self.is_sqlite:  # a file: no connection to go stale, nothing to ping
            self.engine: AsyncEngine = create_async_engine(
                async_url(url), async_creator=inline_connector(_sqlite_file(url)),
                execution_options={"clock": clock})
        else:
            # a pool that keeps as many connections as a busy process uses at once: the default 5 made
            # every connection beyond them a new PostgreSQL session per use (a backend started and torn down)
            # and no ping per checkout: a connection the server ended is found on its socket instead
            self.engine = create_async_engine(async_url(url), pool_size=PG_POOL_SIZE,
                                              max_overflow=PG_POOL_OVERFLOW, execution_options={"clock": clock})
            check_at_checkout(self.engine)
        attach_keyring(self.engine.sync_engine.dialect, keyring)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.bell = Bell()  # streams waiting for her conversation to change (bot.storage.bell)
        info = {POLICIES: self.policies, BELL: self.bell}
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, info=info,
                                           sync_session_class=AuditedSession)
        # for reading only (on PostgreSQL each statement commits by itself: never write in one): a
        # lone SELECT needs no BEGIN and ROLLBACK round trips around it (SQLite's driver reads
        # outside a transaction already)
        self.reads = self.sessions if self.is_sqlite else async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False, info=info,
            sync_session_class=AuditedSession)
        self._writer_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary())
        self._writing: contextvars.ContextVar[bool] = contextvars.ContextVar("writing", default=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits together or not at all."""
        if not self.is_sqlite or self._writing.get():  # a nested one waits for SQLite's lock as before
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._writer_lock():
            token = self._writing.set(True)
            try:
                async with self.sessions() as session, session.begin():
                    yield session
            finally:
                self._writing.reset(token)

    def _writer_lock(self) -> asyncio.Lock:
        """This event loop's turn-taking lock for SQLite writers (tests run several loops)."""
        loop = asyncio.get_running_loop()
        lock = self._writer_locks.get(loop)
        if lock is None:
            lock = self._writer_locks[loop] = asyncio.Lock()
        return lock

    async def dispose(self) -> None:
        await self.engine.dispose()


def session_keyring(session: AsyncSession) -> KeyRing:
    """The key ring of the database a session works on (for work that holds only the session)."""
    bind = session.bind
    assert bind is not None, "a session of a Database"
    return keyring_of(bind.dialect)


def session_policies(session: AsyncSession) -> Policies:
    """The service's policies (SLA, notices) for the rows this session writes."""
    policies = session.info.get(POLICIES)
    assert isinstance(policies, Policies), "a session of a Database"
    return policies
