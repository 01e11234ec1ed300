"""Engines and sessions. Transactions belong to the caller: helpers take a session, never commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.clock import Clock, system_clock
from bot.storage.types import attach_keyring, keyring_of
from safety.crypto import KeyRing


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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Database:
    """One async engine, its session factory, and the key ring its encrypted columns use."""

    def __init__(self, url: str, keyring: KeyRing, clock: Clock = system_clock) -> None:
        from bot.audit import install_audit_chain

        install_audit_chain()  # every audit row is sealed into the hash chain as it is flushed
        ensure_sqlite_dir(url)
        self.url = url
        self.keyring = keyring
        self.clock = clock
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        # the clock rides on the engine so column defaults (bot.storage.types.utcnow) read it
        self.engine: AsyncEngine = create_async_engine(async_url(url), pool_pre_ping=True,
                                                       execution_options={"clock": clock})
        attach_keyring(self.engine.sync_engine.dialect, keyring)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits together or not at all."""
        async with self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def session_keyring(session: AsyncSession) -> KeyRing:
    """The key ring of the database a session works on (for work that holds only the session)."""
    bind = session.bind
    assert bind is not None, "a session of a Database"
    return keyring_of(bind.dialect)
