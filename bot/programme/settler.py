"""Programme events are answered first and matched after (bot.programme.intake.receive): this runs the
matching in the background, one event after another, and at start matches any event a stopped
process stored but never matched. `settled()` waits until nothing is left to do (tests, shutdown)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from bot.logs import log_event
from bot.programme.intake import settle_stored, unsettled
from bot.storage.db import Database

Replan = Callable[[Iterable[int]], Awaitable[None]]
# the matching starts this long after the answer was handed to the connection, so it never competes
# with the answer's sending (scheduling only: the service clock does not come into it)
AFTER_THE_ANSWER = 0.05


class Settler:
    def __init__(self, db: Database, replan: Replan | None = None) -> None:
        self.db, self.replan = db, replan
        self._queue: asyncio.Queue[tuple[int, str]] | None = None
        self._worker: asyncio.Task[None] | None = None

    def submit(self, event_id: int, actor: str) -> None:
        """Match this stored event soon (never before its sender has had the answer)."""
        if self._queue is None:
            self._queue = asyncio.Queue()
        self._queue.put_nowait((event_id, actor))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="programme-settler")

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            event_id, actor = await self._queue.get()
            await asyncio.sleep(AFTER_THE_ANSWER)
            try:
                await settle_stored(self.db, event_id, actor=actor, replan=self.replan)
            except Exception:  # it stays unsettled; the next start matches it
                log_event("programme.settle_failed", logging.ERROR, event_id=event_id, exc_info=True)
            finally:
                self._queue.task_done()

    async def recover(self) -> None:
        """At start: every event stored but not matched (a process stopped in between)."""
        for event_id, actor in await unsettled(self.db):
            self.submit(event_id, actor)

    async def settled(self) -> None:
        """Until every submitted event is matched."""
        if self._queue is not None:
            await self._queue.join()

    async def stop(self) -> None:
        await self.settled()
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
