"""A generated cohort: a few hundred survivors over five waves, written straight into the tables.

Returns the ground truth (what was generated) so tests compute the expected figures on their own.
Deterministic (seeded). Fear falls and behaviours fade over the waves; response falls (attrition);
T4 has only a handful of respondents, so the report must suppress it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from bot.storage.db import Database
from bot.storage.models import Answer, ConsentRecord, ProgrammeMilestones, Survivor, WaveInstance
from flows.questionnaires import load_questionnaires

WAVES = ("T0", "T1", "T2", "T3", "T4")
FEAR = ("never", "rarely", "sometimes", "often", "always")
BEHAVIOURS = ("beh_shouting", "beh_control", "beh_jealousy", "beh_threats", "beh_following", "beh_physical",
              "beh_sexual", "beh_children")
FULL = load_questionnaires().get("en", "full", "1")


@dataclass
class Person:
    id: int
    pseudonym: str
    consented: bool
    outcome: str | None
    waves: dict[str, tuple[str, dict[str, str | None]]] = field(default_factory=dict)  # code -> (state, answers)


def _answers(rng: random.Random, wave_index: int, partial: bool) -> dict[str, str | None]:
    never_weight = 1 + 2 * wave_index  # fear falls over time
    fear = rng.choices(FEAR, weights=(never_weight, 3, 3, 2, 1))[0]
    out: dict[str, str | None] = {"fear": None if rng.random() < 0.05 else fear}  # None: skipped
    out["safe"] = str(rng.randint(0, 10))
    for b in BEHAVIOURS:
        p = {"beh_shouting": 0.6, "beh_control": 0.4, "beh_jealousy": 0.5}.get(b, 0.2) / (1 + wave_index)
        out[b] = "yes" if rng.random() < p else "no"
    out["danger_now"] = "no"
    out["children_witnessed"] = rng.choice(("yes", "no", "no_children"))
    out["wellbeing"] = rng.choice(("very_bad", "bad", "okay", "good", "very_good"))
    out["comment"] = None
    if partial:  # stopped after a few items
        keep = rng.randint(1, 6)
        out = dict(list(out.items())[:keep])
    return out


async def generate(db: Database, keyring, n: int = 300, seed: int = 7) -> list[Person]:
    rng = random.Random(seed)
    people: list[Person] = []
    start = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
    async with db.transaction() as s:
        for i in range(n):
            created = start + timedelta(days=i % 60)
            sv = Survivor(pseudonym=f"ps-cohort-{i:04d}", status="active", contact_windows=[], state={},
                          created_at=created, updated_at=created)
            s.add(sv)
            await s.flush()
            r = rng.random()
            consent_history = [True] if r < 0.85 else ([True, False] if r < 0.93 else [])
            if i == 0:
                consent_history = [False, True]  # withdrew, then agreed again: latest counts
            for j, granted in enumerate(consent_history):
                s.add(ConsentRecord(survivor_id=sv.id, kind="evaluation", granted=granted, text_version="t1",
                                    channel="simulator", recorded_at=created + timedelta(days=j)))
            outcome = rng.choice(("completed", "completed", "dropped_out", "excluded", None))
            s.add(ProgrammeMilestones(survivor_id=sv.id, enrolled_on=created.date(),
                                      programme_start=created.date() + timedelta(days=7),
                                      expected_end=created.date() + timedelta(days=175),
                                      actual_end=None if outcome is None else date(2025, 7, 1), outcome=outcome,
                                      plan_signature="generated"))
            people.append(Person(sv.id, sv.pseudonym, bool(consent_history and consent_history[-1]), outcome))
        rows, answer_rows = [], []
        for p in people:
            for k, code in enumerate(WAVES):
                if code == "T4" and p.id % 60 != 0:
                    continue  # T4: only a handful invited so far
                respond = 0.9 - 0.12 * k
                r = rng.random()
                state = "answered" if r < respond * 0.85 else "partial" if r < respond else "missing"
                answers = {} if state == "missing" else _answers(rng, k, state == "partial")
                p.waves[code] = (state, answers)
        wid = 0
        for p in people:
            for k, code in enumerate(WAVES):
                if code not in p.waves:
                    continue
                state, answers = p.waves[code]
                due = start + timedelta(days=91 * k)
                rows.append({"survivor_id": p.id, "wave_code": code, "wave_kind": "wave", "questionnaire": "full",
                             "questionnaire_version": "1", "due_at": due, "closes_at": due + timedelta(days=21),
                             "state": state, "progress": {}, "closed_at": due + timedelta(days=21),
                             "created_at": due, "updated_at": due})
            # a couple of check-ins each, which the report counts together
            for c in (1, 2):
                due = start + timedelta(days=14 * c)
                rows.append({"survivor_id": p.id, "wave_code": f"C{c:02d}", "wave_kind": "checkin",
                             "questionnaire": "checkin", "questionnaire_version": "1", "due_at": due,
                             "closes_at": due + timedelta(days=7), "state": "missing" if (p.id + c) % 3 == 0
                             else "answered", "progress": {}, "created_at": due, "updated_at": due})
        await s.execute(insert(WaveInstance), rows)
        ids = {(r.survivor_id, r.wave_code): r.id for r in (await s.execute(
            WaveInstance.__table__.select())).all()}
        for p in people:
            for code, (_state, answers) in p.waves.items():
                wid = ids[(p.id, code)]
                for item, value in answers.items():
                    answer_rows.append({"wave_instance_id": wid, "item_code": item, "value": value,
                                        "skipped": value is None and item != "comment", "free_text":
                                        "left blank" if item == "comment" and value is None else None,
                                        "answered_at": start})
            for c in (1, 2):
                if (p.id + c) % 3 != 0:
                    wid = ids[(p.id, f"C{c:02d}")]
                    answer_rows += [{"wave_instance_id": wid, "item_code": "fear", "value": "rarely", "skipped": False,
                                     "free_text": None, "answered_at": start},
                                    {"wave_instance_id": wid, "item_code": "safe", "value": "7", "skipped": False,
                                     "free_text": None, "answered_at": start},
                                    {"wave_instance_id": wid, "item_code": "incident", "value": "no",
                                     "skipped": False, "free_text": None, "answered_at": start}]
        await s.execute(insert(Answer), answer_rows)
    return people
