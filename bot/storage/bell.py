"""Who is waiting to hear that her conversation changed (a worker's open page, issue 28), woken
the moment the change is committed: no page polls.

A transaction that changes her conversation (her message stored, our reply queued or sent, the
conversation held or ended) calls `ring_on_commit(session, survivor_id)`; when that transaction
commits, every stream listening for her is woken (`Bell.listen`). Several processes on PostgreSQL:
the same call also sends `NOTIFY liaison_live` inside the transaction (PostgreSQL delivers it on
commit, never on rollback), and each process's listener rings its own bell (`listen_postgres`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.logs import log_event

BELL = "liaison_bell"  # the key of a session's `info` holding its database's Bell
RINGS = "liaison_bell_rings"  # ... and the survivors this transaction will ring for
CHANNEL = "liaison_live"


class Bell:
    """Per survivor, the events of the streams listening for her, set when a change commits."""

    def __init__(self) -> None:
        self._waiting: dict[int, set[asyncio.Event]] = {}

    def ring(self, survivor_ids: Iterable[int]) -> None:
        for survivor_id in survivor_ids:
            for waiter in self._waiting.get(survivor_id, ()):
                waiter.set()

    @contextlib.contextmanager
    def listen(self, survivor_id: int) -> Iterator[asyncio.Event]:
        """An event set at each commit that changes her conversation (clear it before reading)."""
        waiter = asyncio.Event()
        self._waiting.setdefault(survivor_id, set()).add(waiter)
        try:
            yield waiter
        finally:
            waiters = self._waiting.get(survivor_id, set())
            waiters.discard(waiter)
            if not waiters:
                self._waiting.pop(survivor_id, None)


async def ring_on_commit(session: AsyncSession, survivor_id: int | None) -> None:
    """Wake whoever watches her conversation once this transaction commits."""
    if survivor_id is None:
        return
    session.info.setdefault(RINGS, set()).add(survivor_id)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, str(survivor_id))))


def _after_commit(session: Session) -> None:
    rings = session.info.pop(RINGS, None)
    bell = session.info.get(BELL)
    if rings and isinstance(bell, Bell):
        bell.ring(rings)


def _after_rollback(session: Session) -> None:
    session.info.pop(RINGS, None)


def install(session_class: type[Session]) -> None:
    event.listen(session_class, "after_commit", _after_commit)
    event.listen(session_class, "after_soft_rollback", lambda s, _t: _after_rollback(s))


async def listen_postgres(url: str, bell: Bell, stop: asyncio.Event) -> None:
    """Ring `bell` for every change another process commits (LISTEN liaison_live), until `stop`. A
    lost connection is logged and taken up again a second later (this process's own changes ring
    its bell without it)."""
    import psycopg  # PostgreSQL only: the SQLite default never loads its driver (10 MB resident)

    while not stop.is_set():
        try:
            await _listen(url, bell, stop)
        except (OSError, psycopg.Error):
            log_event("bell.listen_lost", logging.WARNING, exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


async def _listen(url: str, bell: Bell, stop: asyncio.Event) -> None:
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute(f"LISTEN {CHANNEL}")
        gen = conn.notifies()
        stopping = asyncio.ensure_future(stop.wait())
        nxt: Any = None
        try:
            while not stop.is_set():
                nxt = asyncio.ensure_future(anext(gen))
                done, _ = await asyncio.wait({nxt, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if nxt not in done:
                    break
                note = nxt.result()
                if note.payload.isdigit():
                    bell.ring([int(note.payload)])
        finally:
            # the wait for a notification holds the connection: it must end before the connection can
            # close, whether we stop or are cancelled (a shutdown that cancels us hung here otherwise)
            stopping.cancel()
            if nxt is not None and not nxt.done():
                nxt.cancel()
                with contextlib.suppress(asyncio.CancelledError, psycopg.Error):
                    await nxt
