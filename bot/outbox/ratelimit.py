"""Provider rate limits as token buckets: one per channel, one per recipient.

A bucket hands out turns: `reserve(now)` takes a token (going into debt when none is left) and says
how long the caller must wait before using it. `acquire` waits its turn in a FIFO queue (an
asyncio lock) and reserves only when it is at the head, so turns go out at the rate even after the
event loop stalled (reserving ahead would release every overdue turn at once, a burst the provider
answers with 429). A chat with a backlog holds one place in the channel's queue at a time, never
the whole queue, because a chat's sender asks for its next turn only after its last send.

The arithmetic is pure (`reserve` takes the time); `acquire` runs it on a monotonic clock and
sleeps. Pacing uses the monotonic clock, not the service clock: it measures the provider's real
seconds, and a test clock that stands still must not stop the sending.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

Monotonic = Callable[[], float]


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
