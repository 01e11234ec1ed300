"""A generated cohort with a known effect and known, biased attrition (seeded, deterministic).

Half the women are "high risk": rarely never afraid at intake, and far less likely to answer later
waves (some withdraw by quick exit); his programme more often ends early. Half are "low risk". In
both groups the share never afraid rises by exactly TRUE_EFFECT[wave] points from intake, so the true
change is the same whoever stays. The cross-sectional comparison (all intake respondents vs the
fewer, mostly low-risk, later respondents) overstates it; the paired one (the same women) does not.

Each woman has a latent answer at every wave, answered or not, so the cohort's own realised change
can be reported beside the design's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from bot.storage.db import Database
from bot.storage.models import Answer, ConsentRecord, ProgrammeMilestones, Survivor, WaveInstance
from evaluation.data import AnswerRecord, WaveRecord

WAVES = ("T0", "T1", "T2", "T3", "T4")
TRUE_EFFECT = {"T1": 0.10, "T2": 0.20, "T3": 0.25, "T4": 0.25}  # points of "never afraid" over intake
NEVER_AT_INTAKE = {True: 0.05, False: 0.45}  # high risk / low risk
RESPOND_LATER = {True: 0.30, False: 0.85}
WITHDRAW_PER_WAVE = {True: 0.06, False: 0.0}  # quick exit, from then on
SAME_ANSWER = 0.6  # how strongly a woman's answers hang together across waves
START = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
SITES = ("north", "south")
BEHAVIOURS = {"beh_shouting": 0.6, "beh_control": 0.45, "beh_jealousy": 0.5, "beh_threats": 0.25,
              "beh_following": 0.2, "beh_physical": 0.15, "beh_sexual": 0.05, "beh_children": 0.2}


@dataclass
class Woman:
    index: int
    high_risk: bool
    site: str
    never: dict[str, bool] = field(default_factory=dict)  # latent, every wave
    fear: dict[str, str] = field(default_factory=dict)  # latent answer code, every wave
    behaviours: dict[str, dict[str, str]] = field(default_factory=dict)  # wave -> beh_* -> yes/no
    state: dict[str, str] = field(default_factory=dict)  # invited waves only
    programme_start: date = START.date()
    actual_end: date | None = None
    outcome: str | None = None

    @property
    def pseudonym(self) -> str:
        return f"ps-biased-{self.index:04d}"


def due(wave: str) -> datetime:
    return START + timedelta(days=91 * WAVES.index(wave))


def make_cohort(n: int = 800, seed: int = 11) -> list[Woman]:
    rng = random.Random(seed)
    women = []
    for i in range(n):
        w = Woman(i, high_risk=i % 2 == 0, site=SITES[(i // 2) % 2])
        women.append(w)
        w.programme_start = START.date() + timedelta(days=7)
        if w.high_risk and rng.random() < 0.7:
            w.outcome, w.actual_end = "dropped_out", w.programme_start + timedelta(weeks=rng.randint(4, 12))
        else:
            w.outcome, w.actual_end = "completed", w.programme_start + timedelta(weeks=26)
        u = rng.random()
        withdrawn = False
        for k, code in enumerate(WAVES):
            p = NEVER_AT_INTAKE[w.high_risk] + (TRUE_EFFECT.get(code, 0.0))
            if k > 0 and rng.random() > SAME_ANSWER:
                u = rng.random()
            w.never[code] = u < p
            w.fear[code] = "never" if w.never[code] else rng.choices(
                ("rarely", "sometimes", "often", "always"), weights=(1, 2, 3, 3) if w.high_risk else (3, 3, 1, 1))[0]
            w.behaviours[code] = {b: "yes" if rng.random() < base / (1 + k) * (1.6 if w.high_risk else 0.6) else "no"
                                  for b, base in BEHAVIOURS.items()}
            if code == "T4" and i % 80 != 0:
                continue  # T4: only a handful invited so far, so it is suppressed
            if k == 0:
                w.state[code] = "answered" if rng.random() < 0.95 else "missing"
                continue
            withdrawn = withdrawn or rng.random() < WITHDRAW_PER_WAVE[w.high_risk]
            if withdrawn:
                w.state[code] = "withdrawn"
            else:
                w.state[code] = "answered" if rng.random() < RESPOND_LATER[w.high_risk] else "missing"
    return women


def realised_effect(women: list[Woman], wave: str) -> float:
    """The change every woman of the cohort went through (answered or not): what attrition hides."""
    return (sum(w.never[wave] for w in women) - sum(w.never["T0"] for w in women)) / len(women)


def _answers(w: Woman, code: str) -> dict[str, str | None]:
    return {"fear": w.fear[code], "safe": "7" if w.never[code] else "3", "danger_now": "no", **w.behaviours[code]}


def records(women: list[Woman]) -> list[WaveRecord]:
    """The cohort as the report reads it, without a database (for fast, many-seed checks)."""
    out = []
    for w in women:
        for code, state in w.state.items():
            answers = {} if state in ("missing", "withdrawn") else {
                k: AnswerRecord(v, False, due(code).date()) for k, v in _answers(w, code).items()}
            out.append(WaveRecord(pseudonym=w.pseudonym, wave=code, kind="wave", state=state, questionnaire="full",
                                  questionnaire_version="1", due_on=due(code).date(), programme_outcome=w.outcome,
                                  answers=answers, site=w.site, programme_start=w.programme_start,
                                  programme_end=w.actual_end))
    return out


async def write(db: Database, women: list[Woman]) -> None:
    """Straight into the tables. Withdrawals are written both ways the quick exit may leave them:
    state "withdrawn", or a cancelled wave with closed_reason "withdrawn_quick_exit"."""
    async with db.transaction() as s:
        await s.execute(insert(Survivor), [
            {"pseudonym": w.pseudonym, "status": "active", "contact_windows": [], "state": {},
             "created_at": START, "updated_at": START} for w in women])
        ids = dict((await s.execute(select(Survivor.pseudonym, Survivor.id).where(
            Survivor.pseudonym.like("ps-biased-%")))).all())
        await s.execute(insert(ConsentRecord), [
            {"survivor_id": ids[w.pseudonym], "kind": "evaluation", "granted": True, "text_version": "t1",
             "channel": "simulator", "recorded_at": START} for w in women])
        await s.execute(insert(ProgrammeMilestones), [
            {"survivor_id": ids[w.pseudonym], "enrolled_on": START.date(), "programme_start": w.programme_start,
             "expected_end": w.programme_start + timedelta(weeks=26), "actual_end": w.actual_end,
             "outcome": w.outcome, "site": w.site, "plan_signature": "generated", "updated_at": START}
            for w in women])
        rows = []
        for w in women:
            for code, state in w.state.items():
                reason = None
                if state == "withdrawn" and w.index % 4 == 0:
                    state, reason = "cancelled", "withdrawn_quick_exit"
                rows.append({"survivor_id": ids[w.pseudonym], "wave_code": code, "wave_kind": "wave",
                             "questionnaire": "full", "questionnaire_version": "1", "due_at": due(code),
                             "closes_at": due(code) + timedelta(days=21), "state": state, "progress": {},
                             "closed_at": due(code) + timedelta(days=21), "closed_reason": reason,
                             "created_at": due(code), "updated_at": due(code)})
        await s.execute(insert(WaveInstance), rows)
        wid = {(sid, code): iid for iid, sid, code in (await s.execute(
            select(WaveInstance.id, WaveInstance.survivor_id, WaveInstance.wave_code))).all()}
        answers = []
        for w in women:
            for code, state in w.state.items():
                if state in ("missing", "withdrawn"):
                    continue
                for item, value in _answers(w, code).items():
                    answers.append({"wave_instance_id": wid[(ids[w.pseudonym], code)], "item_code": item,
                                    "value": value, "skipped": False, "free_text": None, "answered_at": due(code)})
        await s.execute(insert(Answer), answers)
