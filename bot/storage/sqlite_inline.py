"""SQLite on the event loop's own thread: aiosqlite's interface without its worker thread.

aiosqlite runs every call (cursor, execute, fetch, close, commit) on a thread of its own and wakes
the event loop with the result: about a hundred thread hand-overs per inbound message here, each
waiting for a CPU and the GIL on a busy machine. SQLite's calls for this service take micro-
seconds, so they run right here instead; the awaited future is already done, so nothing yields.
A COMMIT does not wait for the disk (synchronous=NORMAL in WAL mode, bot.storage.db).

Only waiting must not block the loop: SQLite's own busy handler would sleep inside the call while
another process (a CLI command) holds the write lock. These connections have busy_timeout 0 and
wait here instead, with asyncio sleeps, for as long as the busy timeout allows. Writers of this
process take turns before they write (bot.storage.db), so they never wait for each other here.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

BUSY_TIMEOUT_SECONDS = 10.0
# the codes SQLite's own busy handler waits on: another connection holds the lock, or is
# recovering the WAL (not BUSY_SNAPSHOT: a stale snapshot never gets better by waiting)
_WAIT_ON = frozenset({sqlite3.SQLITE_BUSY, 261})  # 261: SQLITE_BUSY_RECOVERY
_WAITS = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.025, 0.025, 0.05, 0.05, 0.1)  # as SQLite's


class _RunNow:
    """Stands in for aiosqlite's queue to its worker thread: runs each call as it is queued."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # handed to the caller, as the worker thread would
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the caller's thread, waiting for a lock held
    by another process with asyncio sleeps rather than inside SQLite."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_timeout: float) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]
        self._busy_timeout = busy_timeout

    def __await__(self) -> Any:  # no worker thread to start
        return self._connect().__await__()

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        deadline: float | None = None
        attempt = 0
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", None) not in _WAIT_ON:
                    raise
                now = time.monotonic()
                deadline = deadline if deadline is not None else now + self._busy_timeout
                if now >= deadline:
                    raise
                await asyncio.sleep(min(_WAITS[min(attempt, len(_WAITS) - 1)], deadline - now))
                attempt += 1


def inline_connector(path: str, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> Callable[[], Any]:
    """An `async_creator` for SQLAlchemy's aiosqlite dialect (create_async_engine) opening `path`."""

    async def connect() -> InlineConnection:
        conn = InlineConnection(partial(sqlite3.connect, path, check_same_thread=False), busy_timeout)
        return await conn

    return connect
