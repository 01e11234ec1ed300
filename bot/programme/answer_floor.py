"""Every answer to the programme's side leaves a fixed time after its request arrived.

The programme's side must never learn whether a case is linked to her (docs/DESIGN.md). Its events are
answered before they are matched (settler.py), but the matching then shares this process with whatever
the programme sends next: a request timed to land inside it is slowed by a linked case's extra work
(`bench/programme_timing_bench.py --probe`: +26 % to +92 % at the median on PostgreSQL). Answering each of the
programme's requests (its API, its staff's console pages) at the same moment after its arrival hides
that, and how long its own work took, as long as that work takes less than the floor. An answer later
than the floor is logged (`programme.answer_late`) so that an operator can raise it
(PROGRAMME_ANSWER_FLOOR_SECONDS).

The programme's handlers mark their request (`mark_programme_side`); the service's outermost
middleware holds a marked answer until the floor. The wait is on the event loop's monotonic time: a
pause before a socket write, not the service's "now" (a test clock that stands still must not hold
answers forever)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.logs import log_event

_PROGRAMME_SIDE = web.RequestKey("programme_side", bool)


def mark_programme_side(request: web.Request) -> None:
    """This request comes from the programme's side: its answer waits for the floor."""
    request[_PROGRAMME_SIDE] = True


def answer_floor(seconds: float) -> Middleware:
    """The middleware: a marked request's answer (or raised redirect or error) leaves `seconds` after
    it reached this middleware, which is to be the application's first. A floor of 0 holds nothing."""

    @web.middleware
    async def floored(request: web.Request, handler: Handler) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        leave_at = loop.time() + seconds
        try:
            return await handler(request)
        finally:
            if seconds > 0 and request.get(_PROGRAMME_SIDE):
                late = loop.time() - leave_at
                if late > 0:
                    log_event("programme.answer_late", late_ms=round(late * 1000, 1))
                else:
                    await asyncio.sleep(-late)

    return floored
