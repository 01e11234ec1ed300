"""The escalation queue: the page, its rows, live updates (Server-Sent Events); an escalation's page; claim,
note, resolve (its holder or a supervisor), reassign (a supervisor)."""

from __future__ import annotations

import asyncio
import json
import re
from contextlib import suppress

from aiohttp import web
from sqlalchemy import func, select

from bot.oncall import claims
from bot.storage.models import Escalation, StaffMember
from console import cases
from console.headers import prepare_stream
from console.inputs import path_id
from console.pages import CSRF, STOP_KEY, me, render, render_fragment, see_other, svc
from console.permissions import LIAISON
from console.staff.sessions import current
from console.texts import _

POLL_SECONDS = 0.25  # how often the stream looks for a change (a danger signal never waits long)
KEEPALIVE_POLLS = 60


async def queue_page(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    async with service.db.sessions() as s:
        rows = await cases.open_queue(s, service.clock())
        urgent = await cases.urgent_open(s)
    return render(request, "queue.html", title=_("({n} urgent) Queue", n=urgent) if urgent else _("Queue"),
                  rows=rows, urgent=urgent, outcomes=cases.OUTCOMES)


async def queue_rows(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    async with service.db.sessions() as s:
        rows = await cases.open_queue(s, service.clock())
    html = render_fragment(request, "queue_rows.html", rows=rows, csrf=request[CSRF], outcomes=cases.OUTCOMES,
                           me=me(request))
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})


async def _signature(service: object) -> tuple[object, ...]:
    async with service.db.sessions() as s:  # type: ignore[attr-defined]
        open_ = Escalation.status.in_(("open", "claimed"))
        row = (await s.execute(select(func.max(Escalation.id), func.count(Escalation.id),
                                      func.count(Escalation.holder_id)).where(open_))).one()
        urgent = await s.scalar(select(func.count(Escalation.id)).where(open_, Escalation.priority == "urgent"))
    return (*tuple(row), urgent)


async def queue_events(request: web.Request) -> web.StreamResponse:
    """A `queue` event whenever the open queue changes; the page then fetches its rows."""
    service = svc(request)
    stop = request.app[STOP_KEY]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    prepare_stream(request, response)
    await response.prepare(request)
    last: tuple[object, ...] | None = None
    polls = 0
    token = request.cookies.get("liaison_console")
    with suppress(ConnectionResetError, asyncio.CancelledError):
        while not stop.is_set():
            sig = await _signature(service)
            if sig != last:
                last = sig
                await response.write(f"event: queue\ndata: {json.dumps({'urgent': sig[3]})}\n\n".encode())
            polls += 1
            if polls % KEEPALIVE_POLLS == 0:
                async with service.db.transaction() as s:  # the session still lives (idle/absolute expiry)
                    if await current(s, token, service.clock(), touch=False) is None:
                        break
                await response.write(b": keep-alive\n\n")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
    return response


def _id(request: web.Request) -> int:
    return path_id(request)


async def _back(request: web.Request) -> str:
    """Where a worker acted from: the alert's own page (`?from=escalation`, or the form's `back`), else the queue."""
    if request.query.get("from") == "escalation":
        return f"/console/escalations/{_id(request)}"
    back = str((await request.post()).get("back", ""))
    return back if re.fullmatch(r"/console/escalations/[0-9]+", back) else "/console/queue"


async def claim(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    async with service.db.transaction() as s:
        if await s.get(Escalation, _id(request)) is None:
            raise web.HTTPNotFound()
        holder = await claims.claim(s, _id(request), me(request), service.clock())
    service.dispatcher.wake()  # the on-call alerts say who took it
    if holder is None:
        raise see_other(await _back(request), _("You hold alert #{id} now.", id=_id(request)))
    if not holder:
        raise see_other(await _back(request), _("Alert #{id} is closed already.", id=_id(request)), "error")
    raise see_other(await _back(request), _("Alert #{id} is already held by {name}.", id=_id(request), name=holder),
                    "error")


async def note(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    body = str(form.get("note", "")).strip()
    async with service.db.transaction() as s:
        esc = await s.get(Escalation, _id(request))
        if esc is None:
            raise web.HTTPNotFound()
        if not body:
            raise see_other(await _back(request), _("A note cannot be empty."), "error")
        await cases.add_note(s, esc, me(request), body[:4000], service.clock())
    raise see_other(await _back(request), _("Note added to #{id}.", id=esc.id))


async def resolve(request: web.Request) -> web.StreamResponse:
    """Only its holder or a supervisor resolves an escalation (an unclaimed one: claim it first)."""
    service = svc(request)
    form = await request.post()
    member = me(request)
    async with service.db.transaction() as s:
        esc = await s.get(Escalation, _id(request))
        if esc is None:
            raise web.HTTPNotFound()
        if not cases.may_resolve(esc, member):
            raise see_other(await _back(request), _("Only whoever holds alert #{id}, or a supervisor, can resolve it. "
                                              "Claim it first.", id=esc.id) if esc.holder_id is None else
                            _("Only whoever holds alert #{id}, or a supervisor, can resolve it.", id=esc.id), "error")
        if not await cases.resolve(s, esc, member, str(form.get("outcome", "")), service.clock()):
            raise see_other(await _back(request), _("Choose an outcome from the list."), "error")
    service.dispatcher.wake()  # the on-call alerts say who took it
    raise see_other(await _back(request), _("Alert #{id} resolved.", id=esc.id))


async def reassign(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    async with service.db.transaction() as s:
        esc = await s.get(Escalation, _id(request))
        to = await s.scalar(select(StaffMember).where(StaffMember.name == str(form.get("to", ""))))
        if esc is None:
            raise web.HTTPNotFound()
        if to is None or to.status != "active" or not LIAISON & set(to.roles or []):
            raise see_other(await _back(request), _("Reassign to the name of an active liaison worker or supervisor."),
                            "error")
        if esc.status == "closed":
            raise see_other(await _back(request), _("Alert #{id} is closed already.", id=esc.id), "error")
        await cases.reassign(s, esc, me(request), to, service.clock())
    service.dispatcher.wake()  # the on-call alerts say who took it
    raise see_other(await _back(request), _("Alert #{id} reassigned to {name}.", id=esc.id, name=to.name))


HANDLERS = {
    ("GET", "/console/queue"): queue_page,
    ("GET", "/console/queue/rows"): queue_rows,
    ("GET", "/console/queue/events"): queue_events,
    ("POST", "/console/escalations/{id}/claim"): claim,
    ("POST", "/console/escalations/{id}/note"): note,
    ("POST", "/console/escalations/{id}/resolve"): resolve,
    ("POST", "/console/escalations/{id}/reassign"): reassign,
}
