"""The one source of "now" for the running service.

A clock is any zero-argument callable returning an aware UTC datetime. The service holds one
(`Service.clock`) and passes it to everything that needs the time: the dispatcher, the inbound
pipeline, the scheduled jobs, the console, and the database's column defaults (see
`bot.storage.db`). Tests hand the service a `ManualClock` and move it; nothing reads the wall
clock behind its back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, in UTC: the default outside tests."""
    return datetime.now(UTC)


class ManualClock:
    """A clock a test sets and moves. Frozen unless `tick` is set, when it runs on from where it was set
    at the speed of the machine's monotonic clock (timers and leases still expire while the test waits)."""

    def __init__(self, start: datetime, *, tick: bool = False) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._at = start.astimezone(UTC)
        self._tick = tick
        self._set_at = time.monotonic()

    def __call__(self) -> datetime:
        if self._tick:
            return self._at + timedelta(seconds=time.monotonic() - self._set_at)
        return self._at

    @property
    def now(self) -> datetime:
        return self()

    def set(self, when: datetime) -> datetime:
        self._at = when.astimezone(UTC)
        self._set_at = time.monotonic()
        return self._at

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move on by `delta` (or `timedelta(**kwargs)`); returns the new now."""
        return self.set(self() + (delta if delta is not None else timedelta(**kwargs)))
