"""Her record linked to his case: by the case reference given at invitation, on her page, or by a
liaison worker linking a held (`unmatched`) event to her. Linking matches every event of that case
she was not matched to yet, held ones and those already matched to another woman (which moves her
milestones and drafts her notices: `intake.match_events`); events a worker set aside stay aside.
Each link is audited, never with the reference itself.

One woman has one case. One case may be linked to several women: a man in a programme can have a
partner and an ex-partner, and each is told about his events, each by her own notice. Linking one
never moves or touches another's link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.programme.case_index import case_index, cases_linked
from bot.programme.intake import match_events
from bot.programme.milestones import MilestoneError, parse_site
from bot.programme.validation import CASE_REF_MAX
from bot.storage.audit import audit
from bot.storage.models import Invitation, ProgrammeCase, ProgrammeEvent, Survivor
from safety.crypto import KeyRing


class CaseLinkError(ValueError):
    """A link that cannot be made as asked (the message says why, for the worker)."""


@dataclass(frozen=True)
class Linked:
    survivor_id: int
    pseudonym: str
    matched: tuple[int, ...]  # ids of the events now matched to her
    changed: bool  # her case reference was replaced (not new, not the same)


def checked_case(site: str, case_ref: str) -> tuple[str, str]:
    """A site code and case reference fit to store, or `CaseLinkError`."""
    try:
        site = parse_site(site)
    except MilestoneError as exc:
        raise CaseLinkError(str(exc)) from None
    ref = " ".join(case_ref.split())
    if not ref:
        raise CaseLinkError("case reference: give his programme's case reference")
    if len(ref) > CASE_REF_MAX or not ref.isprintable():
        raise CaseLinkError(f"case reference: up to {CASE_REF_MAX} characters")
    return site, ref


async def case_of(session: AsyncSession, survivor_id: int) -> ProgrammeCase | None:
    return await session.scalar(select(ProgrammeCase).where(ProgrammeCase.survivor_id == survivor_id))


async def link_case(session: AsyncSession, keyring: KeyRing, survivor: Survivor, *, site: str, case_ref: str,
                    actor: str, now: datetime) -> Linked:
    """Link (or change) her case, then match the held events of that case to her."""
    if survivor.status == "erased":
        raise CaseLinkError("her record is erased")
    site, ref = checked_case(site, case_ref)
    index = case_index(keyring, site, ref)
    others = [c for c in await cases_linked(session, site, index) if c.survivor_id != survivor.id]
    case = await case_of(session, survivor.id)
    changed = case is not None and (case.site, case.case_index) != (site, index)
    if case is None:
        case = ProgrammeCase(survivor_id=survivor.id, site=site, case_index=index, case_ref=ref, linked_by=actor[:64],
                             linked_at=now)
        session.add(case)
    else:
        case.site, case.case_index, case.case_ref, case.linked_by, case.linked_at = site, index, ref, actor[:64], now
    await session.flush()
    audit(session, actor, "programme.case_linked", survivor=survivor.pseudonym, now=now, site=site, changed=changed,
          also_linked=len(others))
    events = (await session.scalars(select(ProgrammeEvent).where(
        ProgrammeEvent.site == site, ProgrammeEvent.case_index == index,
        ProgrammeEvent.status.in_(("unmatched", "matched"))))).all()
    matched = await match_events(session, events, case, actor=actor, now=now)
    return Linked(survivor.id, survivor.pseudonym, matched.events, changed)


async def link_event(session: AsyncSession, keyring: KeyRing, event_id: int, pseudonym: str, *, actor: str,
                     now: datetime) -> Linked:
    """A worker says a held event is about her: her case becomes the event's case (refused when she
    is linked to another one: change it on her page first), and every held event of it is matched."""
    event = await session.get(ProgrammeEvent, event_id)
    if event is None or event.status != "unmatched":
        raise CaseLinkError("this event is not waiting to be linked (linked or set aside already)")
    survivor = await session.scalar(select(Survivor).where(Survivor.pseudonym == pseudonym.strip()))
    if survivor is None or survivor.status == "erased":
        raise CaseLinkError(f"no survivor with pseudonym {pseudonym.strip()!r}")
    mine = await case_of(session, survivor.id)
    if mine is not None and (mine.site, mine.case_index) != (event.site, event.case_index):
        raise CaseLinkError(f"{survivor.pseudonym} is linked to another case; change her case reference on her "
                            "page first if this one is hers")
    return await link_case(session, keyring, survivor, site=event.site, case_ref=event.case_ref, actor=actor, now=now)


async def set_aside(session: AsyncSession, event_id: int, *, actor: str, now: datetime) -> None:
    """A held event that concerns nobody here (no partner enrolled): `ignored`, off the list."""
    event = await session.get(ProgrammeEvent, event_id)
    if event is None or event.status != "unmatched":
        raise CaseLinkError("this event is not waiting to be linked (linked or set aside already)")
    event.status = "ignored"
    audit(session, actor, "programme.event_ignored", now=now, event_id=event.id, site=event.site, kind=event.kind)


async def link_invited_case(session: AsyncSession, keyring: KeyRing, invitation: Invitation, survivor: Survivor,
                            now: datetime) -> Linked | None:
    """At enrolment: the case reference the worker gave with her invitation, linked to her new record.
    Enrolment never fails for it: a reference someone else took meanwhile is audited and left."""
    if not invitation.case_ref or not invitation.case_site:
        return None
    try:
        return await link_case(session, keyring, survivor, site=invitation.case_site, case_ref=invitation.case_ref,
                               actor=invitation.created_by, now=now)
    except CaseLinkError as exc:
        audit(session, invitation.created_by, "programme.case_link_failed", survivor=survivor.pseudonym, now=now,
              invitation_id=invitation.id, reason=str(exc))
        return None
