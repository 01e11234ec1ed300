"""Provider rate limits: a pacer per channel (its rate on a fixed schedule), a token bucket per
recipient.

Both hand out turns: `reserve(now)` takes the next turn and says how long the caller must wait
before using it. `acquire` waits its turn in a FIFO queue (an asyncio lock) and reserves only when
it is at the head (reserving ahead would release every overdue turn at once, a burst the provider
answers with 429). A chat with a backlog holds one place in the channel's queue at a time, never
the whole queue, because a chat's sender asks for its next turn only after its last send.

The arithmetic is pure (`reserve` takes the time); `acquire` runs it on a monotonic clock and
sleeps. Pacing uses the monotonic clock, not the service clock: it measures the provider's real
seconds, and a test clock that stands still must not stop the sending.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

Monotonic = Callable[[], float]
CATCH_UP_GAP = 2 / 3  # a late turn follows the one before it after at least this share of the interval


class PriorityLock:
    """A lock whose waiters are served best lane first (the lowest number), in arrival order within
    a lane: the channel's next turn goes to a danger reply before a notice (bot.outbox.lanes).
    With `holders` above 1, a semaphore: that many at once, the others queued by lane."""

    def __init__(self, holders: int = 1) -> None:
        self._free = holders
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @asynccontextmanager
    async def __call__(self, lane: int = 0) -> AsyncIterator[None]:
        await self.acquire(lane)
        try:
            yield
        finally:
            self.release()

    async def acquire(self, lane: int = 0) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (lane, next(self._arrivals), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # handed the lock as it was cancelled: pass it on
                self.release()
            raise

    def release(self) -> None:
        while self._waiters:
            _lane, _n, future = heapq.heappop(self._waiters)
            if not future.done():  # a cancelled waiter is skipped
                future.set_result(None)  # held on: the lock passes straight to it
                return
        self._free += 1


class TokenBucket:
    def __init__(self, rate: float, burst: int = 1, monotonic: Monotonic = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("a rate limit needs a positive rate")
        self.rate = rate
        self.capacity = float(max(burst, 1))
        self.monotonic = monotonic
        self.tokens = self.capacity
        self.updated = monotonic()
        self._queue = asyncio.Lock()

    def reserve(self, now: float) -> float:
        """Take a token at `now`; returns the seconds to wait before using it (0: use it now)."""
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def try_take(self, now: float) -> float:
        """Take a token at `now` only if one is there: 0 when taken, else the seconds until one is
        (nothing taken, no debt). For refusing a caller (HTTP 429) rather than making it wait."""
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    async def acquire(self) -> None:
        async with self._queue:
            wait = self.reserve(self.monotonic())
            if wait > 0:
                await asyncio.sleep(wait)


class Pacer:
    """A channel's turns at its rate on a fixed schedule, made up after a stall.

    A token bucket that holds one token forgets lost time: when the event loop or the machine
    stalls past a turn, that turn is gone for good (a loaded machine lost 7% of Telegram's rate).
    Here turn k belongs to the schedule start + k/rate; a late turn is taken as soon as it may be,
    within what the provider counts: at most `per_window` turns (the rate times the window, rounded
    down) in any sliding `window` seconds, and never two closer than `min_gap`: two thirds of the
    interval, so a stall of up to 0.3 s is made up in full at no more than 1.5 times the rate. (At
    twice the rate, turns 17 ms apart left the provider, which counts arrivals by its own clock,
    too little room for the jitter on the way.) A turn is counted from when it is used (`turn`).
    A schedule more than a window behind is idle, not late: it restarts at now, so an idle channel
    never releases stored turns. A `burst` above 1 lets that many turns go at once (no gap).
    """

    def __init__(self, rate: float, burst: int = 1, monotonic: Monotonic = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("a rate limit needs a positive rate")
        self.rate = rate
        self.interval = 1.0 / rate
        self.window = max(1.0, self.interval)
        self.per_window = max(1, math.floor(rate * self.window + 1e-9))
        self.min_gap = 0.0 if burst > 1 else self.interval * CATCH_UP_GAP
        self.ahead = (max(burst, 1) - 1) * self.interval  # how far a turn may run ahead of the schedule
        self.monotonic = monotonic
        self._next: float | None = None  # the schedule's next turn
        self._turns: deque[float] = deque(maxlen=self.per_window)  # the latest turns given
        self._queue = PriorityLock()

    def reserve(self, now: float) -> float:
        """Take the next turn at or after `now`; returns the seconds to wait before using it."""
        if self._next is None or now - self._next > self.window:
            self._next = now
        at = max(now, self._next - self.ahead)
        if self._turns:
            at = max(at, self._turns[-1] + self.min_gap)
        if len(self._turns) == self.per_window:
            at = max(at, self._turns[0] + self.window)
        self._turns.append(at)
        self._next += self.interval
        return at - now

    def turn(self, lane: int = 0) -> AbstractAsyncContextManager[None]:
        """Wait for the next turn and hold it while the request is made ready; leave the block
        right before it is written.

        On a paced channel the next turn is reserved only once this one is used, and counted
        from the moment it is: a turn counted when granted but used later (its row's claim
        waiting for the database, a stall of the loop or of the process) let requests that had
        waited reach the provider together with the next ones, above its limit (2-6 HTTP 429 a
        run of the dispatch bench). A channel that allows bursts has no spacing to keep: its
        turns are granted and the next caller goes on at once (its claims are not queued).
        """
        return self._held_turn(lane) if self.min_gap else self._granted_turn(lane)

    @asynccontextmanager
    async def _held_turn(self, lane: int) -> AsyncIterator[None]:
        async with self._queue(lane):
            wait = self.reserve(self.monotonic())
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                # used late (a busy loop, a slow claim): the provider counts it from now
                self._turns[-1] = max(self._turns[-1], self.monotonic())

    @asynccontextmanager
    async def _granted_turn(self, lane: int) -> AsyncIterator[None]:
        await self.acquire(lane)
        yield

    async def acquire(self, lane: int = 0) -> None:
        """Wait for the next turn (counted from when it is granted)."""
        async with self._queue(lane):
            wait = self.reserve(self.monotonic())
            if wait > 0:
                await asyncio.sleep(wait)
                self._turns[-1] = max(self._turns[-1], self.monotonic())  # woken late: counted from now


class KeyedBuckets:
    """A bucket per key (per chat), forgotten when idle so memory stays bounded."""

    def __init__(self, rate: float, burst: int = 1, idle_after: float = 300.0,
                 monotonic: Monotonic = time.monotonic) -> None:
        self.rate, self.burst, self.idle_after, self.monotonic = rate, burst, idle_after, monotonic
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, key: str, now: float) -> TokenBucket:
        """This key's bucket (full when new); idle ones are forgotten once there are many."""
        if len(self._buckets) > 10_000:
            cutoff = now - self.idle_after
            self._buckets = {k: b for k, b in self._buckets.items() if b.updated > cutoff}
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, self.monotonic)
            bucket.updated = now
        return bucket

    def reserve(self, key: str, now: float) -> float:
        return self.bucket(key, now).reserve(now)

    def try_take(self, key: str, now: float) -> float:
        return self.bucket(key, now).try_take(now)

    async def acquire(self, key: str) -> None:
        await self.bucket(key, self.monotonic()).acquire()
