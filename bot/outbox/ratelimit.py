"""Token buckets for provider rate limits: one per channel, one per recipient."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    def __init__(self, rate: float, burst: int = 1) -> None:
        self.rate = rate
        self.capacity = float(max(burst, 1))
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    async def acquire(self) -> None:
        async with self._lock:
            self._refill()
            if self.tokens < 1:
                await asyncio.sleep((1 - self.tokens) / self.rate)
                self._refill()
            self.tokens -= 1


class KeyedBuckets:
    """A bucket per key (per chat), forgotten when idle so memory stays bounded."""

    def __init__(self, rate: float, burst: int = 1, idle_after: float = 300.0) -> None:
        self.rate, self.burst, self.idle_after = rate, burst, idle_after
        self._buckets: dict[str, TokenBucket] = {}

    async def acquire(self, key: str) -> None:
        if len(self._buckets) > 10_000:
            cutoff = time.monotonic() - self.idle_after
            self._buckets = {k: b for k, b in self._buckets.items() if b.updated > cutoff}
        bucket = self._buckets.setdefault(key, TokenBucket(self.rate, self.burst))
        await bucket.acquire()
