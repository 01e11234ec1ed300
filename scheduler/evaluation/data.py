"""Evaluation data: answers of survivors who consented to evaluation use, under a pseudonym.

Only survivors whose latest `consent_records` row of kind "evaluation" is granted (and who are not
erased) are included. Each is identified by `keyring.pseudonym("evaluation", survivors.pseudonym)`:
keyed, stable across waves and exports, and irreversible without the key file (evaluators never
get it). Only closed waves are included (answered, partial, missing): an open wave is not data yet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database
from bot.storage.models import Answer, ConsentRecord, ProgrammeMilestones, Survivor, WaveInstance
from safety.crypto import KeyRing, current_keyring

EXPORTED_STATES = ("answered", "partial", "missing")
PSEUDONYM_NAMESPACE = "evaluation"
# waves kept after an erasure she consented to: no survivor, only the evaluation pseudonym
DETACHED = (WaveInstance.survivor_id.is_(None), WaveInstance.evaluation_pseudonym.isnot(None),
            WaveInstance.state.in_(EXPORTED_STATES))


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
    state: str  # answered / partial / missing
    questionnaire: str
    questionnaire_version: str
    due_on: date
    programme_outcome: str | None
    answers: dict[str, AnswerRecord] = field(default_factory=dict)

    @property
    def responded(self) -> bool:
        return self.state in ("answered", "partial")


async def consented(session: AsyncSession) -> dict[int, str]:
    """survivor id -> her internal pseudonym, for everyone whose latest evaluation consent is granted."""
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
        for sid, pseudonym in (await session.execute(
            select(Survivor.id, Survivor.pseudonym).where(Survivor.id.in_(chunk), Survivor.status != "erased")
        )).all():
            out[sid] = pseudonym
    return out


async def count_records(db: Database) -> int:
    async with db.sessions() as s:
        ids = await consented(s)
        total = int(await s.scalar(select(func.count(WaveInstance.id)).where(*DETACHED)) or 0)
        keys = list(ids)
        for i in range(0, len(keys), 1000):
            total += int(await s.scalar(select(func.count(WaveInstance.id)).where(
                WaveInstance.survivor_id.in_(keys[i:i + 1000]), WaveInstance.state.in_(EXPORTED_STATES))) or 0)
        return total


async def iter_records(db: Database, keyring: KeyRing, *, include_free_text: bool = False,
                       chunk: int = 500, progress: Callable[[int], None] | None = None,
                       ) -> AsyncIterator[WaveRecord]:
    """Every closed wave of every consenting survivor, in survivor order, a chunk of survivors at a time
    (memory stays flat for large exports)."""
    async with db.sessions() as s:
        people = await consented(s)
    ids = sorted(people)
    columns = (WaveInstance.id, WaveInstance.survivor_id, WaveInstance.wave_code, WaveInstance.wave_kind,
               WaveInstance.state, WaveInstance.questionnaire, WaveInstance.questionnaire_version,
               WaveInstance.due_at, WaveInstance.evaluation_pseudonym, WaveInstance.programme_outcome)
    for i in range(0, len(ids), chunk):
        part = ids[i:i + chunk]
        async with db.sessions() as s:
            outcomes = dict((await s.execute(
                select(ProgrammeMilestones.survivor_id, ProgrammeMilestones.outcome)
                .where(ProgrammeMilestones.survivor_id.in_(part))
            )).all())
            instances: list[Any] = list((await s.execute(
                select(*columns).where(WaveInstance.survivor_id.in_(part), WaveInstance.state.in_(EXPORTED_STATES))
                .order_by(WaveInstance.survivor_id, WaveInstance.due_at, WaveInstance.id)
            )).all())
            answers = await _answers(s, [row[0] for row in instances], include_free_text)
        for iid, sid, code, kind, state, qid, version, due_at, _p, _o in instances:
            yield WaveRecord(
                pseudonym=keyring.pseudonym(PSEUDONYM_NAMESPACE, people[sid]), wave=code, kind=kind, state=state,
                questionnaire=qid, questionnaire_version=version, due_on=due_at.date(),
                programme_outcome=outcomes.get(sid), answers=answers.get(iid, {}),
            )
            if progress is not None:
                progress(1)
    last = 0
    while True:  # waves kept, unlinked, after erasures she consented to
        async with db.sessions() as s:
            instances = list((await s.execute(
                select(*columns).where(*DETACHED, WaveInstance.id > last).order_by(WaveInstance.id).limit(chunk * 10)
            )).all())
            if not instances:
                return
            answers = await _answers(s, [row[0] for row in instances], include_free_text)
        for iid, _sid, code, kind, state, qid, version, due_at, pseudonym, outcome in instances:
            last = iid
            yield WaveRecord(pseudonym=pseudonym, wave=code, kind=kind, state=state, questionnaire=qid,
                             questionnaire_version=version, due_on=due_at.date(), programme_outcome=outcome,
                             answers=answers.get(iid, {}))
            if progress is not None:
                progress(1)


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


async def detach_or_delete(session: AsyncSession, survivor_id: int, *, keep: bool,
                           keyring: KeyRing | None = None) -> int:
    """At erasure, in the erasure's transaction (call before her survivors row is deleted).

    keep (her latest evaluation consent is granted): her closed waves and coded answers stay for
    evaluation, unlinked: no survivor id, her evaluation pseudonym and programme outcome copied onto
    the wave, free text blanked, triage and progress cleared. Everything else of hers (planned or open
    waves, milestones) is deleted. Not keep: all of it is deleted. Returns the number of waves kept.
    """
    ring = keyring or current_keyring()
    kept = 0
    if keep:
        row = (await session.execute(
            select(Survivor.pseudonym, ProgrammeMilestones.outcome)
            .outerjoin(ProgrammeMilestones, ProgrammeMilestones.survivor_id == Survivor.id)
            .where(Survivor.id == survivor_id)
        )).first()
        if row is not None:
            closed = select(WaveInstance.id).where(WaveInstance.survivor_id == survivor_id,
                                                   WaveInstance.state.in_(EXPORTED_STATES)).scalar_subquery()
            await session.execute(update(Answer).where(Answer.wave_instance_id.in_(closed)).values(free_text=None))
            res = await session.execute(
                update(WaveInstance).where(WaveInstance.survivor_id == survivor_id,
                                           WaveInstance.state.in_(EXPORTED_STATES))
                .values(survivor_id=None, evaluation_pseudonym=ring.pseudonym(PSEUDONYM_NAMESPACE, row[0]),
                        programme_outcome=row[1], progress={}, triage_priority=None)
            )
            kept = int(res.rowcount or 0)  # type: ignore[attr-defined]
    rest = select(WaveInstance.id).where(WaveInstance.survivor_id == survivor_id).scalar_subquery()
    await session.execute(delete(Answer).where(Answer.wave_instance_id.in_(rest)))
    await session.execute(delete(WaveInstance).where(WaveInstance.survivor_id == survivor_id))
    await session.execute(delete(ProgrammeMilestones).where(ProgrammeMilestones.survivor_id == survivor_id))
    return kept
