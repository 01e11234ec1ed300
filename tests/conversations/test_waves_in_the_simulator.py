"""A survivor in the simulator receives her check-in over simulated time and answers it; the worker
gets the escalation and the evaluator the pseudonymised data."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.storage.models import Escalation, InboundMessage, Survivor, WaveInstance
from evaluation.export import export
from scheduler.jobs import WaveJobs
from tests.conversations.conftest import Chat, enrol
from tests.scheduler.support import Clock

ALL_DAY = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]


@pytest.mark.at("2026-03-10T11:00:00+00:00")  # her intake wave falls due at 10:00 local on the day she enrols
async def test_her_wave_arrives_in_cover_she_answers_and_worker_and_evaluator_see_the_result(
        chat: Chat, tmp_path) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    async with chat.service.db.transaction() as s:
        await s.execute(update(Survivor).values(contact_windows=ALL_DAY))
        # she enrolled over half an hour ago (no wave opens by itself while she is still writing)
        for message in (await s.scalars(select(InboundMessage))).all():
            message.processed_at -= timedelta(minutes=31)
        pseudonym = (await s.scalar(select(Survivor))).pseudonym
    clock = Clock(datetime.now(UTC))
    jobs = WaveJobs(chat.service.db, chat.service.keyring, clock=clock)
    await jobs.run_once()
    await jobs.run_once()  # a second tick (or a restart) never sends it twice
    await chat.service.dispatcher.dispatch_due()
    opening = [m for m in chat.service.channels["simulator"].transcript("her") if m["from"] == "bot"][-1]
    assert opening["text"].startswith("🌱 Green Thumbs Club\n")  # her cover first, as on a lock screen
    start = next(p for p, _label in opening["buttons"] if p.startswith("wave:") and p.endswith(":start"))
    assert sum(1 for m in chat.service.channels["simulator"].transcript("her") if m["text"] == opening["text"]) == 1

    await phone.press(start)
    # always afraid, feels safe 2/10, and of the behaviours: pushing or hitting
    answers = ["always", "2", "no", "no", "no", "no", "no", "yes"]
    seen: list[str] = []
    for answer in answers:
        seen += (await phone.send(answer)).texts
    assert any("999" in t for t in seen)  # urgent: emergency numbers at once
    assert "reached the team" in seen[-1]  # the team is told, a call-back offered; the questions stop
    for answer in ["continue", "no", "no", "no", "3", "5", "skip"]:  # later she goes on
        seen += (await phone.send(answer)).texts

    async with chat.service.db.sessions() as s:
        wave = await s.scalar(select(WaveInstance).where(WaveInstance.wave_code == "T0"))
        escalations = [(e.priority, e.reason) for e in (await s.scalars(select(Escalation))).all()]
    assert wave.state in ("answered", "partial") and wave.triage_priority == "urgent"
    assert any(priority == "urgent" for priority, _ in escalations)

    result = await export(chat.service.db, chat.service.keyring, tmp_path, progress=False,
                          now=chat.service.clock())
    text = await asyncio.to_thread((tmp_path / "responses.csv").read_text, encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert result.rows == len(rows) > 0
    assert {r["wave"] for r in rows} == {"T0"}
    assert all(pseudonym not in str(r) for r in rows)  # evaluators never see the service's ids
    fear = next(r for r in rows if r["item"] == "fear")
    assert fear["value"] == "always" or fear["code"] in ("4", "always")
