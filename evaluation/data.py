"""Evaluation data: answers of survivors who consented to evaluation use, under a pseudonym.

Only survivors whose latest `consent_records` row of kind "evaluation" is granted (and who are not
erased) are included. Each is identified by `keyring.pseudonym("evaluation", survivors.pseudonym)`:
keyed, stable across waves and exports, and irreversible without the key file (evaluators never
get it). Only closed waves are included (answered, partial, missing): an open wave is not data yet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database
from bot.storage.models import Answer, ConsentRecord, Notice, ProgrammeMilestones, Survivor, WaveInstance
from bot.waves.evaluation_records import (
    DETACHED,
    EXPORTED,
    PSEUDONYM_NAMESPACE,
    WITHDRAWN_REASON,
    WITHDRAWN_STATE,
)
from safety.crypto import KeyRing


@dataclass(frozen=True)
class Selection:
    """Which waves an export or report covers: due on a day in [since, until] (UTC, both inclusive,
    either open), and of survivors at `site` (None: every site)."""

    since: date | None = None
    until: date | None = None
    site: str | None = None

    def wave_filter(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.since is not None:
            out.append(WaveInstance.due_at >= datetime.combine(self.since, time(), UTC))
        if self.until is not None:
            out.append(WaveInstance.due_at < datetime.combine(self.until + timedelta(days=1), time(), UTC))
        return out

    def describe(self) -> str:
        parts = []
        if self.since and self.until:
            parts.append(f"waves due {self.since} to {self.until}")
        elif self.since:
            parts.append(f"waves due from {self.since}")
        elif self.until:
            parts.append(f"waves due up to {self.until}")
        if self.site:
            parts.append(f"site {self.site}")
        return ", ".join(parts) or "all waves, all sites"


def wave_state(state: str, closed_reason: str | None) -> str:
    """The evaluation's state of a wave: withdrawn (quick exit) whatever the row's state, else the state."""
    return WITHDRAWN_STATE if state == WITHDRAWN_STATE or closed_reason == WITHDRAWN_REASON else state


@dataclass(frozen=True)
class AnswerRecord:
    value: str | None
    skipped: bool
    answered_on: date
    free_text: str | None = None


@dataclass(frozen=True)
class WaveRecord:
    pseudonym: str
    wave: str
    kind: str
    state: str  # answered / partial / missing / withdrawn
    questionnaire: str
    questionnaire_version: str
    due_on: date
    programme_outcome: str | None
    answers: dict[str, AnswerRecord] = field(default_factory=dict)
    site: str | None = None
    # his programme's dates (None when unknown, and on waves kept after an erasure)
    programme_start: date | None = None
    programme_end: date | None = None
    # risk notices that reached her after her previous wave fell due, up to this one (a count, never
    # their content); None for waves kept after an erasure (her notices went with her)
    notices_since_last_wave: int | None = None

    @property
    def responded(self) -> bool:
        return self.state in ("answered", "partial")


async def consented(session: AsyncSession, site: str | None = None) -> dict[int, str]:
    """survivor id -> her internal pseudonym, for everyone whose latest evaluation consent is granted
    (and, given a site, whose programme is at that site)."""
    rows = (await session.execute(
        select(ConsentRecord.survivor_id, ConsentRecord.granted)
        .where(ConsentRecord.kind == "evaluation")
        .order_by(ConsentRecord.survivor_id, ConsentRecord.recorded_at, ConsentRecord.id)
    )).all()
    latest: dict[int, bool] = {}
    for sid, granted in rows:
        latest[sid] = bool(granted)  # ordered: the last one wins
    ids = [sid for sid, granted in latest.items() if granted]
    out: dict[int, str] = {}
    for i in range(0, len(ids), 1000):
        chunk = ids[i:i + 1000]
        query = select(Survivor.id, Survivor.pseudonym).where(Survivor.id.in_(chunk), Survivor.status != "erased")
        if site is not None:
            query = query.join(ProgrammeMilestones, ProgrammeMilestones.survivor_id == Survivor.id).where(
                ProgrammeMilestones.site == site)
        for sid, pseudonym in (await session.execute(query)).all():
            out[sid] = pseudonym
    return out


def _detached(selection: Selection) -> list[ColumnElement[bool]]:
    site = [WaveInstance.programme_site == selection.site] if selection.site is not None else []
    return [*DETACHED, *selection.wave_filter(), *site]


async def count_records(db: Database, selection: Selection | None = None) -> int:
    sel = selection or Selection()
    async with db.sessions() as s:
        ids = await consented(s, sel.site)
        total = int(await s.scalar(select(func.count(WaveInstance.id)).where(*_detached(sel))) or 0)
        keys = list(ids)
        for i in range(0, len(keys), 1000):
            total += int(await s.scalar(select(func.count(WaveInstance.id)).where(
                WaveInstance.survivor_id.in_(keys[i:i + 1000]), EXPORTED, *sel.wave_filter())) or 0)
        return total


async def iter_records(db: Database, keyring: KeyRing, *, include_free_text: bool = False,
                       chunk: int = 500, progress: Callable[[int], None] | None = None,
                       selection: Selection | None = None) -> AsyncIterator[WaveRecord]:
    """Every closed (or withdrawn) wave of every consenting survivor in the selection, in survivor
    order, a chunk of survivors at a time (memory stays flat for large exports)."""
    sel = selection or Selection()
    async with db.sessions() as s:
        people = await consented(s, sel.site)
    ids = sorted(people)
    columns = (WaveInstance.id, WaveInstance.survivor_id, WaveInstance.wave_code, WaveInstance.wave_kind,
               WaveInstance.state, WaveInstance.closed_reason, WaveInstance.questionnaire,
               WaveInstance.questionnaire_version, WaveInstance.due_at, WaveInstance.evaluation_pseudonym,
               WaveInstance.programme_outcome, WaveInstance.programme_site)
    for i in range(0, len(ids), chunk):
        part = ids[i:i + chunk]
        async with db.sessions() as s:
            programmes = {row[0]: row[1:] for row in (await s.execute(
                select(ProgrammeMilestones.survivor_id, ProgrammeMilestones.outcome, ProgrammeMilestones.site,
                       ProgrammeMilestones.programme_start, ProgrammeMilestones.actual_end)
                .where(ProgrammeMilestones.survivor_id.in_(part))
            )).all()}
            instances: list[Any] = list((await s.execute(
                select(*columns).where(WaveInstance.survivor_id.in_(part), EXPORTED, *sel.wave_filter())
                .order_by(WaveInstance.survivor_id, WaveInstance.due_at, WaveInstance.id)
            )).all())
            answers = await _answers(s, [row[0] for row in instances], include_free_text)
            notices = await _notices_between_waves(s, part)
        for iid, sid, code, kind, state, reason, qid, version, due_at, _p, _o, _s in instances:
            outcome, site, start, end = programmes.get(sid, (None, None, None, None))
            yield WaveRecord(
                pseudonym=keyring.pseudonym(PSEUDONYM_NAMESPACE, people[sid]), wave=code, kind=kind,
                state=wave_state(state, reason), questionnaire=qid, questionnaire_version=version,
                due_on=due_at.date(), programme_outcome=outcome, answers=answers.get(iid, {}), site=site,
                programme_start=start, programme_end=end, notices_since_last_wave=notices.get(iid, 0),
            )
            if progress is not None:
                progress(1)
    last = 0
    while True:  # waves kept, unlinked, after erasures she consented to
        async with db.sessions() as s:
            instances = list((await s.execute(
                select(*columns).where(*_detached(sel), WaveInstance.id > last).order_by(WaveInstance.id)
                .limit(chunk * 10)
            )).all())
            if not instances:
                return
            answers = await _answers(s, [row[0] for row in instances], include_free_text)
        for iid, _sid, code, kind, state, reason, qid, version, due_at, pseudonym, outcome, site in instances:
            last = iid
            yield WaveRecord(pseudonym=pseudonym, wave=code, kind=kind, state=wave_state(state, reason),
                             questionnaire=qid, questionnaire_version=version, due_on=due_at.date(),
                             programme_outcome=outcome, answers=answers.get(iid, {}), site=site)
            if progress is not None:
                progress(1)


async def _notices_between_waves(s: AsyncSession, survivor_ids: list[int]) -> dict[int, int]:
    """wave instance id -> how many notices reached her (their preview was sent) after her previous
    wave fell due (for her first wave: ever) and up to this wave's due time. All her waves count as
    boundaries, exported or not, so the count means the same whatever an export selects."""
    sent = (await s.execute(select(Notice.survivor_id, Notice.sent_at).where(
        Notice.survivor_id.in_(survivor_ids), Notice.sent_at.isnot(None)))).all()
    if not sent:
        return {}
    by_survivor: dict[int, list[datetime]] = {}
    for sid, at in sent:
        if sid is not None and at is not None:
            by_survivor.setdefault(sid, []).append(at)
    waves: list[Any] = list((await s.execute(
        select(WaveInstance.id, WaveInstance.survivor_id, WaveInstance.due_at)
        .where(WaveInstance.survivor_id.in_(list(by_survivor)))
        .order_by(WaveInstance.survivor_id, WaveInstance.due_at, WaveInstance.id))).all())
    out: dict[int, int] = {}
    previous: dict[int, datetime] = {}
    for iid, sid, due_at in waves:
        since = previous.get(sid)
        out[iid] = len([at for at in by_survivor[sid] if at <= due_at and (since is None or at > since)])
        previous[sid] = due_at
    return out


async def _answers(s: AsyncSession, inst_ids: list[int], include_free_text: bool) -> dict[int, dict[str, AnswerRecord]]:
    answers: dict[int, dict[str, AnswerRecord]] = {}
    cols = [Answer.wave_instance_id, Answer.item_code, Answer.value, Answer.skipped, Answer.answered_at]
    if include_free_text:
        cols.append(Answer.free_text)
    for j in range(0, len(inst_ids), 1000):
        rows: list[Any] = list((await s.execute(
            select(*cols).where(Answer.wave_instance_id.in_(inst_ids[j:j + 1000])))).all())
        for row in rows:
            answers.setdefault(row[0], {})[row[1]] = AnswerRecord(
                row[2], bool(row[3]), row[4].date(), row[5] if include_free_text else None)
    return answers
