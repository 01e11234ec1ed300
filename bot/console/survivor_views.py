"""Her page: status, cover, windows, consents, check-ins, notices and their timelines, escalations,
what is queued; and what a worker may do: reveal her number (audited, with a reason), send her a
message through the outbox (her cover title, her windows, no sensitive word), pause/resume,
re-verify, erase (with a supervisor); his programme's case reference and the programme events
matched to her (linking: programme_views)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import catalog
from bot.actions.pause import lift_pause
from bot.audit import audit
from bot.channels.registry import capabilities
from bot.console.pages import me, render, see_other, svc
from bot.notices.review import stage
from bot.notices.timeline import steps_of
from bot.outbox.enqueue import enqueue
from bot.programme.case_index import cases_linked
from bot.programme.kinds import default_kinds
from bot.programme.linking import case_of
from bot.storage.models import (
    Answer,
    CallbackRequest,
    ChannelIdentity,
    ConsentRecord,
    ErasureApproval,
    Escalation,
    Notice,
    OutboundMessage,
    PhoneCall,
    ProgrammeEvent,
    ProgrammeEventMatch,
    Survivor,
    WaveInstance,
)
from bot.voice.calls import describe, target_of
from safety.disguise import Disguise, sensitive_hits, wrap

PAUSED_FOR = timedelta(days=3650)  # until a worker resumes


async def _her(s: AsyncSession, request: web.Request) -> Survivor:
    survivor = await s.scalar(select(Survivor).where(Survivor.pseudonym == request.match_info["pseudonym"]))
    if survivor is None or survivor.status == "erased":
        raise web.HTTPNotFound(text="no such person")
    return survivor


def _actor(request: web.Request) -> str:
    return f"staff:{me(request).id}"


async def _page(request: web.Request, s: AsyncSession, survivor: Survivor, revealed: str | None = None,
                status: int = 200, flash: str | None = None) -> web.Response:
    now = svc(request).clock()
    disguise = Disguise.of(survivor.persona, survivor.plain_mode)
    consents = (await s.scalars(select(ConsentRecord).where(ConsentRecord.survivor_id == survivor.id)
                                .order_by(ConsentRecord.recorded_at))).all()
    waves = (await s.scalars(select(WaveInstance).where(WaveInstance.survivor_id == survivor.id)
                             .order_by(WaveInstance.due_at))).all()
    checkins = []
    for w in waves:
        fear = await s.scalar(select(Answer.value).where(Answer.wave_instance_id == w.id, Answer.item_code == "fear"))
        score = int(fear) if fear is not None and str(fear).isdigit() else None
        checkins.append({"wave": w.wave_code, "state": w.state, "score": score})
    escalations = (await s.scalars(select(Escalation).where(Escalation.survivor_id == survivor.id)
                                   .order_by(Escalation.id.desc()))).all()
    queued = (await s.scalars(select(OutboundMessage).where(
        OutboundMessage.survivor_id == survivor.id, OutboundMessage.status.in_(("pending", "held", "sending")))
        .order_by(OutboundMessage.id))).all()
    notice_rows = (await s.scalars(select(Notice).where(Notice.survivor_id == survivor.id)
                                   .order_by(Notice.created_at.desc(), Notice.id.desc()))).all()
    timelines = await steps_of(s, [n.id for n in notice_rows])
    notices = [{"id": n.id, "kind": n.kind, "urgent": n.urgent, "stage": stage(n), "response": n.response,
                "steps": timelines[n.id]} for n in notice_rows]
    erase_pending = await s.scalar(select(ErasureApproval.id).where(
        ErasureApproval.survivor_id == survivor.id, ErasureApproval.status == "requested")) is not None
    case = await case_of(s, survivor.id)
    # his other partner (or ex-partner) on the same case: her worker should know, for risk management
    shared = len(await cases_linked(s, case.site, case.case_index)) - 1 if case is not None else 0
    kinds = default_kinds()
    programme_events = [
        {"occurred_on": e.occurred_on, "reason_class": e.reason_class,
         "label": kinds.kinds[e.kind].label if e.kind in kinds.kinds else e.kind,
         "urgent": e.kind in kinds.kinds and kinds.urgency(e.kind, e.reason_class) == "urgent"}
        for e in (await s.scalars(select(ProgrammeEvent).join(
            ProgrammeEventMatch, ProgrammeEventMatch.event_id == ProgrammeEvent.id).where(
            ProgrammeEventMatch.survivor_id == survivor.id)
                                  .order_by(ProgrammeEvent.occurred_on.desc(), ProgrammeEvent.id.desc())
                                  .limit(50))).all()]
    windows = ", ".join(catalog.format_window("en", w) for w in (survivor.contact_windows or []))
    routes = (await s.scalars(select(ChannelIdentity.channel).where(
        ChannelIdentity.survivor_id == survivor.id, ChannelIdentity.status != "stopped"))).all()
    call_rows = (await s.scalars(select(PhoneCall).where(PhoneCall.survivor_id == survivor.id)
                                 .order_by(PhoneCall.started_at.desc(), PhoneCall.id.desc()).limit(20))).all()
    calls = [describe(c) for c in call_rows]
    active_call = next((c for c in calls if c["in_progress"]), None)
    call_window_open = (await target_of(s, survivor)).open_now(now)
    paused = survivor.outbound_paused_until if survivor.outbound_paused_until and \
        survivor.outbound_paused_until > now else None
    return render(request, "survivor.html", status=status, title=f"Her page {survivor.pseudonym}", s=survivor,
                  cover_title=catalog.title(survivor.locale, disguise), windows=windows, consents=consents,
                  checkins=checkins, escalations=escalations, queued=queued, revealed=revealed, notices=notices,
                  channels_keep_messages=any(not capabilities(c).deletes_messages for c in routes),
                  erase_pending=erase_pending, case=case, case_shared=shared, programme_events=programme_events,
                  paused=paused.strftime("%Y-%m-%d") if paused else None, calls=calls, active_call=active_call,
                  call_window_open=call_window_open, ask_outside=request.query.get("ask") == "outside",
                  **({"flash": flash, "flash_kind": "error"} if flash else {}))


async def her_page(request: web.Request) -> web.StreamResponse:
    async with svc(request).db.sessions() as s:
        return await _page(request, s, await _her(s, request))


async def reveal(request: web.Request) -> web.StreamResponse:
    """Her contact routes, shown once on this response, only with a reason, always audited."""
    service = svc(request)
    form = await request.post()
    reason = str(form.get("reason", "")).strip()
    async with service.db.transaction() as s:
        survivor = await _her(s, request)
        if not reason:
            return await _page(request, s, survivor, status=400, flash="Give a reason to reveal her number.")
        identities = (await s.scalars(select(ChannelIdentity).where(ChannelIdentity.survivor_id == survivor.id))).all()
        phones = (await s.scalars(select(CallbackRequest.phone).where(
            CallbackRequest.survivor_id == survivor.id, CallbackRequest.phone.isnot(None)))).all()
        routes = [f"{i.channel}: {i.address} ({i.status})" for i in identities] + [f"call-back: {p}" for p in phones]
        audit(s, _actor(request), "survivor.revealed", survivor=survivor.pseudonym, now=service.clock(),
              reason=reason[:200], routes=len(routes))
        return await _page(request, s, survivor, revealed="; ".join(routes) or "none on file")


async def message(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    body = str(form.get("body", "")).strip()
    now = service.clock()
    async with service.db.transaction() as s:
        survivor = await _her(s, request)
        if not body:
            return await _page(request, s, survivor, status=400, flash="Write the message first.")
        hits = [] if survivor.plain_mode else sensitive_hits(body, catalog.sensitive_pattern(survivor.locale))
        if hits:
            return await _page(request, s, survivor, status=400,
                               flash=f"Not sent: \u201c{hits[0]}\u201d could give her away on her lock screen. "
                                     "Say it in her cover wording.")
        identity = await s.scalar(select(ChannelIdentity).where(
            ChannelIdentity.survivor_id == survivor.id, ChannelIdentity.status == "active")
            .order_by(ChannelIdentity.id.desc()).limit(1))
        if identity is None or survivor.status != "active":
            return await _page(request, s, survivor, status=409, flash="She has no active contact route.")
        title = catalog.title(survivor.locale, Disguise.of(survivor.persona, survivor.plain_mode))
        row = enqueue(s, channel=identity.channel, address=identity.address, address_index=identity.address_index,
                      cause=f"console:{survivor.id}:{secrets.token_hex(8)}", index=0, text_key="console.message",
                      body=wrap(title, body), survivor_id=survivor.id, identity_id=identity.id, is_reply=False)
        await s.flush()
        audit(s, _actor(request), "message.queued", survivor=survivor.pseudonym, now=now, outbound_id=row.id)
    service.dispatcher.wake()
    raise see_other(f"/console/survivors/{survivor.pseudonym}", "Queued: it goes out inside her windows.")


async def _simple(request: web.Request, action: str) -> web.StreamResponse:
    service = svc(request)
    now = service.clock()
    member = me(request)
    async with service.db.transaction() as s:
        survivor = await _her(s, request)
        done = action
        if action == "pause":
            survivor.outbound_paused_until = now + PAUSED_FOR
        elif action == "resume":
            await lift_pause(s, survivor, now)
        elif action == "reverify":
            for identity in (await s.scalars(select(ChannelIdentity).where(
                    ChannelIdentity.survivor_id == survivor.id, ChannelIdentity.status == "suspect"))).all():
                identity.status, identity.verified_at = "active", now
            await lift_pause(s, survivor, now)
        elif action == "erase-request":
            s.add(ErasureApproval(survivor_id=survivor.id, requested_by=member.id, created_at=now))
        elif action == "erase-approve":
            pending = await s.scalar(select(ErasureApproval).where(
                ErasureApproval.survivor_id == survivor.id, ErasureApproval.status == "requested"))
            if pending is None:
                raise see_other(f"/console/survivors/{survivor.pseudonym}", "Nobody has asked to erase her data.",
                                "error")
            if pending.requested_by == member.id:
                raise see_other(f"/console/survivors/{survivor.pseudonym}",
                                "Another supervisor must approve an erasure you asked for.", "error")
            from bot.actions.erasure import erase_survivor

            pending.status, pending.approved_by, pending.decided_at = "approved", member.id, now
            await erase_survivor(s, survivor, actor=_actor(request), reason="worker_request_approved", now=now)
            done = "erased"
        pseudonym = survivor.pseudonym
        audit(s, _actor(request), f"survivor.{done}", survivor=pseudonym, now=now)
    service.dispatcher.wake()
    if done == "erased":
        raise see_other("/console/queue", f"{pseudonym} erased.")
    raise see_other(f"/console/survivors/{pseudonym}", f"Done: {done.replace('-', ' ')}.")


def _action(name: str):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.StreamResponse:
        return await _simple(request, name)
    handler.__name__ = name.replace("-", "_")
    return handler


HANDLERS = {
    ("GET", "/console/survivors/{pseudonym}"): her_page,
    ("POST", "/console/survivors/{pseudonym}/reveal"): reveal,
    ("POST", "/console/survivors/{pseudonym}/message"): message,
    **{("POST", f"/console/survivors/{{pseudonym}}/{a}"): _action(a)
       for a in ("pause", "resume", "reverify", "erase-request", "erase-approve")},
}
