"""Waves against a real database (SQLite, and PostgreSQL when configured), with an injected clock:
scheduled, held by windows, reminded, closed, never duplicated across a restart or two schedulers."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.outbox.enqueue import idempotency_key
from bot.programme.milestones import Change, apply_change
from bot.storage.db import Database
from bot.storage.models import Answer, ConsentRecord, Escalation, Survivor, WaveInstance
from safety.disguise import word_pattern
from scheduler.jobs import WaveJobs
from scheduler.waves import parse_wave_config
from tests.scheduler.support import Clock, DeliveringJobs, enrol, outbox, utc, waves_of

MONDAY = utc(2026, 3, 2, 9, 0)  # Europe/London is on GMT until 29 March
PROGRAMME = (date(2026, 3, 9), date(2026, 8, 31))


@pytest.fixture
async def db(database_url: str, keyring):
    database = Database(database_url, keyring)
    yield database
    await database.dispose()


def jobs_for(db: Database, keyring, clock: Clock, **kw) -> WaveJobs:
    return DeliveringJobs(db, keyring, clock=clock, **kw)


async def test_waves_are_planned_relative_to_her_milestones(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY, programme=PROGRAMME)
    clock = Clock(MONDAY)
    assert (await jobs_for(db, keyring, clock).run_once()).planned > 0
    waves = await waves_of(db, sid)
    due = {code: w.due_at for code, w in waves.items()}
    assert due["T0"] == utc(2026, 3, 2, 10, 0)  # enrolment day, 10:00 local
    assert due["T1"] == utc(2026, 6, 4, 9, 0)  # mid-point; London is on BST then
    assert due["T2"] == utc(2026, 8, 31, 9, 0)
    assert due["T3"] == utc(2027, 2, 28, 10, 0)  # six months after 31 August
    assert due["T4"] == utc(2027, 8, 31, 9, 0)
    checkins = sorted(c for c in waves if c.startswith("C"))
    assert checkins[0] == "C01" and due["C01"] == utc(2026, 3, 23, 10, 0)
    assert "C06" not in waves  # 1 June: within 7 days of T1
    assert "C12" not in waves  # 24 August: within 7 days of T2
    assert all(w.state == "planned" for w in waves.values())
    assert waves["T0"].closes_at == waves["T0"].due_at + timedelta(days=28)
    assert waves["C01"].closes_at == waves["C01"].due_at + timedelta(days=7)


async def test_a_due_wave_goes_out_once_and_not_before_it_is_due(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY)
    clock = Clock(MONDAY)
    jobs = jobs_for(db, keyring, clock)
    assert (await jobs.run_once()).opened == 0  # 09:00: T0 is due at 10:00
    assert await outbox(db, sid) == []
    clock.set(utc(2026, 3, 2, 10, 0))
    assert (await jobs.run_once()).opened == 1
    for _ in range(3):
        clock.advance(minutes=1)
        assert (await jobs.run_once()).opened == 0
    rows = await outbox(db, sid)
    t0 = (await waves_of(db, sid))["T0"]
    assert len(rows) == 1 and t0.state == "sent"
    msg = rows[0]
    assert msg.idempotency_key == idempotency_key(f"wave:{t0.id}", 0)
    assert msg.is_reply is False and msg.sensitive is False and msg.urgent is False
    assert msg.next_attempt_at == utc(2026, 3, 2, 10, 0)
    assert [b[0] for b in msg.buttons] == [f"wave:{t0.id}:start", f"wave:{t0.id}:later"]


async def test_the_opening_message_shows_only_her_cover(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY, persona="garden")
    clock = Clock(utc(2026, 3, 2, 10, 30))
    await jobs_for(db, keyring, clock).run_once()
    (msg,) = await outbox(db, sid)
    assert msg.body.startswith("🌱 Green Thumbs Club\n")
    assert not word_pattern(["abuse", "violen", "programme", "risk", "safe", "fear", "partner", "survey x"]).search(
        msg.body.replace("🌱 Green Thumbs Club", ""))


async def test_a_wave_due_outside_her_windows_is_held_until_the_next_opening(db, keyring) -> None:
    saturday = utc(2026, 3, 7, 8, 0)
    sid = await enrol(db, keyring, created_at=saturday)  # windows: Monday to Friday 10:00-12:00
    clock = Clock(utc(2026, 3, 7, 10, 30))
    jobs = jobs_for(db, keyring, clock)
    assert (await jobs.run_once()).opened == 1
    (msg,) = await outbox(db, sid)
    assert msg.next_attempt_at == utc(2026, 3, 9, 10, 0)  # Monday, when her window opens
    t0 = (await waves_of(db, sid))["T0"]
    assert t0.reminder_at == utc(2026, 3, 12, 10, 0)  # three days after it can first reach her


async def test_a_wave_that_can_never_reach_her_before_its_deadline_is_recorded_missing(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY, with_identity=False)
    clock = Clock(utc(2026, 3, 2, 10, 0))
    jobs = jobs_for(db, keyring, clock)
    await jobs.run_once()
    assert (await waves_of(db, sid))["T0"].state == "planned"
    clock.set(utc(2026, 3, 30, 10, 0))  # T0's deadline: 28 days
    assert (await jobs.run_once()).closed == 1
    t0 = (await waves_of(db, sid))["T0"]
    assert (t0.state, t0.closed_reason) == ("missing", "not_sent")
    assert await outbox(db, sid) == []


async def test_one_reminder_after_the_delay_then_missing_at_the_deadline(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY)
    clock = Clock(utc(2026, 3, 2, 10, 0))
    jobs = jobs_for(db, keyring, clock)
    await jobs.run_once()
    clock.set(utc(2026, 3, 5, 9, 59))
    assert (await jobs.run_once()).reminded == 0
    clock.set(utc(2026, 3, 5, 10, 0))
    assert (await jobs.run_once()).reminded == 1
    for days in (1, 5, 10):
        clock.set(utc(2026, 3, 5, 10, 0) + timedelta(days=days))
        assert (await jobs.run_once()).reminded == 0
    t0 = (await waves_of(db, sid))["T0"]
    rows = await outbox(db, sid)
    assert [r.text_key for r in rows] == ["checkin.opening", "checkin.reminder"]
    assert rows[1].idempotency_key == idempotency_key(f"wave:{t0.id}:reminder", 0)
    assert t0.state == "reminded"
    clock.set(utc(2026, 3, 30, 10, 0))
    await jobs.run_once()
    t0 = (await waves_of(db, sid))["T0"]
    assert (t0.state, t0.closed_reason) == ("missing", "no_reply")
    clock.advance(days=60)
    await jobs.run_once()
    assert len(await outbox(db, sid)) == 2  # a missed wave is never retried


async def test_a_wave_she_began_closes_as_partial_and_is_triaged(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY)
    clock = Clock(utc(2026, 3, 2, 10, 0))
    jobs = jobs_for(db, keyring, clock)
    await jobs.run_once()
    t0 = (await waves_of(db, sid))["T0"]
    async with db.transaction() as s:
        s.add(Answer(wave_instance_id=t0.id, item_code="fear", value="always", answered_at=clock.now))
        s.add(Answer(wave_instance_id=t0.id, item_code="beh_physical", value="yes", answered_at=clock.now))
    clock.set(utc(2026, 3, 30, 10, 0))
    await jobs.run_once()
    t0 = (await waves_of(db, sid))["T0"]
    assert (t0.state, t0.triage_priority) == ("partial", "urgent")
    async with db.sessions() as s:
        esc = (await s.scalars(select(Escalation).where(Escalation.survivor_id == sid))).all()
    assert [(e.priority, e.reason) for e in esc] == [("urgent", "violence_with_fear")]


async def test_a_restart_or_a_second_scheduler_never_sends_a_wave_twice(db, database_url, keyring) -> None:
    ids = [await enrol(db, keyring, created_at=MONDAY, programme=PROGRAMME) for _ in range(12)]
    clock = Clock(utc(2026, 3, 2, 10, 0))
    second_db = Database(database_url, keyring)  # another process: its own engine and connections
    try:
        a, b = jobs_for(db, keyring, clock), jobs_for(second_db, keyring, clock)
        for step_days in (0, 3, 21, 7, 14, 60):
            clock.advance(days=step_days)
            await asyncio.gather(a.run_once(), b.run_once(), a.run_once())
            restarted = jobs_for(Database(database_url, keyring), keyring, clock)  # a restart: fresh objects
            await restarted.run_once()
            await restarted.db.dispose()
    finally:
        await second_db.dispose()
    rows = await outbox(db)
    async with db.sessions() as s:
        instances = (await s.scalars(select(WaveInstance))).all()
    opened = {idempotency_key(f"wave:{w.id}", 0) for w in instances if w.sent_at is not None}
    reminded = {idempotency_key(f"wave:{w.id}:reminder", 0) for w in instances if w.reminded_at is not None}
    openings = [r.idempotency_key for r in rows if r.text_key == "checkin.opening"]
    reminders = [r.idempotency_key for r in rows if r.text_key == "checkin.reminder"]
    assert sorted(openings) == sorted(opened) and len(openings) == len(set(openings))
    assert sorted(reminders) == sorted(reminded) and len(reminders) == len(set(reminders))
    assert len(openings) >= 2 * len(ids)  # T0 and C01 at least, for each of them
    for sid in ids:  # never two waves open for one survivor
        assert sum(1 for w in instances if w.survivor_id == sid and w.state in ("sent", "reminded")) <= 1


async def test_waves_due_while_nothing_ran_are_sent_at_the_next_run_and_late_ones_recorded(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY, programme=PROGRAMME)
    clock = Clock(utc(2026, 3, 2, 9, 0))
    await jobs_for(db, keyring, clock).run_once()
    # the service was down for two and a half weeks: T0 is overdue but still open
    clock.set(utc(2026, 3, 19, 11, 0))
    summary = await jobs_for(db, keyring, clock).run_once()
    assert summary.opened == 1
    assert (await waves_of(db, sid))["T0"].state == "sent"
    # down again past C01's whole week (23-30 March) while T0 stays open: C01 is recorded, not skipped
    clock.set(utc(2026, 4, 1, 10, 0))
    await jobs_for(db, keyring, clock).run_once()
    c01 = (await waves_of(db, sid))["C01"]
    assert (c01.state, c01.closed_reason) == ("missing", "not_sent")


async def test_a_drop_out_cancels_the_remaining_checkins_and_moves_the_end_waves(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY, programme=PROGRAMME, pseudonym="ps-dropout")
    clock = Clock(utc(2026, 3, 2, 9, 0))
    jobs = jobs_for(db, keyring, clock)
    await jobs.run_once()
    clock.set(utc(2026, 4, 15, 9, 0))
    async with db.transaction() as s:
        _, problems = await apply_change(s, Change("ps-dropout", {"actual_end": date(2026, 4, 14),
                                                                  "outcome": "dropped_out"}),
                                         actor="worker:test", today=date(2026, 4, 15), now=clock.now)
    assert problems == []
    await jobs.run_once()
    waves = await waves_of(db, sid)
    assert waves["T2"].due_at == utc(2026, 4, 14, 9, 0) and waves["T2"].state in ("planned", "sent")
    assert waves["T3"].due_at == utc(2026, 10, 14, 9, 0)
    assert (waves["T1"].state, waves["T1"].closed_reason) == ("cancelled", "plan_changed")
    later_checkins = [w for c, w in waves.items() if c.startswith("C") and w.due_at.date() > date(2026, 4, 14)]
    assert later_checkins and all(w.state == "cancelled" for w in later_checkins)


async def test_waves_wait_for_consent_identity_and_her_being_active(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY, checkins=None)
    clock = Clock(utc(2026, 3, 2, 10, 0))
    jobs = jobs_for(db, keyring, clock)
    await jobs.run_once()
    assert (await waves_of(db, sid))["T0"].state == "planned"
    async with db.transaction() as s:
        s.add(ConsentRecord(survivor_id=sid, kind="checkins", granted=True, text_version="t1", channel="simulator",
                            recorded_at=clock.now))
        survivor = await s.get(Survivor, sid)
        survivor.status = "stopped"
    clock.advance(hours=1)
    await jobs.run_once()
    assert (await waves_of(db, sid))["T0"].state == "planned"
    async with db.transaction() as s:
        (await s.get(Survivor, sid)).status = "active"
    clock.advance(days=1)
    await jobs.run_once()
    assert (await waves_of(db, sid))["T0"].state == "sent"


async def test_a_full_wave_replaces_a_checkin_she_has_not_begun(db, keyring) -> None:
    config = parse_wave_config({
        "version": "t", "send_time": "10:00", "questionnaires": {"full": "1", "checkin": "1"},
        "defaults": {"reminder_after": {"days": 3}, "close_after": {"days": 21}},
        "waves": [
            {"code": "C", "kind": "checkin", "questionnaire": "checkin", "anchor": "programme_start",
             "every": {"days": 14}, "during_programme": True, "close_after": {"days": 10}},
            {"code": "T1", "questionnaire": "full", "anchor": "programme_start", "offset": {"days": 21},
             "during_programme": True},
        ],
    }, "test-config")
    sid = await enrol(db, keyring, created_at=MONDAY, programme=PROGRAMME)
    clock = Clock(utc(2026, 3, 23, 10, 0))  # C01 due (start + 14)
    jobs = jobs_for(db, keyring, clock, config=config)
    await jobs.run_once()
    assert (await waves_of(db, sid))["C01"].state == "sent"
    clock.set(utc(2026, 3, 30, 10, 0))  # T1 due (start + 21) while C01 is still open and unbegun
    await jobs.run_once()
    waves = await waves_of(db, sid)
    assert (waves["C01"].state, waves["C01"].closed_reason) == ("missing", "superseded")
    assert waves["T1"].state == "sent"


async def test_a_checkin_waits_while_a_full_wave_is_open(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=utc(2026, 3, 13, 9, 0), programme=PROGRAMME)
    clock = Clock(utc(2026, 3, 13, 10, 0))
    jobs = jobs_for(db, keyring, clock)
    await jobs.run_once()
    clock.set(utc(2026, 3, 23, 10, 0))  # C01 due; T0 (13 March) still open
    await jobs.run_once()
    waves = await waves_of(db, sid)
    assert waves["T0"].state in ("sent", "reminded") and waves["C01"].state == "planned"


def test_wave_config_errors_name_the_file_and_the_place() -> None:
    from scheduler.waves import WaveConfigError

    base = {"version": "1", "send_time": "10:00", "questionnaires": {"full": "1"},
            "defaults": {"close_after": {"days": 21}},
            "waves": [{"code": "T0", "questionnaire": "full", "anchor": "enrolment"}]}
    assert parse_wave_config(base, "w.yaml").waves[0].code == "T0"
    cases = [
        ({"anchor": "moon"}, "waves[0].anchor: 'moon' is not one of"),
        ({"questionnaire": "nope"}, "waves[0].questionnaire: 'nope' is not listed"),
        ({"offset": {"weeks": 2}}, "waves[0].offset.weeks: unknown key"),
        ({"offset": {}}, "waves[0].offset: expected a mapping with days or months"),
        ({"offset": {"days": "2"}}, "waves[0].offset.days: expected a whole number, got '2'"),
        ({"every": {"days": 14}}, "a repeating wave needs during_programme: true"),
        ({"reminder_after": {"days": 30}}, "waves[0]: reminder_after: must come before close_after"),
        ({"code": "t0"}, "waves[0].code: 't0'"),
    ]
    for patch, message in cases:
        raw = {**base, "waves": [{**base["waves"][0], **patch}]}
        with pytest.raises(WaveConfigError) as err:
            parse_wave_config(raw, "w.yaml")
        assert str(err.value).startswith("w.yaml: ") and message in str(err.value), str(err.value)
    with pytest.raises(WaveConfigError, match="w.yaml: send_time"):
        parse_wave_config({**base, "send_time": 1000}, "w.yaml")


def test_a_broken_wave_file_names_its_line(tmp_path) -> None:
    from scheduler.waves import WAVES_PATH, WaveConfigError, load_wave_config

    text = WAVES_PATH.read_text(encoding="utf-8")
    broken = tmp_path / "waves.yaml"
    broken.write_text(text.replace("anchor: programme_midpoint", "anchor: programme_middle", 1), encoding="utf-8")
    line = next(i for i, row in enumerate(broken.read_text().splitlines(), 1) if "programme_middle" in row)
    with pytest.raises(WaveConfigError) as err:
        load_wave_config(broken)
    assert str(err.value).startswith(f"{broken}:{line}: waves[2].anchor: 'programme_middle' is not one of")


def test_the_shipped_wave_config_loads() -> None:
    from scheduler.waves import default_wave_config

    config = default_wave_config()
    assert [w.code for w in config.waves] == ["T0", "C", "T1", "T2", "T3", "T4"]
    assert config.wave("C07").code == "C"
