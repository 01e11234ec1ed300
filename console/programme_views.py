"""Programme events in the console.

- The `programme` role: a form to send one event for its own site, and the list of events that
  site sent. Nothing of hers, ever: no pseudonym, no name, not even whether a case is linked to
  anyone (the queries below select the event's own columns only).
- Liaison workers: the events held `unmatched` (with his case reference, which only they see),
  linked to her by pseudonym or set aside; and her case reference on her page.
"""

from __future__ import annotations

import secrets
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from sqlalchemy import select

from bot.programme.intake import receive
from bot.programme.linking import CaseLinkError, link_case, link_event, set_aside
from bot.programme.validation import ALL_FIELDS, KIND_FIELDS, FieldError, validate_event
from bot.storage.models import ProgrammeEvent, Survivor
from console.inputs import path_id
from console.pages import me, render, see_other, svc
from console.texts import _
from content.programme_events import default_kinds

LIST_LIMIT = 200


def _actor(request: web.Request) -> str:
    return f"staff:{me(request).id}"


def _today(request: web.Request) -> str:
    try:
        tz = ZoneInfo(me(request).timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return svc(request).clock().astimezone(tz).date().isoformat()


def _field_help() -> dict[str, str]:
    """Which kinds use each kind-specific field, for the form's labels (from the kinds data)."""
    kinds = default_kinds()
    return {name: ", ".join(code for code, spec in kinds.kinds.items() if name in spec.fields) for name in KIND_FIELDS}


def _reason_classes() -> list[str]:
    seen: dict[str, None] = {}
    for spec in default_kinds().kinds.values():
        seen.update(dict.fromkeys(spec.reason_classes))
    return list(seen)


async def programme_page(request: web.Request, values: dict[str, str] | None = None,
                         errors: list[FieldError] | None = None, status: int = 200) -> web.Response:
    member = me(request)
    kinds = default_kinds()
    sent: list[Any] = []
    if member.site:
        async with svc(request).db.sessions() as s:
            sent = list((await s.execute(
                select(ProgrammeEvent.id, ProgrammeEvent.source_event_id, ProgrammeEvent.kind,
                       ProgrammeEvent.reason_class, ProgrammeEvent.sessions_missed, ProgrammeEvent.occurred_on,
                       ProgrammeEvent.received_at, ProgrammeEvent.received_via)
                .where(ProgrammeEvent.site == member.site)
                .order_by(ProgrammeEvent.id.desc()).limit(LIST_LIMIT))).all())
    form = {"event_id": f"form-{secrets.token_hex(6)}", "occurred_on": _today(request), **(values or {})}
    return render(request, "programme.html", status=status, title=_("Programme"), site=member.site, kinds=kinds.kinds,
                  form=form, errors=errors or [], error_fields={e.field for e in errors or []},
                  field_help=_field_help(), reason_classes=_reason_classes(), sent=sent)


async def programme_get(request: web.Request) -> web.StreamResponse:
    return await programme_page(request)


async def programme_post(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    member = me(request)
    form = await request.post()
    values = {name: str(form.get(name, "")) for name in ALL_FIELDS}
    if not member.site:
        return await programme_page(request, values, [FieldError("site", "your account is not attached to a "
                                                                          "programme site; ask an administrator")], 409)
    checked = validate_event(values, default_kinds(), now=service.clock())
    if isinstance(checked, list):
        return await programme_page(request, values, checked, 422)
    # stored and answered; matched to her case after: the answer never depends on her
    got = await receive(service.db, service.keyring, checked, site=member.site, via="form", by=_actor(request),
                        settle_later=service.settle_later)
    label = default_kinds().spec(got.kind).label if got.kind in default_kinds().kinds else got.kind
    if got.replay:
        raise see_other("/console/programme", _("Event {id} was received already, on {at} UTC: nothing changed.",
                                                id=checked.event_id, at=f"{got.received_at:%Y-%m-%d %H:%M}"))
    raise see_other("/console/programme", _("Received: {label} (your id {id}).", label=label, id=checked.event_id))


# -- liaison workers ---------------------------------------------------------------------------------
async def unmatched_page(request: web.Request) -> web.StreamResponse:
    kinds = default_kinds()
    async with svc(request).db.sessions() as s:
        events = (await s.scalars(select(ProgrammeEvent).where(ProgrammeEvent.status == "unmatched")
                                  .order_by(ProgrammeEvent.occurred_on.desc(), ProgrammeEvent.id.desc())
                                  .limit(LIST_LIMIT))).all()
    rows = [{"id": e.id, "kind_code": e.kind, "kind": kinds.kinds[e.kind].label if e.kind in kinds.kinds else e.kind,
             "urgent": e.kind in kinds.kinds and kinds.urgency(e.kind, e.reason_class) == "urgent",
             "reason_class": e.reason_class, "sessions_missed": e.sessions_missed, "site": e.site,
             "occurred_on": e.occurred_on, "received_at": e.received_at, "case_ref": e.case_ref, "detail": e.detail}
            for e in events]
    return render(request, "unmatched.html", title=_("Unmatched events"), events=rows)


def _event_id(request: web.Request) -> int:
    return path_id(request)


async def unmatched_link(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    pseudonym = str(form.get("pseudonym", "")).strip()
    if not pseudonym:
        raise see_other("/console/unmatched-events", _("Give her pseudonym to link the event to her."), "error")
    async with service.db.transaction() as s:
        if await s.get(ProgrammeEvent, _event_id(request)) is None:
            raise web.HTTPNotFound()
        try:
            linked = await link_event(s, service.keyring, _event_id(request), pseudonym, actor=_actor(request),
                                      now=service.clock())
        except CaseLinkError as exc:
            raise see_other("/console/unmatched-events", _("Not linked: {why}.", why=_(str(exc))), "error") from None
    await service.replan([linked.survivor_id])
    raise see_other("/console/unmatched-events", _("Linked to {pseudonym}: {n} event(s) of this case matched to her.",
                                                   pseudonym=linked.pseudonym, n=len(linked.matched)))


async def unmatched_ignore(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    async with service.db.transaction() as s:
        if await s.get(ProgrammeEvent, _event_id(request)) is None:
            raise web.HTTPNotFound()
        try:
            await set_aside(s, _event_id(request), actor=_actor(request), now=service.clock())
        except CaseLinkError as exc:
            raise see_other("/console/unmatched-events", _("Not changed: {why}.", why=_(str(exc))), "error") from None
    raise see_other("/console/unmatched-events", _("Set aside: it concerns nobody enrolled here."))


async def her_case(request: web.Request) -> web.StreamResponse:
    """Link or change her case reference (his programme's), from her page."""
    service = svc(request)
    form = await request.post()
    pseudonym = request.match_info["pseudonym"]
    async with service.db.transaction() as s:
        survivor = await s.scalar(select(Survivor).where(Survivor.pseudonym == pseudonym))
        if survivor is None or survivor.status == "erased":
            raise web.HTTPNotFound(text="no such person")
        try:
            linked = await link_case(s, service.keyring, survivor, site=str(form.get("site", "")),
                                     case_ref=str(form.get("case_ref", "")), actor=_actor(request),
                                     now=service.clock())
        except CaseLinkError as exc:
            raise see_other(f"/console/survivors/{pseudonym}", _("Not linked: {why}.", why=_(str(exc))),
                            "error") from None
    await service.replan([linked.survivor_id])
    if linked.matched:
        done = _("Case changed; {n} held event(s) matched to her.", n=len(linked.matched)) if linked.changed \
            else _("Case linked; {n} held event(s) matched to her.", n=len(linked.matched))
    else:
        done = _("Case changed.") if linked.changed else _("Case linked.")
    raise see_other(f"/console/survivors/{pseudonym}", done)


HANDLERS = {
    ("GET", "/console/programme"): programme_get,
    ("POST", "/console/programme/events"): programme_post,
    ("GET", "/console/unmatched-events"): unmatched_page,
    ("POST", "/console/unmatched-events/{id}/link"): unmatched_link,
    ("POST", "/console/unmatched-events/{id}/ignore"): unmatched_ignore,
    ("POST", "/console/survivors/{pseudonym}/case"): her_case,
}
