"""An escalation's own page (issue 28): what raised it, her conversation (live: Server-Sent Events,
woken by the commit of each change, bot.storage.bell), the notes, and, for the worker who holds
it, writing to her and ending the conversation. Every view of her words is audited."""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot import live_chat
from bot.escalations import sla_state
from bot.storage.audit import audit
from bot.storage.models import Escalation, StaffMember, Survivor
from console import cases
from console.headers import prepare_stream
from console.inputs import path_id
from console.pages import STOP_KEY, me, render, render_fragment, see_other, svc
from console.staff.sessions import current
from console.texts import _

KEEPALIVE_SECONDS = 15.0  # a comment line now and then keeps proxies from closing a quiet stream
END_NOTES = {
    "quick_exit": "She used quick exit: the conversation has ended. Do not write to her now.",
    "stopped": "She stopped all messages: the conversation has ended.",
    "idle": "The conversation ended after a quiet spell; she was told in her cover wording.",
    "worker": "The conversation was ended; she was told in her cover wording.",
    "resolved": "The conversation ended with the alert; she was told in her cover wording.",
}


def since(request: web.Request, now: datetime) -> datetime:
    """The retention window: older message texts are removed anyway, none older is shown."""
    return now - timedelta(days=svc(request).settings.retention_message_days)


async def conversation_view(s: AsyncSession, request: web.Request, survivor: Survivor, now: datetime,
                            esc: Escalation | None = None) -> dict[str, Any]:
    """What `_conversation.html` shows: her messages and ours, who holds the conversation, how the
    last one ended."""
    lines = await live_chat.transcript(s, survivor.id, since(request, now), esc.inbound_id if esc else None)
    conv = await live_chat.held(s, survivor.id)
    holder = await s.get(StaffMember, conv.staff_id) if conv is not None and conv.staff_id else None
    ended = await live_chat.last_ended(s, survivor.id) if conv is None else None
    ended_note = END_NOTES.get(ended.end_reason or "") if ended is not None else None
    return {"lines": lines, "held_by": holder.name if holder else None, "held_by_me": holder is not None
            and holder.id == me(request).id, "ended_note": ended_note,
            "live_escalation": esc.id if esc is not None else None}


async def _escalation(s: AsyncSession, request: web.Request) -> tuple[Escalation, Survivor | None]:
    esc = await s.get(Escalation, path_id(request))
    if esc is None:
        raise web.HTTPNotFound(text="no such alert")
    survivor = await s.get(Survivor, esc.survivor_id) if esc.survivor_id is not None else None
    if survivor is not None and survivor.status == "erased":
        survivor = None
    return esc, survivor


async def escalation_page(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    now = service.clock()
    async with service.db.transaction() as s:
        esc, survivor = await _escalation(s, request)
        holder = await s.get(StaffMember, esc.holder_id) if esc.holder_id else None
        conversation = await conversation_view(s, request, survivor, now, esc) if survivor else None
        notes = await live_chat.notes(s, escalation_id=esc.id)
        audit(s, f"staff:{me(request).id}", "conversation.viewed", survivor=survivor.pseudonym if survivor else None,
              now=now, escalation_id=esc.id, messages=len(conversation["lines"]) if conversation else 0)
    return render(request, "escalation.html", title=_("Alert #{id}", id=esc.id), e=esc, esc=esc, s=survivor,
                  pseudonym=survivor.pseudonym if survivor else None, holder=holder.name if holder else None,
                  sla=sla_state(esc, now), sla_left=cases.sla_clock(esc, now), outcomes=cases.OUTCOMES,
                  row={"id": esc.id, "holder_id": esc.holder_id}, conversation=conversation, notes=notes,
                  back=f"/console/escalations/{esc.id}")


async def _wait(rung: asyncio.Event, stop: asyncio.Event, keepalive: float) -> bool:
    """Until her conversation changes (True), the server stops or the keep-alive is due (False)."""
    waiters = {asyncio.ensure_future(rung.wait()), asyncio.ensure_future(stop.wait())}
    try:
        await asyncio.wait(waiters, timeout=keepalive, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return rung.is_set() and not stop.is_set()


async def events(request: web.Request) -> web.StreamResponse:
    """A `conversation` event with the section's new HTML whenever her conversation changes: woken by
    the commit that changed it, never by polling."""
    service = svc(request)
    stop = request.app[STOP_KEY]
    async with service.db.transaction() as s:
        esc, survivor = await _escalation(s, request)
        if survivor is None:
            raise web.HTTPNotFound(text="no conversation")
        audit(s, f"staff:{me(request).id}", "conversation.watched", survivor=survivor.pseudonym,
              now=service.clock(), escalation_id=esc.id)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    prepare_stream(request, response)
    await response.prepare(request)
    token = request.cookies.get("liaison_console")
    last: str | None = None
    with suppress(ConnectionResetError, asyncio.CancelledError), service.db.bell.listen(survivor.id) as rung:
        while not stop.is_set():
            rung.clear()  # before reading: a change committed while we read rings again
            async with service.db.sessions() as s:
                her = await s.get(Survivor, survivor.id)
                if her is None or her.status == "erased":
                    break
                view = await conversation_view(s, request, her, service.clock(), esc)
            html = render_fragment(request, "_conversation.html", conversation=view, csrf="", me=me(request))
            if html != last:
                last = html
                await response.write(f"event: conversation\ndata: {json.dumps({'html': html})}\n\n".encode())
            if not await _wait(rung, stop, KEEPALIVE_SECONDS) and not stop.is_set():
                async with service.db.transaction() as s:  # the session still lives (idle/absolute expiry)
                    if await current(s, token, service.clock(), touch=False) is None:
                        break
                await response.write(b": keep-alive\n\n")
    return response


async def reply(request: web.Request) -> web.StreamResponse:
    """The worker who holds the alert writes to her; from now her free text comes to them."""
    service = svc(request)
    form = await request.post()
    body = str(form.get("body", "")).strip()
    now = service.clock()
    page = f"/console/escalations/{path_id(request)}"
    async with service.db.transaction() as s:
        esc, survivor = await _escalation(s, request)
        if survivor is None:
            raise see_other(page, _("She has no active contact route."), "error")
        if not body:
            raise see_other(page, _("Write the message first."), "error")
        done = await live_chat.write(s, esc, me(request), body[:1500], now)
    if isinstance(done, live_chat.Refused):
        raise see_other(page, _(done.reason), "error")
    service.dispatcher.wake()
    raise see_other(page, _("Sent to her under her cover title."))


async def end_conversation(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    now = service.clock()
    page = f"/console/escalations/{path_id(request)}"
    async with service.db.transaction() as s:
        esc, survivor = await _escalation(s, request)
        conv = await live_chat.held(s, survivor.id) if survivor is not None else None
        if conv is None:
            raise see_other(page, _("Nobody is writing with her now."), "error")
        if conv.staff_id != me(request).id and "supervisor" not in (me(request).roles or []):
            raise see_other(page, _("Only the worker writing with her, or a supervisor, ends it."), "error")
        await live_chat.end(s, conv, "worker", now, actor=f"staff:{me(request).id}")
    service.dispatcher.wake()
    raise see_other(page, _("Conversation ended; she was told in her cover wording."))


HANDLERS = {
    ("GET", "/console/escalations/{id}"): escalation_page,
    ("GET", "/console/escalations/{id}/events"): events,
    ("POST", "/console/escalations/{id}/reply"): reply,
    ("POST", "/console/escalations/{id}/end-conversation"): end_conversation,
}
