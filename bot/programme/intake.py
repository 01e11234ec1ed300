"""The one intake of programme events, whichever way they come (console form, CSV, API).

`intake` stores a valid event once per (site, sender's event id): a replay finds the row and
changes nothing. The case reference is kept as ciphertext and a blind index; an event whose case
is linked is matched at once to every woman linked to it (his partner and his ex-partner may both
be enrolled: each one's milestones move, and `on_events_matched` drafts each her own notice, in the
same transaction), any other is held `unmatched` for a liaison worker to link. `receive` owns the
transaction (and the rare race of two senders of one id) and replans her waves after it commits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.notices.drafting import draft_for_event
from bot.programme.case_index import case_index, cases_linked
from bot.programme.milestones import Change, apply_change, current_values
from bot.programme.moves import milestone_values
from bot.programme.validation import EventIn, latest_day
from bot.storage.audit import audit
from bot.storage.db import Database
from bot.storage.models import ProgrammeCase, ProgrammeEvent, ProgrammeEventMatch, ProgrammeMilestones, Survivor
from content.programme_events import EventKinds, default_kinds
from safety.crypto import KeyRing

VIA = ("form", "csv", "api")


@dataclass(frozen=True)
class Received:
    """What became of one event. `matched` is for the service's own staff and tools: the
    programme's side is never told whether a case is linked to anyone."""

    id: int
    replay: bool
    matched: bool
    kind: str
    received_at: datetime
    survivor_ids: tuple[int, ...] = ()  # the women it was matched to (their waves replan)
    milestone_problems: tuple[str, ...] = ()


async def on_events_matched(session: AsyncSession, events: Sequence[ProgrammeEvent], survivor: Survivor, *,
                            now: datetime) -> None:
    """Each event just matched to her record drafts her notice (bot.notices.drafting): called
    at intake, when her case is linked, or when a worker links a held event, inside the
    transaction that matched them, so an event and its draft notice commit together or not at all.
    Never called for a replay."""
    for event in events:
        await draft_for_event(session, event, survivor, now=now)


async def matched_to(session: AsyncSession, event_id: int) -> tuple[int, ...]:
    """The women an event was matched to, in the order they were."""
    return tuple((await session.scalars(select(ProgrammeEventMatch.survivor_id).where(
        ProgrammeEventMatch.event_id == event_id).order_by(ProgrammeEventMatch.id))).all())


async def store(session: AsyncSession, keyring: KeyRing, event: EventIn, *, site: str, via: str, by: str,
                now: datetime) -> tuple[Received, ProgrammeEvent | None]:
    """Store one valid event (or find its earlier copy: a replay, and None for the row) and audit it,
    without looking at who it concerns: the sender's answer is made of this alone."""
    if via not in VIA:
        raise ValueError(f"via must be one of {', '.join(VIA)}")
    existing = await session.scalar(select(ProgrammeEvent).where(ProgrammeEvent.site == site,
                                                                 ProgrammeEvent.source_event_id == event.event_id))
    if existing is not None:
        return Received(existing.id, True, existing.status == "matched", existing.kind, existing.received_at,
                        await matched_to(session, existing.id)), None
    row = ProgrammeEvent(site=site, source_event_id=event.event_id, kind=event.kind, reason_class=event.reason_class,
                         sessions_missed=event.sessions_missed, expected_end=event.expected_end,
                         occurred_on=event.occurred_on, case_index=case_index(keyring, site, event.case_ref),
                         case_ref=event.case_ref, detail=event.detail, status="unmatched", received_via=via,
                         received_by=by[:64], received_at=now)
    session.add(row)
    await session.flush()
    audit(session, by, "programme.event_received", now=now, event_id=row.id, site=site, kind=row.kind, via=via)
    return Received(row.id, False, False, row.kind, row.received_at), row


async def settle(session: AsyncSession, event_id: int, *, actor: str, now: datetime,
                 kinds: EventKinds | None = None) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Match a stored event to every woman linked to its case (her milestones, her notice): once.
    Claimed by a conditional update, so of two settlers (or a settler and a restart's recovery) one
    does it. Returns the women it was matched to and why milestones could not move."""
    claimed = await session.execute(update(ProgrammeEvent).where(
        ProgrammeEvent.id == event_id, ProgrammeEvent.settled_at.is_(None)).values(settled_at=now))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return (), ()
    row = await session.get(ProgrammeEvent, event_id)
    if row is None or row.status == "ignored":
        return (), ()
    problems: list[str] = []
    for case in await cases_linked(session, row.site, row.case_index):
        problems += (await match_events(session, [row], case, actor=actor, now=now, kinds=kinds)
                     ).problems.get(row.id, ())
    return await matched_to(session, row.id), tuple(problems)


async def intake(session: AsyncSession, keyring: KeyRing, event: EventIn, *, site: str, via: str, by: str,
                 now: datetime, kinds: EventKinds | None = None) -> Received:
    """Store one valid event (or find its earlier copy), match it to her case if it is linked,
    move her milestones and audit, all at once. The caller owns the transaction."""
    got, row = await store(session, keyring, event, site=site, via=via, by=by, now=now)
    if row is None:
        return got
    survivor_ids, problems = await settle(session, row.id, actor=by, now=now, kinds=kinds)
    return Received(row.id, False, row.status == "matched", row.kind, row.received_at, survivor_ids, problems)


@dataclass(frozen=True)
class Matched:
    """Events newly matched to one woman, and per event why her milestones could not be moved."""

    events: tuple[int, ...] = ()
    problems: dict[int, tuple[str, ...]] = field(default_factory=dict)


async def match_events(session: AsyncSession, events: Iterable[ProgrammeEvent], case: ProgrammeCase, *,
                       actor: str, now: datetime, kinds: EventKinds | None = None) -> Matched:
    """Match events to the survivor of `case` (those not matched to her yet): a match row, the
    event's status, her milestones moved (oldest event first), audited, then `on_events_matched`.
    Her milestones may not move (the event is matched all the same: it is a fact)."""
    kinds = kinds or default_kinds()
    survivor = await session.get(Survivor, case.survivor_id)
    if survivor is None or survivor.status in ("erased", "erasing"):
        return Matched()
    events = list(events)
    hers = set((await session.scalars(select(ProgrammeEventMatch.event_id).where(
        ProgrammeEventMatch.survivor_id == survivor.id,
        ProgrammeEventMatch.event_id.in_([e.id for e in events])))).all())
    matched = sorted((e for e in events if e.id not in hers), key=lambda e: (e.occurred_on, e.id))
    problems: dict[int, tuple[str, ...]] = {}
    for ev in matched:
        session.add(ProgrammeEventMatch(event_id=ev.id, survivor_id=survivor.id, matched_at=now))
        ev.status, ev.matched_at = "matched", ev.matched_at or now
        audit(session, actor, "programme.event_matched", survivor=survivor.pseudonym, now=now, event_id=ev.id,
              kind=ev.kind, urgency=kinds.urgency(ev.kind, ev.reason_class) if ev.kind in kinds.kinds else None)
        found = await _move_milestones(session, ev, survivor, kinds, actor=actor, now=now)
        if found:
            problems[ev.id] = found
    await session.flush()
    if matched:
        await on_events_matched(session, matched, survivor, now=now)
    return Matched(tuple(e.id for e in matched), problems)


async def _move_milestones(session: AsyncSession, ev: ProgrammeEvent, survivor: Survivor, kinds: EventKinds, *,
                           actor: str, now: datetime) -> tuple[str, ...]:
    if ev.kind not in kinds.kinds:  # a kind since removed from the content: stored, moves nothing
        return ()
    row = await session.scalar(select(ProgrammeMilestones).where(ProgrammeMilestones.survivor_id == survivor.id))
    values = milestone_values(kinds.spec(ev.kind), ev.occurred_on, ev.expected_end, current_values(row))
    if not values:
        return ()
    _sid, problems = await apply_change(session, Change(survivor.pseudonym, values), actor=actor,
                                        today=latest_day(now), now=now)
    if problems:
        audit(session, actor, "programme.milestones_not_moved", survivor=survivor.pseudonym, now=now,
              event_id=ev.id, problems=problems)
    return tuple(problems)


async def receive(db: Database, keyring: KeyRing, event: EventIn, *, site: str, via: str, by: str,
                  kinds: EventKinds | None = None,
                  replan: Callable[[Iterable[int]], Awaitable[None]] | None = None,
                  settle_later: Callable[[int, str], None] | None = None) -> Received:
    """`intake` in its own transaction on the service clock. Two senders of one id at once: the
    loser's insert fails on the unique constraint and a second try finds the winner's row. Her
    waves are replanned once it has committed, by `replan` where given (else by the scheduler's tick).

    With `settle_later` (the API and the console form), only the event is stored before the answer;
    `settle_later(id, by)` matches it after, so how long the answer takes never depends on whether
    his case is linked to anyone (the programme's side must not learn that)."""
    for attempt in (1, 2):
        try:
            async with db.transaction() as s:
                if settle_later is None:
                    got = await intake(s, keyring, event, site=site, via=via, by=by, now=db.clock(), kinds=kinds)
                else:
                    got, _row = await store(s, keyring, event, site=site, via=via, by=by, now=db.clock())
            break
        except IntegrityError:
            if attempt == 2:
                raise
    if settle_later is not None:
        if not got.replay:
            settle_later(got.id, by)
        return got
    if replan is not None and got.survivor_ids and not got.replay:
        await replan(got.survivor_ids)
    return got


async def settle_stored(db: Database, event_id: int, *, actor: str, kinds: EventKinds | None = None,
                        replan: Callable[[Iterable[int]], Awaitable[None]] | None = None) -> tuple[int, ...]:
    """`settle` in its own transaction, then her waves replanned."""
    async with db.transaction() as s:
        survivor_ids, _problems = await settle(s, event_id, actor=actor, now=db.clock(), kinds=kinds)
    if replan is not None and survivor_ids:
        await replan(survivor_ids)
    return survivor_ids


async def unsettled(db: Database) -> list[tuple[int, str]]:
    """Events stored but not matched yet (a process stopped in between): id and who sent each."""
    async with db.sessions() as s:
        rows = (await s.execute(select(ProgrammeEvent.id, ProgrammeEvent.received_by)
                                .where(ProgrammeEvent.settled_at.is_(None)).order_by(ProgrammeEvent.id))).all()
    return [(int(i), str(by)) for i, by in rows]
