"""The remaining console pages: call-backs, supervisors' SLA, audit log and rota, staff administration
and settings, and one's own account. (The evaluators' pages are evaluation/console.py; the programme's
are programme_views.py.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from sqlalchemy import func, select

from bot.audit import audit, verify_chain
from bot.callbacks import format_slot, open_callbacks
from bot.console.pages import me, render, see_other, svc
from bot.escalations import sla_state
from bot.staff import accounts
from bot.staff.telegram_link import new_link_code
from bot.storage.models import AuditEvent, CallbackRequest, Escalation, OnCallShift, PhoneCall, StaffMember, Survivor
from bot.voice.calls import describe

CALLBACK_OUTCOMES = {"done": "closed", "no_answer": "open", "unsafe_to_talk": "open"}
RESCHEDULE = timedelta(hours=2)


def _tz(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def callbacks_page(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    tz = _tz(me(request).timezone)
    now = service.clock()
    async with service.db.sessions() as s:
        found = await open_callbacks(s, now)
        later = dict((await s.execute(select(CallbackRequest.id, CallbackRequest.next_try_at))).all())
        last_calls: dict[int, dict[str, object]] = {}
        for call in (await s.scalars(select(PhoneCall).where(PhoneCall.callback_id.in_([c.id for c in found]))
                                     .order_by(PhoneCall.started_at, PhoneCall.id))).all():
            last_calls[call.callback_id or 0] = describe(call)
    rows = []
    for c in found:
        not_before = later.get(c.id)
        slots = [sl for sl in c.slots if not_before is None or sl.end > not_before]
        rows.append({"id": c.id, "pseudonym": c.pseudonym, "asked": c.requested_at.astimezone(tz).strftime(
            "%Y-%m-%d %H:%M"), "next_slot": format_slot(slots[0], tz) if slots else None,
            "last_call": last_calls.get(c.id)})
    return render(request, "callbacks.html", title="Call-backs", callbacks=rows, tz=str(tz))


async def callback_outcome(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    outcome = str(form.get("outcome", ""))
    if outcome not in CALLBACK_OUTCOMES:
        raise see_other("/console/callbacks", "Choose an outcome from the list.", "error")
    now = service.clock()
    async with service.db.transaction() as s:
        try:
            cb = await s.get(CallbackRequest, int(request.match_info["id"]))
        except ValueError:
            cb = None
        if cb is None:
            raise web.HTTPNotFound()
        cb.outcome, cb.status = outcome, CALLBACK_OUTCOMES[outcome]
        cb.next_try_at = now + RESCHEDULE if outcome != "done" else None
        pseudonym = await s.scalar(select(Survivor.pseudonym).where(Survivor.id == cb.survivor_id))
        audit(s, f"staff:{me(request).id}", "callback.outcome", survivor=pseudonym, now=now,
              callback_id=cb.id, outcome=outcome)
    raise see_other("/console/callbacks", "Outcome recorded" + ("" if outcome == "done" else "; rescheduled."))


async def sla_page(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    now = service.clock()
    async with service.db.sessions() as s:
        open_ = (await s.scalars(select(Escalation).where(Escalation.status.in_(("open", "claimed"))))).all()
    counts: dict[tuple[str, str], int] = {}
    for e in open_:
        key = (e.priority, sla_state(e, now))
        counts[key] = counts.get(key, 0) + 1
    table = [(f"{p} \u2014 {st}", n) for (p, st), n in sorted(counts.items())]
    return render(request, "page.html", title="SLA", heading="SLA dashboard",
                  lines=[f"{len(open_)} open escalations."], table=table)


async def audit_page(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    q = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(500)
    f_action, f_actor, f_survivor = (request.query.get(k, "").strip() for k in ("action", "actor", "survivor"))
    if f_action:
        q = q.where(AuditEvent.action.startswith(f_action))
    if f_actor:
        q = q.where(AuditEvent.actor == f_actor)
    if f_survivor:
        q = q.where(AuditEvent.survivor_pseudonym == f_survivor)
    async with service.db.sessions() as s:
        events = (await s.scalars(q)).all()
        chain = await verify_chain(s)
    return render(request, "audit.html", title="Audit log", events=events, chain=chain, f_action=f_action,
                  f_actor=f_actor, f_survivor=f_survivor)


async def rota_page(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    async with service.db.sessions() as s:
        shifts = (await s.execute(select(OnCallShift, StaffMember.name).join(StaffMember)
                                  .where(OnCallShift.ends_at > service.clock()).order_by(OnCallShift.starts_at))).all()
        staff = (await s.scalars(select(StaffMember).where(StaffMember.status == "active")
                                 .order_by(StaffMember.name))).all()
    return render(request, "rota.html", title="Rota", shifts=shifts, staff=staff)


async def rota_add(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    try:
        staff_id = int(str(form.get("staff_id", "")))
        starts = datetime.fromisoformat(str(form.get("starts_at", ""))).replace(tzinfo=UTC)
        ends = datetime.fromisoformat(str(form.get("ends_at", ""))).replace(tzinfo=UTC)
    except ValueError:
        raise see_other("/console/rota", "Give a person, a start and an end.", "error") from None
    if ends <= starts:
        raise see_other("/console/rota", "A shift must end after it starts.", "error")
    async with service.db.transaction() as s:
        if await s.get(StaffMember, staff_id) is None:
            raise web.HTTPNotFound()
        s.add(OnCallShift(staff_id=staff_id, starts_at=starts, ends_at=ends, created_by=me(request).name))
        audit(s, f"staff:{me(request).id}", "rota.shift_added", now=service.clock(), staff_id=staff_id)
    raise see_other("/console/rota", "Shift added.")




async def staff_page(request: web.Request, link: str | None = None) -> web.StreamResponse:
    async with svc(request).db.sessions() as s:
        members = (await s.scalars(select(StaffMember).order_by(StaffMember.name))).all()
    rows = [{"name": m.name, "roles": m.roles, "status": m.status, "telegram_chat_index": m.telegram_chat_index,
             "has_sms": m.sms_number is not None, "site": m.site} for m in members]
    return render(request, "staff.html", title="Staff", staff=rows, roles=accounts.ROLES, link=link)


async def staff_add(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    async with service.db.transaction() as s:
        try:
            _member, token = await accounts.add_staff(s, str(form.get("name", "")).strip()[:64],
                                                      [str(r) for r in form.getall("role", [])], service.clock(),
                                                      actor=f"staff:{me(request).id}",
                                                      site=str(form.get("site", "")).strip() or None)
        except accounts.StaffError as exc:
            raise see_other("/console/staff", str(exc), "error") from None
    return await staff_page(request, link=f"{service.settings.public_url}/console/enrol/{token}")


async def settings_page(request: web.Request) -> web.StreamResponse:
    st = svc(request).settings
    table = [("environment", st.environment), ("channels", st.channel_summary()),
             ("SLA urgent (minutes)", st.sla_urgent_minutes), ("SLA high (hours)", st.sla_high_hours),
             ("SLA routine (working days)", st.sla_routine_working_days), ("TOTP required", st.totp_required),
             ("retention: messages (days)", st.retention_message_days)]
    async with svc(request).db.sessions() as s:
        staff = await s.scalar(select(func.count(StaffMember.id)))
    table.append(("staff accounts", staff))
    return render(request, "page.html", title="Settings", heading="Settings", lines=[], table=table)


async def me_page(request: web.Request, code: str | None = None) -> web.StreamResponse:
    service = svc(request)
    async with service.db.sessions() as s:
        member = await s.get(StaffMember, me(request).id)
    username = service.settings.telegram_bot_username
    return render(request, "me.html", title="Me", me=member, code=code,
                  deep_link=f"https://t.me/{username}?start={code}" if code and username else None)


async def telegram_code(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    async with service.db.transaction() as s:
        member = await s.get(StaffMember, me(request).id)
        assert member is not None
        code = new_link_code(member, service.clock())
        audit(s, f"staff:{member.id}", "staff.telegram_code", now=service.clock())
    return await me_page(request, code=code)


async def sms_number(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    number = str(form.get("number", "")).strip()
    if number and not re.fullmatch(r"\+[1-9]\d{6,14}", number):
        raise see_other("/console/me", "Give the number in international form, like +447700900123.", "error")
    async with service.db.transaction() as s:
        member = await s.get(StaffMember, me(request).id)
        assert member is not None
        member.sms_number = number or None
        audit(s, f"staff:{member.id}", "staff.sms_set" if number else "staff.sms_cleared", now=service.clock())
    raise see_other("/console/me", "Saved.")


HANDLERS = {
    ("GET", "/console/callbacks"): callbacks_page,
    ("POST", "/console/callbacks/{id}/outcome"): callback_outcome,
    ("GET", "/console/sla"): sla_page,
    ("GET", "/console/audit"): audit_page,
    ("GET", "/console/rota"): rota_page,
    ("POST", "/console/rota"): rota_add,
    ("GET", "/console/staff"): staff_page,
    ("POST", "/console/staff"): staff_add,
    ("GET", "/console/settings"): settings_page,
    ("GET", "/console/me"): me_page,
    ("POST", "/console/me/telegram-code"): telegram_code,
    ("POST", "/console/me/sms"): sms_number,
}
