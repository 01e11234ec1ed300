"""Programme events are answered first and matched after (bot.programme.intake.receive): this runs the
matching in the background, one event after another, and at start matches any event a stopped
process stored but never matched. `settled()` waits until nothing is left to do (tests, shutdown).

Matching a linked case is more work than finding none (her milestones, her notice, her waves). Run
while another request is being answered, that work would slow the answer, and the programme's side,
timing its next request, would learn that the last case was linked. So the matching waits for a pause
in the service's requests (`Traffic`), and gives up waiting only after `AT_MOST` (a busy service
still matches within seconds: her notice must not wait for a quiet hour). A sender who times his next
request to land inside the matching (bench/programme_timing_bench.py --probe-delay-ms) shares this
process's time with it: every answer to the programme's side therefore leaves at a fixed time after
its arrival (answer_floor.py), and the audit chain's lock, which made him wait for all of it on
PostgreSQL, is taken only as a transaction commits (bot/audit.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager

from bot.logs import log_event
from bot.programme.intake import settle_stored, unsettled
from bot.storage.db import Database

Replan = Callable[[Iterable[int]], Awaitable[None]]
# the matching starts once no request has been answered for this long, so it never competes with an
# answer (scheduling only: the service clock does not come into it), and waits at most AT_MOST for that
AFTER_THE_ANSWER = 0.05
AT_MOST = 2.0


class Traffic:
    """The web requests being answered now, and when the last one ended (the loop's time)."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.last_end = float("-inf")
        self._idle = asyncio.Event()
        self._idle.set()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around one request's handling (a middleware of the web app)."""
        self.in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.in_flight -= 1
            self.last_end = asyncio.get_running_loop().time()
            if not self.in_flight:
                self._idle.set()

    async def pause(self, quiet: float = AFTER_THE_ANSWER, at_most: float = AT_MOST) -> None:
        """Until no request has been answered for `quiet` seconds, or `at_most` seconds have passed."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + at_most
        while (now := loop.time()) < give_up:
            if self.in_flight:
                try:
                    await asyncio.wait_for(self._idle.wait(), give_up - now)
                except TimeoutError:
                    return
                continue
            wait = self.last_end + quiet - now
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, give_up - now))


class Settler:
    def __init__(self, db: Database, replan: Replan | None = None, traffic: Traffic | None = None) -> None:
        self.db, self.replan = db, replan
        self.traffic = traffic or Traffic()
        self._queue: asyncio.Queue[tuple[int, str]] | None = None
        self._worker: asyncio.Task[None] | None = None

    def submit(self, event_id: int, actor: str) -> None:
        """Match this stored event soon: after its sender has had the answer, in a pause of the requests."""
        if self._queue is None:
            self._queue = asyncio.Queue()
        self._queue.put_nowait((event_id, actor))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="programme-settler")

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            event_id, actor = await self._queue.get()
            await self.traffic.pause()
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
