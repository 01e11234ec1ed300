"""Risk notices in the console (liaison workers and supervisors; never the programme's staff): the
list of notices waiting for review, and a notice's page, where a worker edits the text, approves it,
gives the second approval of an urgent one (a supervisor, a different person), or withdraws it.
Every step is on the notice's timeline and in the audit log (bot/notices)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import catalog
from bot.channels.registry import capabilities
from bot.notices import review, texts
from bot.notices.delivery import reach_facts
from bot.notices.reach import why_not
from bot.notices.timeline import steps_of
from bot.storage.models import Notice, ProgrammeEvent, StaffMember, Survivor
from console.inputs import path_id
from console.pages import me, render, see_other, svc
from console.texts import Text, _
from safety.disguise import Disguise

RECENT = 50
REACH_WORDS = {
    "erased": _("her record is erased"),
    "stopped": _("she stopped all messages"),
    "not_enrolled": _("she has not finished enrolling"),
    "no_information_consent": _("she has not agreed to news and notices"),
    "route_suspect": _("her number or account may no longer be hers (re-verify it first)"),
    "no_route": _("she has no active contact route"),
    "paused": _("her messages are paused"),
}


def _id(request: web.Request) -> int:
    return path_id(request)


async def _names(s: AsyncSession, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {i: n for i, n in (await s.execute(select(StaffMember.id, StaffMember.name)
                                              .where(StaffMember.id.in_(wanted)))).all()}


def _row(n: Notice, pseudonym: str | None) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "urgent": n.urgent, "stage": review.stage(n), "pseudonym": pseudonym,
            "created": n.created_at.strftime("%Y-%m-%d %H:%M"),
            "sent": n.sent_at.strftime("%Y-%m-%d %H:%M") if n.sent_at else "", "response": n.response or ""}


async def notices_page(request: web.Request) -> web.StreamResponse:
    async with svc(request).db.sessions() as s:
        drafts = (await s.execute(
            select(Notice, Survivor.pseudonym).outerjoin(Survivor, Survivor.id == Notice.survivor_id)
            .where(Notice.status == "draft")
            .order_by(case((Notice.urgent.is_(True), 0), else_=1), Notice.created_at, Notice.id))).all()
        recent = (await s.execute(
            select(Notice, Survivor.pseudonym).outerjoin(Survivor, Survivor.id == Notice.survivor_id)
            .where(Notice.status != "draft").order_by(Notice.updated_at.desc(), Notice.id.desc())
            .limit(RECENT))).all()
    return render(request, "notices.html", title=_("Notices"), drafts=[_row(n, p) for n, p in drafts],
                  recent=[_row(n, p) for n, p in recent])


async def _page(request: web.Request, s: AsyncSession, n: Notice, *, flash: Text | None = None,
                status: int = 200) -> web.Response:
    service = svc(request)
    survivor = await s.get(Survivor, n.survivor_id) if n.survivor_id is not None else None
    event = await s.get(ProgrammeEvent, n.event_id)
    facts, identity = await reach_facts(s, survivor, service.clock())
    reach = why_not(facts)
    cover = lock = ""
    if survivor is not None:
        disguise = Disguise.of(survivor.persona, survivor.plain_mode)
        cover = catalog.title(survivor.locale, disguise)
        lock = texts.lock_screen(survivor.locale, disguise, capabilities(identity.channel) if identity else None)
    steps = (await steps_of(s, [n.id]))[n.id]
    names = await _names(s, {n.drafted_by, n.approved_by, n.second_approved_by})
    who = review.Reviewer.of(me(request))
    return render(
        request, "notice.html", status=status, title=_("Notice #{id}", id=n.id), n=n, stage=review.stage(n),
        pseudonym=survivor.pseudonym if survivor else None, cover_title=cover, lock_screen=lock,
        reach=REACH_WORDS.get(reach or "", _(reach or "")) if reach else None, event=event, steps=steps,
        drafted_by=names.get(n.drafted_by or 0), approved_by=names.get(n.approved_by or 0),
        second_approved_by=names.get(n.second_approved_by or 0),
        can_edit=review.refusal_to_edit(n, who) is None, can_approve=review.refusal_to_approve(n, who) is None,
        second_refusal=review.refusal_to_second_approve(n, who) if n.urgent and n.approved_by else None,
        can_second=n.urgent and review.refusal_to_second_approve(n, who) is None,
        can_withdraw=review.refusal_to_withdraw(n, who) is None, max_body=review.MAX_BODY,
        **({"flash": flash, "flash_kind": "error"} if flash else {}))


async def _notice(s: AsyncSession, request: web.Request, *, lock: bool = False) -> Notice:
    query = select(Notice).where(Notice.id == _id(request))
    n = await s.scalar(query.with_for_update() if lock else query)
    if n is None or n.survivor_id is None:
        raise web.HTTPNotFound(text="no such notice")
    return n


async def notice_page(request: web.Request) -> web.StreamResponse:
    async with svc(request).db.sessions() as s:
        return await _page(request, s, await _notice(s, request))


async def _act(request: web.Request, action: str) -> web.StreamResponse:
    """One review action in one transaction (the notice row locked, so two workers' clicks are serial)."""
    service = svc(request)
    form = await request.post()
    who = review.Reviewer.of(me(request))
    now = service.clock()
    async with service.db.transaction() as s:
        n = await _notice(s, request, lock=True)
        try:
            if action == "edit":
                await review.edit(s, n, who, str(form.get("body", "")), now)
                done = _("Saved. Any earlier approval is cleared: the new text needs its own.")
            elif action == "approve":
                outcome = await review.approve(s, n, who, now)
                done = _("Approved: it waits for a supervisor's second approval.") if outcome.startswith("awaiting") \
                    else _("Approved: {outcome}.", outcome=outcome)
            elif action == "second-approve":
                done = _("Second approval given: {outcome}.", outcome=await review.second_approve(s, n, who, now))
            else:
                await review.withdraw(s, n, who, now)
                done = _("Withdrawn: nothing more of it reaches her.")
        except review.ReviewRefused as refused:
            raise see_other(f"/console/notices/{_id(request)}", _(str(refused)), "error") from None
    service.dispatcher.wake()
    raise see_other(f"/console/notices/{n.id}", done)


def _action(name: str):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.StreamResponse:
        return await _act(request, name)
    handler.__name__ = "notice_" + name.replace("-", "_")
    return handler


HANDLERS = {
    ("GET", "/console/notices"): notices_page,
    ("GET", "/console/notices/{id}"): notice_page,
    **{("POST", f"/console/notices/{{id}}/{a}"): _action(a) for a in ("edit", "approve", "second-approve", "withdraw")},
}
