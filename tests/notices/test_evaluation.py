"""The evaluator's export counts, per wave, the notices that reached her since her previous wave:
numbers only, never what they said, and nothing for waves kept after an erasure."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.storage.models import (
    Answer,
    ConsentRecord,
    Notice,
    ProgrammeEvent,
    ProgrammeMilestones,
    Survivor,
    WaveInstance,
)
from evaluation.export import export

START = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
SECRET_WORDS = "He stopped coming to the programme"


async def test_each_wave_counts_the_notices_she_received_since_the_wave_before(service: Any, tmp_path: Path) -> None:
    async with service.db.transaction() as s:
        her = Survivor(pseudonym="ps-eval-notices", status="active", contact_windows=[], state={}, created_at=START)
        s.add(her)
        await s.flush()
        s.add(ConsentRecord(survivor_id=her.id, kind="evaluation", granted=True, text_version="t1",
                            channel="sms", recorded_at=START))
        s.add(ProgrammeMilestones(survivor_id=her.id, enrolled_on=START.date(), plan_signature="x"))
        waves = {}
        for k, code in enumerate(("T0", "T1", "T2")):
            due = START + timedelta(days=91 * k)
            waves[code] = WaveInstance(survivor_id=her.id, wave_code=code, wave_kind="wave", questionnaire="full",
                                       questionnaire_version="1", due_at=due, closes_at=due + timedelta(days=21),
                                       state="answered", progress={}, closed_at=due + timedelta(days=21))
            s.add(waves[code])
        await s.flush()
        for inst in waves.values():
            s.add(Answer(wave_instance_id=inst.id, item_code="fear", value="never", answered_at=inst.due_at))
        sent_on = [START - timedelta(days=1), START + timedelta(days=10), START + timedelta(days=20), None,
                   START + timedelta(days=200)]  # None: undeliverable, never reached her
        for i, at in enumerate(sent_on):
            event = ProgrammeEvent(site="north", source_event_id=f"e{i}", kind="dropped_out",
                                   occurred_on=date(2025, 1, 1), case_index="ci", case_ref="ref",
                                   status="matched", received_via="api", received_by="site:north")
            s.add(event)
            await s.flush()
            s.add(Notice(event_id=event.id, survivor_id=her.id, kind="dropped_out", body=SECRET_WORDS,
                         status="sent" if at else "undeliverable", sent_at=at))
    result = await export(service.db, service.keyring, tmp_path, now=START + timedelta(days=300))
    with result.data.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    counts = {r["wave"]: r["notices_since_last_wave"] for r in rows}
    assert counts == {"T0": "1", "T1": "2", "T2": "0"}  # the one on day 200 falls after T2 (day 182)
    assert SECRET_WORDS not in result.data.read_text(encoding="utf-8")
    assert "notices_since_last_wave" in result.codebook.read_text(encoding="utf-8")
