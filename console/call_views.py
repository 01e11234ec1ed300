""""Call her now" (issue 29) from her page and from a call-back, and the worker's own phone (rung first,
verified once by a code we say on a call to it). Only inside her windows unless the worker gives a
reason, which is audited; one call at a time to her (bot/voice/calls.py: the conditional claim)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from aiohttp import web
from sqlalchemy import func, select

from bot.logs import log_event
from bot.storage.audit import audit
from bot.storage.models import AuditEvent, CallbackRequest, PhoneCall, StaffMember, Survivor
from bot.voice import calls, twiml
from bot.voice.client import CallError
from console.pages import me, see_other, svc
from console.texts import _

CODE_MINUTES = 10
CODE_CALLS_PER_HOUR = 3  # each rings a phone: a stolen session must not make the service ring anyone at will
NUMBER = re.compile(r"\+[1-9]\d{6,14}")


def _code_hash(member_id: int, code: str) -> str:
    return hashlib.sha256(f"{member_id}:{code}".encode()).hexdigest()


async def _call(request: web.Request, survivor_of: str | None, callback_id: int | None) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    reason = str(form.get("reason", "")).strip()[:200]
    outside = str(form.get("outside_reason", "")).strip()[:200]
    now = service.clock()
    async with service.db.transaction() as s:
        callback = None
        if callback_id is not None:
            callback = await s.get(CallbackRequest, callback_id)
            if callback is None or callback.survivor_id is None:
                raise web.HTTPNotFound()
            survivor = await s.get(Survivor, callback.survivor_id)
        else:
            survivor = await s.scalar(select(Survivor).where(Survivor.pseudonym == survivor_of))
        if survivor is None or survivor.status == "erased":
            raise web.HTTPNotFound(text="no such person")
        page = f"/console/survivors/{survivor.pseudonym}"
        member = await s.get(StaffMember, me(request).id)
        assert member is not None
        if service.voice is None:
            raise see_other(page, _("Calls are not set up on this service (Twilio Voice)."), "error")
        if not (member.call_number and member.call_number_verified_at):
            raise see_other("/console/me", _("Add and verify your own phone first: we ring it before hers."), "error")
        target = await calls.target_of(s, survivor, callback)
        if target.number is None:
            raise see_other(page, _("She has no phone number on file to ring."), "error")
        if not target.open_now(now) and not outside:
            raise see_other(page + "?ask=outside#call", None)
        call = await calls.claim_call(s, survivor=survivor, member=member, target=target,
                                      reason=reason or "call-back", outside_reason=outside or None, now=now)
        if call is None:
            raise see_other(page, _("Someone is already calling her: see the call in progress."), "error")
        token, worker_number, call_id = call.token, member.call_number, call.id
    try:
        sid = await service.voice.ring_worker(worker_number, token)
    except CallError as exc:
        log_event("voice.create_failed", error=str(exc))
        async with service.db.transaction() as s:
            failed = await s.get(PhoneCall, call_id)
            if failed is not None and failed.ended_at is None:
                await calls.finish(s, failed, "failed", service.clock(), outcome="failed")
        raise see_other(page, _("The call could not be placed; nothing reached her."), "error") from None
    async with service.db.transaction() as s:
        placed = await s.get(PhoneCall, call_id)
        if placed is not None:
            placed.worker_call_sid = placed.worker_call_sid or sid
    raise see_other(page, _("Ringing your phone now; she is rung when you answer."))


async def call_her(request: web.Request) -> web.StreamResponse:
    return await _call(request, request.match_info["pseudonym"], None)


async def call_callback(request: web.Request) -> web.StreamResponse:
    try:
        callback_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    return await _call(request, None, callback_id)


async def call_number(request: web.Request) -> web.StreamResponse:
    """Save the worker's own number and ring it with a code; calls use it once the code is typed back."""
    service = svc(request)
    form = await request.post()
    number = str(form.get("number", "")).strip()
    if not NUMBER.fullmatch(number):
        raise see_other("/console/me", _("Give the number in international form, like +447700900123."), "error")
    if service.voice is None:
        raise see_other("/console/me", _("Calls are not set up on this service (Twilio Voice)."), "error")
    code = f"{secrets.randbelow(10**6):06d}"
    now = service.clock()
    async with service.db.transaction() as s:
        member = await s.get(StaffMember, me(request).id)
        assert member is not None
        recent = await s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.actor == f"staff:{member.id}", AuditEvent.action == "staff.call_number_set",
            AuditEvent.at > now - timedelta(hours=1)))
        if (recent or 0) >= CODE_CALLS_PER_HOUR:
            audit(s, f"staff:{member.id}", "staff.call_number_throttled", now=now)
            throttled = True
        else:
            throttled = False
    if throttled:
        raise see_other("/console/me", _("You asked for three calls in the last hour: try again later, or ask a "
                                          "supervisor."), "error")
    async with service.db.transaction() as s:
        member = await s.get(StaffMember, me(request).id)
        assert member is not None
        member.call_number, member.call_number_verified_at = number, None
        member.call_code_hash = _code_hash(member.id, code)
        member.call_code_expires_at = now + timedelta(minutes=CODE_MINUTES)
        audit(s, f"staff:{member.id}", "staff.call_number_set", now=now)
    try:
        await service.voice.say_code(number, twiml.code_call(code))
    except CallError as exc:
        log_event("voice.code_call_failed", error=str(exc))
        raise see_other("/console/me", _("We could not ring that number; check it and try again."), "error") from None
    raise see_other("/console/me", _("We are ringing your phone with a code: type it below."))


async def verify_number(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    code = str(form.get("code", "")).strip()
    now = service.clock()
    async with service.db.transaction() as s:
        member = await s.get(StaffMember, me(request).id)
        assert member is not None
        fresh = member.call_code_hash and member.call_code_expires_at and member.call_code_expires_at > now
        if not fresh or not hmac.compare_digest(member.call_code_hash or "", _code_hash(member.id, code)):
            if member.call_code_hash:  # a wrong code spends it: ask for a new call
                member.call_code_hash = member.call_code_expires_at = None
            audit(s, f"staff:{member.id}", "staff.call_number_refused", now=now)
            ok = False
        else:
            member.call_number_verified_at, member.call_code_hash, member.call_code_expires_at = now, None, None
            audit(s, f"staff:{member.id}", "staff.call_number_verified", now=now)
            ok = True
    if not ok:
        raise see_other("/console/me", _("That code is wrong or too old: ask for a new call."), "error")
    raise see_other("/console/me", _("Your phone is verified: calls to her ring it first."))


HANDLERS = {
    ("POST", "/console/survivors/{pseudonym}/call"): call_her,
    ("POST", "/console/callbacks/{id}/call"): call_callback,
    ("POST", "/console/me/call-number"): call_number,
    ("POST", "/console/me/call-number/verify"): verify_number,
}
