"""While a danger text is handled and its answers claimed, ordinary work waits to start.

Asyncio has no priorities. On a saturated process (PostgreSQL x2 at 200 msg/s in) every step of her
danger text's handling, and of the claim of her emergency numbers and of the on-call alert, waited a
whole lap of the event loop behind every ordinary delivery in progress: about twenty statements at
up to 30 ms a lap made half a second before her answer was even queued (bench/saturation_bench.py).

So while urgent work is in progress (`hold`: a danger text or quick exit from admission to commit,
then the first send of each chat it queued an urgent message for, until the provider has it), no
ordinary delivery starts; those already started finish. A delivery waits at most `max_wait` seconds,
so a flood of danger words from strangers slows the rest down, but never stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

ORDINARY_WAITS_AT_MOST = 1.0  # seconds an ordinary delivery waits for urgent work to finish


class UrgentFirst:
    def __init__(self, max_wait: float = ORDINARY_WAITS_AT_MOST) -> None:
        self.max_wait = max_wait
        self.waiting = 0  # ordinary deliveries waiting now (tests wait for this, never for a time)
        self._holds = 0
        self._clear = asyncio.Event()
        self._clear.set()

    def hold(self) -> Hold:
        """Urgent work begins now (taken synchronously: an urgent chat's sender takes its hold before
        the delivery that queued it lets go of its own, so no ordinary work starts in between)."""
        self._holds += 1
        self._clear.clear()
        return Hold(self)

    def _let_go(self) -> None:
        self._holds -= 1
        if self._holds == 0:
            self._clear.set()

    async def ordinary_turn(self) -> None:
        """Return when no urgent work is in progress, or after `max_wait` at most."""
        if self._clear.is_set():
            return
        self.waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._clear.wait(), self.max_wait)
        finally:
            self.waiting -= 1


class Hold:
    """One piece of urgent work in progress; `release` is safe to call more than once."""

    def __init__(self, owner: UrgentFirst) -> None:
        self._owner: UrgentFirst | None = owner

    def release(self) -> None:
        if self._owner is not None:
            self._owner._let_go()
            self._owner = None

    def __enter__(self) -> Hold:
        return self

    def __exit__(self, _type: type[BaseException] | None, _value: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self.release()
