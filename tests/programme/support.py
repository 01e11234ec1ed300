"""Helpers for programme-event tests: an event as a site would send it, her record with his case
linked (through the real linking code), a console member signed in, and reading back what was stored."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.programme.linking import link_case
from bot.programme.validation import EventIn
from bot.service import Service
from bot.storage.db import Database
from bot.storage.models import (
    AuditEvent,
    ProgrammeEvent,
    ProgrammeEventMatch,
    ProgrammeMilestones,
    StaffMember,
    Survivor,
)
from safety.crypto import KeyRing
from tests.scheduler.support import enrol
from tests.support.clock import TEST_NOW
from tests.support.console import ConsoleClient, make_staff

TODAY = TEST_NOW.date()
SITE = "north-leeds"


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def event(event_id: str = "evt-1", kind: str = "dropped_out", case_ref: str = "DV-2026-117",
          occurred_on: date | None = None, **fields: Any) -> EventIn:
    return EventIn(event_id=event_id, case_ref=case_ref, kind=kind, occurred_on=occurred_on or day(-1), **fields)


def body(**overrides: Any) -> dict[str, Any]:
    """A JSON body for POST /api/programme-events."""
    base = {"event_id": "evt-1", "case_ref": "DV-2026-117", "kind": "excluded", "reason_class": "violence_threat",
            "occurred_on": day(-1).isoformat(), "detail": "Threatened a group member in session 9."}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


async def her(db: Database, keyring: KeyRing, pseudonym: str, *, case_ref: str | None = "DV-2026-117",
              site: str = SITE, programme: tuple[date, date] | None = (day(-60), day(120)),
              now: datetime | None = None) -> int:
    """An enrolled survivor (three days ago) with his programme's dates and, optionally, his case linked."""
    sid = await enrol(db, keyring, created_at=(now or db.clock()) - timedelta(days=3), pseudonym=pseudonym,
                      programme=programme)
    if case_ref is not None:
        async with db.transaction() as s:
            survivor = await s.get(Survivor, sid)
            assert survivor is not None
            await link_case(s, keyring, survivor, site=site, case_ref=case_ref, actor="worker:test",
                            now=db.clock())
    return sid


async def stored_events(db: Database) -> list[ProgrammeEvent]:
    async with db.sessions() as s:
        return list((await s.scalars(select(ProgrammeEvent).order_by(ProgrammeEvent.id))).all())


async def matched_to(db: Database) -> dict[int, tuple[int, ...]]:
    """Per stored event, the women it was matched to (none: held or set aside)."""
    async with db.sessions() as s:
        ids = (await s.scalars(select(ProgrammeEvent.id).order_by(ProgrammeEvent.id))).all()
        found: dict[int, tuple[int, ...]] = {e: () for e in ids}
        pairs = select(ProgrammeEventMatch.event_id, ProgrammeEventMatch.survivor_id).order_by(ProgrammeEventMatch.id)
        for event_id, survivor_id in (await s.execute(pairs)).all():
            found[event_id] += (survivor_id,)
        return found


async def milestones(db: Database, survivor_id: int) -> ProgrammeMilestones | None:
    async with db.sessions() as s:
        return await s.scalar(select(ProgrammeMilestones).where(ProgrammeMilestones.survivor_id == survivor_id))


async def audit_actions(db: Database) -> list[str]:
    async with db.sessions() as s:
        return list((await s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))).all())


async def person(svc: Service, base: str, name: str, roles: list[str], site: str | None = None) -> ConsoleClient:
    """A staff member with these roles (and programme site), signed in to the console at `base`."""
    login = await make_staff(svc, name, roles)
    if site:
        async with svc.db.transaction() as s:
            await s.execute(update(StaffMember).where(StaffMember.name == name).values(site=site))
    client = ConsoleClient(base, svc)
    assert await client.sign_in(login, svc.clock()) == 303
    return client
