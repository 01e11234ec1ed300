"""The remaining console pages: call-backs, supervisors' SLA, audit log and rota, staff administration
and settings, and one's own account. (The evaluators' pages are evaluation/console.py; the programme's
are programme_views.py.)"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from sqlalchemy import func, select

from bot.audit_anchor import WitnessError, read_witness
from bot.callbacks import format_slot, open_callbacks
from bot.escalations import sla_state
from bot.oncall.telegram_link import new_link_code
from bot.storage.audit import ChainReport, audit, verify_chain
from bot.storage.models import AuditEvent, CallbackRequest, Escalation, OnCallShift, PhoneCall, StaffMember, Survivor
from bot.voice.calls import describe
from console.inputs import form_id, path_id
from console.pages import me, render, see_other, staff_names, svc
from console.staff import accounts, throttle
from console.texts import Text, _
from content import LOCALES

CALLBACK_OUTCOMES = {"done": "closed", "no_answer": "open", "unsafe_to_talk": "open"}
RESCHEDULE = timedelta(hours=2)
PRIORITY_WORDS = {"urgent": _("Urgent"), "high": _("High"), "routine": _("Routine")}
SLA_WORDS = {"ok": _("in time"), "due soon": _("due soon"), "breached": _("overdue")}


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
    return render(request, "callbacks.html", title=_("Call-backs"), callbacks=rows, tz=str(tz))


async def callback_outcome(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    outcome = str(form.get("outcome", ""))
    if outcome not in CALLBACK_OUTCOMES:
        raise see_other("/console/callbacks", _("Choose an outcome from the list."), "error")
    now = service.clock()
    async with service.db.transaction() as s:
        cb = await s.get(CallbackRequest, path_id(request))
        if cb is None:
            raise web.HTTPNotFound()
        cb.outcome, cb.status = outcome, CALLBACK_OUTCOMES[outcome]
        cb.next_try_at = now + RESCHEDULE if outcome != "done" else None
        pseudonym = await s.scalar(select(Survivor.pseudonym).where(Survivor.id == cb.survivor_id))
        audit(s, f"staff:{me(request).id}", "callback.outcome", survivor=pseudonym, now=now,
              callback_id=cb.id, outcome=outcome)
    raise see_other("/console/callbacks", _("Outcome recorded.") if outcome == "done" else
                    _("Outcome recorded; rescheduled."))


async def sla_page(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    now = service.clock()
    async with service.db.sessions() as s:
        open_ = (await s.scalars(select(Escalation).where(Escalation.status.in_(("open", "claimed"))))).all()
    counts: dict[tuple[str, str], int] = {}
    for e in open_:
        key = (e.priority, sla_state(e, now))
        counts[key] = counts.get(key, 0) + 1
    table = [(_("{priority} \u2014 {state}", priority=PRIORITY_WORDS[p], state=SLA_WORDS[st]), n)
             for (p, st), n in sorted(counts.items())]
    return render(request, "page.html", title=_("SLA"), heading=_("SLA dashboard"),
                  lines=[_("{n} open escalations.", n=len(open_))], table=table)


async def audit_page(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    q = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(500)
    f_action, f_actor, f_survivor = (request.query.get(k, "").strip() for k in ("action", "actor", "survivor"))
    if f_action:
        q = q.where(AuditEvent.action.startswith(f_action, autoescape=True))  # % and _ are literal
    if f_actor:
        q = q.where(AuditEvent.actor == f_actor)
    if f_survivor:
        q = q.where(AuditEvent.survivor_pseudonym == f_survivor)
    try:
        heads = await asyncio.to_thread(read_witness, service.settings.audit_witness_file)
    except WitnessError as exc:
        heads, unreadable = [], str(exc)
    else:
        unreadable = ""
    async with service.db.sessions() as s:
        events = (await s.scalars(q)).all()
        chain = await verify_chain(s, heads)
    if unreadable:  # shown as broken: someone must look
        chain = ChainReport(False, chain.rows, None, unreadable)
    return render(request, "audit.html", title=_("Audit log"), events=events, staff_names=await staff_names(service),
                  chain=chain, f_action=f_action,
                  f_actor=f_actor, f_survivor=f_survivor)


ON_CALL_ROLES = frozenset({"liaison", "supervisor"})  # who can answer an urgent alert about her


def _can_be_on_call(member: StaffMember | None) -> bool:
    return member is not None and member.status == "active" and bool(ON_CALL_ROLES & set(member.roles or []))


async def rota_page(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    async with service.db.sessions() as s:
        shifts = (await s.execute(select(OnCallShift, StaffMember.name).join(StaffMember)
                                  .where(OnCallShift.ends_at > service.clock()).order_by(OnCallShift.starts_at))).all()
        staff = [m for m in (await s.scalars(select(StaffMember).where(StaffMember.status == "active")
                                             .order_by(StaffMember.name))).all() if _can_be_on_call(m)]
    return render(request, "rota.html", title=_("Rota"), shifts=shifts, staff=staff)


def _shift_form(form: Any) -> tuple[int, datetime, datetime]:
    """Who and when, from the rota's form (a flash message on the rota page when it is not a shift)."""
    staff_id = form_id(form, "staff_id")
    try:
        starts = datetime.fromisoformat(str(form.get("starts_at", ""))).replace(tzinfo=UTC)
        ends = datetime.fromisoformat(str(form.get("ends_at", ""))).replace(tzinfo=UTC)
    except ValueError:
        staff_id = None
    if staff_id is None:
        raise see_other("/console/rota", _("Give a person, a start and an end."), "error")
    if ends <= starts:
        raise see_other("/console/rota", _("A shift must end after it starts."), "error")
    return staff_id, starts, ends


async def _on_call_member(s: Any, staff_id: int) -> StaffMember:
    member = await s.get(StaffMember, staff_id)
    if member is None:
        raise web.HTTPNotFound()
    if not _can_be_on_call(member):
        raise see_other("/console/rota", _("{name} cannot be on call: only active liaison workers and "
                                           "supervisors answer her alerts.", name=member.name), "error")
    return member  # type: ignore[no-any-return]


async def rota_add(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    staff_id, starts, ends = _shift_form(await request.post())
    async with service.db.transaction() as s:
        await _on_call_member(s, staff_id)
        shift = OnCallShift(staff_id=staff_id, starts_at=starts, ends_at=ends, created_by=me(request).name)
        s.add(shift)
        await s.flush()
        audit(s, f"staff:{me(request).id}", "rota.shift_added", now=service.clock(), shift_id=shift.id,
              staff_id=staff_id)
    raise see_other("/console/rota", _("Shift added."))


async def rota_edit(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    staff_id, starts, ends = _shift_form(await request.post())
    async with service.db.transaction() as s:
        shift = await s.get(OnCallShift, path_id(request))
        if shift is None:
            raise web.HTTPNotFound()
        await _on_call_member(s, staff_id)
        before = shift.staff_id
        shift.staff_id, shift.starts_at, shift.ends_at = staff_id, starts, ends
        audit(s, f"staff:{me(request).id}", "rota.shift_changed", now=service.clock(), shift_id=shift.id,
              staff_id=staff_id, was_staff_id=before)
    raise see_other("/console/rota", _("Shift changed."))


async def rota_remove(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    async with service.db.transaction() as s:
        shift = await s.get(OnCallShift, path_id(request))
        if shift is None:
            raise web.HTTPNotFound()
        audit(s, f"staff:{me(request).id}", "rota.shift_removed", now=service.clock(), shift_id=shift.id,
              staff_id=shift.staff_id)
        await s.delete(shift)
    raise see_other("/console/rota", _("Shift removed."))


async def staff_page(request: web.Request, link: str | None = None) -> web.StreamResponse:
    async with svc(request).db.sessions() as s:
        members = (await s.scalars(select(StaffMember).order_by(StaffMember.name))).all()
        slowed = await throttle.slowed_names(s, [m.name for m in members], svc(request).clock())
    rows = [{"id": m.id, "name": m.name, "roles": m.roles, "status": m.status,
             "telegram_chat_index": m.telegram_chat_index, "has_sms": m.sms_number is not None, "site": m.site,
             "slowed": m.name in slowed} for m in members]
    return render(request, "staff.html", title=_("Staff"), staff=rows, roles=accounts.ROLES, link=link)


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
            raise see_other("/console/staff", _(str(exc)), "error") from None
    return await staff_page(request, link=f"{service.settings.public_url}/console/enrol/{token}")


async def clear_slowdown(request: web.Request) -> web.StreamResponse:
    """An admin lets a person sign in again at once (a slow-down someone else's failures caused)."""
    service = svc(request)
    async with service.db.transaction() as s:
        member = await s.get(StaffMember, path_id(request))
        if member is None:
            raise web.HTTPNotFound()
        await accounts.clear_slowdown(s, member.name, service.clock(), actor=f"staff:{me(request).id}")
    raise see_other("/console/staff", _("{name} can sign in again at once.", name=member.name))


async def settings_page(request: web.Request) -> web.StreamResponse:
    st = svc(request).settings
    table: list[tuple[Text, object]] = [
        (_("environment"), st.environment), (_("channels"), st.channel_summary()),
        (_("SLA urgent (minutes)"), st.sla_urgent_minutes), (_("SLA high (hours)"), st.sla_high_hours),
        (_("SLA routine (working days)"), st.sla_routine_working_days), (_("TOTP required"), st.totp_required),
        (_("retention: messages (days)"), st.retention_message_days), (_("console language"), st.console_locale)]
    async with svc(request).db.sessions() as s:
        staff = await s.scalar(select(func.count(StaffMember.id)))
    table.append((_("staff accounts"), staff))
    return render(request, "page.html", title=_("Settings"), heading=_("Settings"), lines=[], table=table)


async def me_page(request: web.Request, code: str | None = None) -> web.StreamResponse:
    service = svc(request)
    async with service.db.sessions() as s:
        member = await s.get(StaffMember, me(request).id)
    username = service.settings.telegram_bot_username
    return render(request, "me.html", title=_("Me"), me=member, code=code, locales=LOCALES,
                  site_locale=service.settings.console_locale,
                  deep_link=f"https://t.me/{username}?start={code}" if code and username else None)


async def set_locale(request: web.Request) -> web.StreamResponse:
    """Their console's language: one of the console's locales, or empty for the site's."""
    service = svc(request)
    chosen = str((await request.post()).get("locale", ""))
    if chosen and chosen not in LOCALES:
        raise see_other("/console/me", _("Choose a language from the list."), "error")
    async with service.db.transaction() as s:
        member = await s.get(StaffMember, me(request).id)
        assert member is not None
        member.locale = chosen or None
        audit(s, f"staff:{member.id}", "staff.locale_set", now=service.clock(), locale=chosen or "site")
    raise see_other("/console/me", _("Saved."))


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
        raise see_other("/console/me", _("Give the number in international form, like +447700900123."), "error")
    async with service.db.transaction() as s:
        member = await s.get(StaffMember, me(request).id)
        assert member is not None
        member.sms_number = number or None
        audit(s, f"staff:{member.id}", "staff.sms_set" if number else "staff.sms_cleared", now=service.clock())
    raise see_other("/console/me", _("Saved."))


HANDLERS = {
    ("GET", "/console/callbacks"): callbacks_page,
    ("POST", "/console/callbacks/{id}/outcome"): callback_outcome,
    ("GET", "/console/sla"): sla_page,
    ("GET", "/console/audit"): audit_page,
    ("GET", "/console/rota"): rota_page,
    ("POST", "/console/rota"): rota_add,
    ("POST", "/console/rota/{id}/edit"): rota_edit,
    ("POST", "/console/rota/{id}/remove"): rota_remove,
    ("GET", "/console/staff"): staff_page,
    ("POST", "/console/staff"): staff_add,
    ("POST", "/console/staff/{id}/clear-slowdown"): clear_slowdown,
    ("GET", "/console/settings"): settings_page,
    ("GET", "/console/me"): me_page,
    ("POST", "/console/me/locale"): set_locale,
    ("POST", "/console/me/telegram-code"): telegram_code,
    ("POST", "/console/me/sms"): sms_number,
}
