"""The wave jobs: plan, open due waves, remind, close. All state lives in `wave_instances`.

Every transition is one conditional UPDATE on the instance row (`... WHERE id = ? AND state = ?`),
committed in the same transaction as the outbox row it causes, and every outbox row's idempotency
key is derived from the instance (`wave:<id>`, `wave:<id>:reminder`). So a restart, a job that runs
late or twice, or a second scheduler process can never send a wave (or its reminder) twice; and a
wave that was due while nothing ran is picked up by the next run (until its deadline, after which it
is recorded as missing, never retried).

A wave is `queued` while its opening waits in the outbox and `sent` once the provider accepted it
(bot.waves.delivery); quick exit withdraws a queued one, which is offered once more at her
next window. No wave opens by itself within QUIET_AFTER_HER_MESSAGE of her last message (she may be
reading the information pages): it waits for her next window after that.

A wave goes out only when she is active, her latest check-in consent is granted, she has an active
channel identity, no other wave of hers is open, and one of her contact windows opens before the
wave's deadline; the opening message is queued with `not_before` = that opening. Otherwise it waits
(and is recorded as `missing`, reason `not_sent`, at its deadline). One wave is open at a time: a
check-in waits while another wave is open; a full wave waits for an open full wave or a check-in she
has begun, and replaces a check-in she has not begun (recorded `missing`, reason `superseded`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.channels.base import Button
from bot.escalations import raise_escalation
from bot.logs import log_event
from bot.outbox.enqueue import enqueue
from bot.programme.milestones import enrolment_day
from bot.storage.db import Database
from bot.storage.models import (
    Answer,
    ChannelIdentity,
    ConsentRecord,
    InboundMessage,
    ProgrammeMilestones,
    Survivor,
    WaveInstance,
)
from bot.waves.checkin_io import OPEN_STATES, answers_of, previous_answers, render_checkin
from bot.waves.delivery import QUIET_AFTER_HER_MESSAGE, WITHDRAWN, WITHDRAWN_REASON, opening_cause
from flows.checkin import opening
from flows.questionnaires import QuestionnaireSet, default_questionnaires
from safety.crypto import KeyRing
from safety.disguise import Disguise
from safety.triage import Facts, TriageRules, default_rules, triage
from safety.windows import WindowError, next_open
from scheduler.plan import Milestones, PlannedWave, WavePlanner
from scheduler.waves import WaveConfig, default_wave_config

PLANNABLE_STATUSES = ("onboarding", "active")
UNDER_WAY = ("queued", *OPEN_STATES)  # her one wave at a time: going out, or out and open


class _Rollback(Exception):
    """Leave this transaction without changes (the claim turned out not to be ours to make)."""


@dataclass(frozen=True)
class _Recipient:
    survivor_id: int
    identity_id: int
    channel: str
    address: str
    address_index: str
    pseudonym: str
    wave: str
    wave_kind: str

    @classmethod
    def of(cls, survivor: Survivor, identity: ChannelIdentity, inst: WaveInstance) -> _Recipient:
        return cls(survivor.id, identity.id, identity.channel, identity.address, identity.address_index,
                   survivor.pseudonym, inst.wave_code, inst.wave_kind)


@dataclass
class TickSummary:
    planned: int = 0
    opened: int = 0
    reminded: int = 0
    closed: int = 0

    def __bool__(self) -> bool:
        return bool(self.planned or self.opened or self.reminded or self.closed)


def milestones_of(row: ProgrammeMilestones) -> Milestones:
    return Milestones(row.enrolled_on, row.programme_start, row.expected_end, row.actual_end)


async def sync_plan(session: AsyncSession, survivor_id: int, planner: WavePlanner, now: datetime,
                    milestones: Milestones, tz: str) -> int:
    """Make her `wave_instances` match the plan; returns how many rows changed.

    New waves are added (as `cancelled`, reason `planned_too_late`, when their deadline has already
    passed); still-planned waves move with their milestones; planned waves the plan no longer holds
    (a drop-out ends the check-ins) are cancelled; a cancelled wave the plan holds again is revived.
    A wave that went out is never touched.
    """
    try:
        desired = {p.wave_code: p for p in planner.plan(milestones, tz)}
    except WindowError:
        desired = {p.wave_code: p for p in planner.plan(milestones, "UTC")}
    existing = {
        row.wave_code: row
        for row in (await session.scalars(
            select(WaveInstance).where(WaveInstance.survivor_id == survivor_id)
        )).all()
    }
    changed = 0
    for code, p in desired.items():
        row = existing.get(code)
        if row is None:
            late = p.closes_at <= now
            session.add(WaveInstance(
                survivor_id=survivor_id, wave_code=code, wave_kind=p.wave_kind, questionnaire=p.questionnaire,
                questionnaire_version=p.questionnaire_version, due_at=p.due_at, reminder_at=p.reminder_at,
                closes_at=p.closes_at, state="cancelled" if late else "planned", progress={},
                closed_at=now if late else None, closed_reason="planned_too_late" if late else None,
            ))
            changed += 1
        elif row.state == "planned" and _differs(row, p):
            _apply(row, p)
            changed += 1
        elif row.state == "cancelled" and row.closed_reason == "plan_changed" and p.closes_at > now:
            _apply(row, p)
            row.state, row.closed_at, row.closed_reason = "planned", None, None
            changed += 1
    for code, row in existing.items():
        if code not in desired and row.state == "planned":
            row.state, row.closed_at, row.closed_reason = "cancelled", now, "plan_changed"
            changed += 1
    await session.flush()
    return changed


def _differs(row: WaveInstance, p: PlannedWave) -> bool:
    return (row.due_at, row.reminder_at, row.closes_at, row.questionnaire, row.questionnaire_version) != (
        p.due_at, p.reminder_at, p.closes_at, p.questionnaire, p.questionnaire_version)


def _apply(row: WaveInstance, p: PlannedWave) -> None:
    row.due_at, row.reminder_at, row.closes_at = p.due_at, p.reminder_at, p.closes_at
    row.questionnaire, row.questionnaire_version, row.wave_kind = p.questionnaire, p.questionnaire_version, p.wave_kind


async def latest_consent(session: AsyncSession, survivor_id: int, kind: str) -> bool:
    granted = await session.scalar(
        select(ConsentRecord.granted).where(ConsentRecord.survivor_id == survivor_id, ConsentRecord.kind == kind)
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc()).limit(1)
    )
    return bool(granted)


async def active_identity(session: AsyncSession, survivor_id: int) -> ChannelIdentity | None:
    return await session.scalar(
        select(ChannelIdentity).where(ChannelIdentity.survivor_id == survivor_id, ChannelIdentity.status == "active")
        .order_by(ChannelIdentity.verified_at.desc().nulls_last(), ChannelIdentity.id.desc()).limit(1)
    )


async def _reachable(session: AsyncSession, inst: WaveInstance) -> tuple[Survivor, ChannelIdentity] | None:
    """Her record and the identity to write to, if a wave may reach her now: she is active, her
    latest check-in consent is granted and she has an active identity."""
    survivor = await session.get(Survivor, inst.survivor_id)
    if survivor is None or survivor.status != "active" or not await latest_consent(session, survivor.id, "checkins"):
        return None
    identity = await active_identity(session, survivor.id)
    if identity is None:
        return None
    return survivor, identity


def _offer_again() -> Any:
    """A wave her quick exit withdrew (offered again once: `_offered_again` checks its progress)."""
    return and_(WaveInstance.state == WITHDRAWN, WaveInstance.closed_reason == WITHDRAWN_REASON)


def _offered_again(inst: WaveInstance) -> bool:
    return (inst.state == WITHDRAWN and inst.closed_reason == WITHDRAWN_REASON
            and not (inst.progress or {}).get("offered_again"))


class WaveJobs:
    """The four wave jobs over one database. `clock` is injectable: tests never wait."""

    def __init__(self, db: Database, keyring: KeyRing, *, config: WaveConfig | None = None,
                 questionnaires: QuestionnaireSet | None = None, rules: TriageRules | None = None,
                 clock: Callable[[], datetime] | None = None, on_outbox: Callable[[], None] | None = None,
                 batch: int = 200) -> None:
        self.db = db
        self.keyring = keyring
        self.config = config or default_wave_config()
        self.planner = WavePlanner(self.config)  # shares planned instances among the survivors it plans
        self.questionnaires = questionnaires or default_questionnaires()
        self.rules = rules or default_rules()
        self._clock = clock or (lambda: datetime.now(UTC))
        self.on_outbox = on_outbox or (lambda: None)
        self.batch = batch

    def now(self) -> datetime:
        return self._clock()

    async def run_once(self) -> TickSummary:
        """One pass of every job, in the order that keeps one wave open at a time per survivor."""
        summary = TickSummary()
        summary.planned = await self.sync_plans()
        summary.closed = await self.close_expired()
        summary.opened = await self.open_due()
        summary.reminded = await self.send_reminders()
        if summary.opened or summary.reminded:
            self.on_outbox()
        if summary:
            log_event("waves.tick", planned=summary.planned, opened=summary.opened,
                      reminded=summary.reminded, closed=summary.closed)
        return summary

    # -- planning ----------------------------------------------------------------------------------
    async def ensure_milestone_rows(self) -> int:
        """Every enrolled survivor gets a milestones row (enrolment day = her record's creation)."""
        async with self.db.sessions() as s:
            rows = (await s.execute(
                select(Survivor.id, Survivor.created_at, Survivor.timezone).where(
                    Survivor.status.in_(PLANNABLE_STATUSES),
                    ~exists().where(ProgrammeMilestones.survivor_id == Survivor.id),
                )
            )).all()
        made = 0
        for sid, created_at, tz in rows:
            try:
                async with self.db.transaction() as s:
                    s.add(ProgrammeMilestones(survivor_id=sid, enrolled_on=enrolment_day(created_at, tz)))
                made += 1
            except IntegrityError:
                pass  # another scheduler made it first
        return made

    async def sync_plans(self) -> int:
        """Plan or replan everyone whose milestones changed or was planned under another configuration."""
        await self.ensure_milestone_rows()
        sig = self.config.signature
        last, changed = 0, 0
        while True:  # keyset pages: each survivor is looked at once per pass, even if replanning fails
            async with self.db.sessions() as s:
                ids = (await s.scalars(select(ProgrammeMilestones.survivor_id).where(
                    or_(ProgrammeMilestones.plan_signature.is_(None), ProgrammeMilestones.plan_signature != sig),
                    ProgrammeMilestones.survivor_id > last,
                ).order_by(ProgrammeMilestones.survivor_id).limit(self.batch))).all()
            if not ids:
                return changed
            for sid in ids:
                last = sid
                try:
                    changed += await self.replan(sid)
                except IntegrityError:
                    log_event("waves.replan_conflict", logging.INFO, survivor=sid)

    async def replan(self, survivor_id: int, *, force: bool = False) -> int:
        """Replan one survivor (claimed by a conditional update of her milestones row)."""
        sig = self.config.signature
        now = self.now()
        async with self.db.transaction() as s:
            cond = [ProgrammeMilestones.survivor_id == survivor_id]
            if not force:
                cond.append(or_(ProgrammeMilestones.plan_signature.is_(None),
                                ProgrammeMilestones.plan_signature != sig))
            claimed = await s.execute(update(ProgrammeMilestones).where(*cond)
                                      .values(plan_signature=sig, planned_at=now))
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return 0
            row = await s.scalar(select(ProgrammeMilestones).where(ProgrammeMilestones.survivor_id == survivor_id))
            survivor = await s.get(Survivor, survivor_id)
            assert row is not None and survivor is not None
            if survivor.status == "erased":
                res = await s.execute(update(WaveInstance).where(
                    WaveInstance.survivor_id == survivor_id, WaveInstance.state == "planned",
                ).values(state="cancelled", closed_at=now, closed_reason="erased"))
                return int(res.rowcount or 0)  # type: ignore[attr-defined]
            return await sync_plan(s, survivor_id, self.planner, now, milestones_of(row), survivor.timezone)

    async def _each_instance(self, query: Select[int],
                             handle: Callable[[int, datetime], Awaitable[bool]], now: datetime) -> int:
        """`handle` every wave instance `query` (of `WaveInstance.id`) finds, in keyset pages, each
        once per pass even if handling fails; returns how many it handled."""
        last, handled = 0, 0
        while True:
            async with self.db.sessions() as s:
                ids = (await s.scalars(query.where(WaveInstance.id > last)
                                       .order_by(WaveInstance.id).limit(self.batch))).all()
            if not ids:
                return handled
            for iid in ids:
                last = iid
                if await handle(iid, now):
                    handled += 1

    def _invitation(self, inst: WaveInstance, survivor: Survivor, *,
                    reminder: bool) -> tuple[str, tuple[Button, ...]]:
        """The message that opens the wave (or reminds of it), rendered for her."""
        q = self.questionnaires.get(survivor.locale, inst.questionnaire, inst.questionnaire_version)
        say = opening(q, inst.id, plain=survivor.plain_mode, reminder=reminder)
        return render_checkin(say, survivor.locale, Disguise.of(survivor.persona, survivor.plain_mode),
                              self.questionnaires)

    # -- opening due waves -------------------------------------------------------------------------
    async def open_due(self) -> int:
        now = self.now()
        open_wave = aliased(WaveInstance)
        # one open wave per survivor; a full wave may replace an open check-in she has not begun
        blocking = exists().where(
            open_wave.survivor_id == WaveInstance.survivor_id, open_wave.id != WaveInstance.id,
            or_(open_wave.state == "queued",
                and_(open_wave.state.in_(OPEN_STATES),
                     or_(open_wave.wave_kind != "checkin", WaveInstance.wave_kind == "checkin",
                         exists().where(Answer.wave_instance_id == open_wave.id)))),
        )
        due = select(WaveInstance.id).join(Survivor, Survivor.id == WaveInstance.survivor_id).where(
            or_(WaveInstance.state == "planned", _offer_again()), WaveInstance.due_at <= now,
            WaveInstance.closes_at > now, Survivor.status == "active", ~blocking,
        )
        return await self._each_instance(due, self._open_one, now)

    async def _open_one(self, instance_id: int, now: datetime) -> bool:
        async with self.db.sessions() as s:
            inst = await s.get(WaveInstance, instance_id)
            if inst is None or not (inst.state == "planned" or _offered_again(inst)):
                return False
            again, was = inst.state == WITHDRAWN, inst.state
            reachable = await _reachable(s, inst)
            if reachable is None:
                return False
            survivor, identity = reachable
            # processed_at is on the service's clock (the channels stamp received_at from the wall)
            last_heard = await s.scalar(select(func.max(InboundMessage.processed_at))
                                        .where(InboundMessage.survivor_id == survivor.id))
            earliest = max(now, last_heard + QUIET_AFTER_HER_MESSAGE) if last_heard is not None else now
            try:
                not_before = next_open(survivor.contact_windows, survivor.timezone, earliest)
            except WindowError:
                log_event("waves.bad_windows", logging.WARNING, survivor=survivor.pseudonym)
                return False
            if not_before >= inst.closes_at:
                return False  # no window before the deadline: it will be recorded missing
            wave = self.config.wave(inst.wave_code)
            reminder_at = not_before + wave.reminder_after if wave.reminder_after is not None else None
            if reminder_at is not None and reminder_at >= inst.closes_at:
                reminder_at = None
            body, buttons = self._invitation(inst, survivor, reminder=False)
            to = _Recipient.of(survivor, identity, inst)
        try:
            async with self.db.transaction() as s:
                if not self.db.is_sqlite:  # one wave opening per survivor at a time (SQLite: the write lock)
                    await s.execute(select(Survivor.id).where(Survivor.id == to.survivor_id).with_for_update())
                # her place in the check-in is in her conversation state (flows/checkin.py); the instance
                # keeps only the scheduler's own marker
                progress: dict[str, Any] = {"offered_again": True} if again else {}
                claimed = await s.execute(
                    update(WaveInstance).where(
                        WaveInstance.id == instance_id, WaveInstance.state == was, WaveInstance.closes_at > now,
                    ).values(state="queued", sent_at=None, closed_at=None, reminder_at=reminder_at,
                             progress=progress)  # `sent` when the provider accepts it (wave_delivery)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    return False
                if to.wave_kind != "checkin":  # an unbegun check-in gives way to a full wave
                    await s.execute(update(WaveInstance).where(
                        WaveInstance.survivor_id == to.survivor_id, WaveInstance.id != instance_id,
                        WaveInstance.state.in_(OPEN_STATES), WaveInstance.wave_kind == "checkin",
                        ~exists().where(Answer.wave_instance_id == WaveInstance.id),
                    ).values(state="missing", closed_at=now, closed_reason="superseded"))
                other = await s.scalar(select(WaveInstance.id).where(
                    WaveInstance.survivor_id == to.survivor_id, WaveInstance.id != instance_id,
                    WaveInstance.state.in_(UNDER_WAY)).limit(1))
                if other is not None:
                    raise _Rollback
                enqueue(s, channel=to.channel, address=to.address, address_index=to.address_index,
                        cause=opening_cause(instance_id, again), index=0, text_key="checkin.opening", body=body,
                        buttons=buttons, survivor_id=to.survivor_id, identity_id=to.identity_id,
                        sensitive=False, is_reply=False, not_before=not_before)
        except _Rollback:
            return False
        except IntegrityError:
            return False  # the outbox already holds this cause: someone else sent it
        log_event("waves.opened", survivor=to.pseudonym, wave=to.wave, instance=instance_id)
        return True

    # -- reminders ---------------------------------------------------------------------------------
    async def send_reminders(self) -> int:
        now = self.now()
        due = select(WaveInstance.id).where(
            WaveInstance.state == "sent", WaveInstance.reminder_at.isnot(None),
            WaveInstance.reminder_at <= now, WaveInstance.closes_at > now,
        )
        return await self._each_instance(due, self._remind_one, now)

    async def _remind_one(self, instance_id: int, now: datetime) -> bool:
        async with self.db.sessions() as s:
            inst = await s.get(WaveInstance, instance_id)
            if inst is None or inst.state != "sent":  # answered, partial, closed: no reminder
                return False
            reachable = await _reachable(s, inst)
            if reachable is None:
                return False
            survivor, identity = reachable
            try:
                not_before = next_open(survivor.contact_windows, survivor.timezone, now)
            except WindowError:
                return False
            if not_before >= inst.closes_at:
                async with self.db.transaction() as w:  # no window left before the deadline: no reminder
                    await w.execute(update(WaveInstance).where(WaveInstance.id == instance_id,
                                                               WaveInstance.state == "sent").values(reminder_at=None))
                return False
            body, buttons = self._invitation(inst, survivor, reminder=True)
            to = _Recipient.of(survivor, identity, inst)
        try:
            async with self.db.transaction() as s:
                claimed = await s.execute(
                    update(WaveInstance).where(
                        WaveInstance.id == instance_id, WaveInstance.state == "sent", WaveInstance.closes_at > now,
                    ).values(state="reminded", reminded_at=now)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    return False
                enqueue(s, channel=to.channel, address=to.address, address_index=to.address_index,
                        cause=f"wave:{instance_id}:reminder", index=0, text_key="checkin.reminder", body=body,
                        buttons=buttons, survivor_id=to.survivor_id, identity_id=to.identity_id,
                        sensitive=False, is_reply=False, not_before=not_before)
        except IntegrityError:
            return False
        log_event("waves.reminded", survivor=to.pseudonym, wave=to.wave, instance=instance_id)
        return True

    # -- closing -----------------------------------------------------------------------------------
    async def close_expired(self) -> int:
        """Past their deadline: `partial` if she answered something, else `missing`. Never retried.
        A partial answer set that raised nothing yet is triaged now (she may not come back)."""
        now = self.now()
        expired = select(WaveInstance.id).where(
            WaveInstance.state.in_(("planned", *UNDER_WAY)), WaveInstance.closes_at <= now,
        )
        return await self._each_instance(expired, self._close_one, now)

    async def _close_one(self, instance_id: int, now: datetime) -> bool:
        async with self.db.transaction() as s:
            inst = await s.scalar(select(WaveInstance).where(WaveInstance.id == instance_id).with_for_update())
            if inst is None or inst.state not in ("planned", *UNDER_WAY) or inst.closes_at > now:
                return False
            answered = await s.scalar(
                select(Answer.id).where(Answer.wave_instance_id == instance_id).limit(1)) is not None
            reason = "not_sent" if inst.state in ("planned", "queued") else "no_reply"
            if inst.closed_reason == WITHDRAWN_REASON:
                reason = WITHDRAWN_REASON  # offered again after her quick exit: the evaluation tells it apart
            res = await s.execute(update(WaveInstance).where(
                WaveInstance.id == instance_id, WaveInstance.state == inst.state,
            ).values(state="partial" if answered else "missing", closed_at=now, closed_reason=reason))
            if res.rowcount != 1:  # type: ignore[attr-defined]
                return False
            if answered and not inst.triage_priority:
                answers = {k: v for k, v in (await answers_of(s, instance_id)).items() if v is not None}
                if answers:
                    q = self.questionnaires.get("en", inst.questionnaire, inst.questionnaire_version)
                    prev = await previous_answers(s, inst.survivor_id, inst.due_at) if inst.survivor_id else {}
                    t = triage(self.rules, Facts(answers, prev, q.scores()))
                    await raise_escalation(s, survivor_id=inst.survivor_id, priority=t.priority, reason=t.reason,
                                           child_protection=t.child_protection, now=now)
                    await s.execute(update(WaveInstance).where(WaveInstance.id == instance_id)
                                    .values(triage_priority=t.priority))
        return True


async def replan_waves(db: Database, keyring: KeyRing, survivor_ids: Iterable[int]) -> None:
    """Replan her waves now, after a programme event moved her milestones (the next tick would, too:
    moving a milestone clears the plan signature). Given to the service by the composition root."""
    jobs = WaveJobs(db, keyring, clock=db.clock)
    for sid in dict.fromkeys(survivor_ids):
        await jobs.replan(sid)
