"""Programme events and staff for notice tests, made directly in the database (the programme-event
intake is another part's), and the notice's state as the database holds it."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from bot.notices.drafting import draft_for_event
from bot.notices.review import Reviewer
from bot.storage.models import (
    Escalation,
    Notice,
    NoticeStep,
    ProgrammeEvent,
    ProgrammeEventMatch,
    StaffMember,
    Survivor,
)

_ids = itertools.count(1)


async def programme_event(svc: Any, survivor_id: int | None, kind: str, *, reason_class: str | None = None,
                          site: str = "north", occurred_on: date = date(2026, 3, 9),
                          sessions_missed: int | None = None) -> int:
    """A matched event of his programme, as the intake stores it; returns its id."""
    async with svc.db.transaction() as s:
        event = ProgrammeEvent(site=site, source_event_id=f"ev-{next(_ids)}", kind=kind, reason_class=reason_class,
                               sessions_missed=sessions_missed, occurred_on=occurred_on, case_index="ci-test",
                               case_ref="CASE-TEST-1", status="matched" if survivor_id else "unmatched",
                               received_via="api", received_by=f"site:{site}")
        s.add(event)
        await s.flush()
        if survivor_id is not None:
            s.add(ProgrammeEventMatch(event_id=event.id, survivor_id=survivor_id))
        return event.id


async def drafted(svc: Any, survivor_id: int, kind: str, **event: Any) -> Notice | None:
    """An event matched to her, and the notice the intake's call drafts from it."""
    event_id = await programme_event(svc, survivor_id, kind, **event)
    async with svc.db.transaction() as s:
        row, survivor = await s.get(ProgrammeEvent, event_id), await s.get(Survivor, survivor_id)
        assert row is not None and survivor is not None
        return await draft_for_event(s, row, survivor, now=svc.clock())


async def worker(svc: Any, name: str, roles: list[str]) -> Reviewer:
    """A console account (not signed in: the review functions take the person); the same one again
    for the same name."""
    async with svc.db.transaction() as s:
        member = await s.scalar(select(StaffMember).where(StaffMember.name == name))
        if member is None:
            member = StaffMember(name=name, roles=roles, status="active")
            s.add(member)
            await s.flush()
        return Reviewer.of(member)


async def notice(svc: Any, notice_id: int) -> Notice:
    async with svc.db.sessions() as s:
        row = await s.get(Notice, notice_id)
        assert row is not None
        return row


async def timeline(svc: Any, notice_id: int) -> list[str]:
    async with svc.db.sessions() as s:
        return list((await s.scalars(select(NoticeStep.step).where(NoticeStep.notice_id == notice_id)
                                     .order_by(NoticeStep.at, NoticeStep.id))).all())


async def escalations(svc: Any, reason: str | None = None) -> list[Escalation]:
    async with svc.db.sessions() as s:
        query = select(Escalation).order_by(Escalation.id)
        if reason is not None:
            query = query.where(Escalation.reason == reason)
        return list((await s.scalars(query)).all())


def at(now: datetime, hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A time of day (UTC) `days` after `now`'s day."""
    from datetime import time, timedelta

    return datetime.combine(now.date() + timedelta(days=days), time(hour, minute), now.tzinfo)
