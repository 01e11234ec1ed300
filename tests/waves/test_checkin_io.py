"""The check-in against the database: each answer stored at once (free text encrypted), resumable
across messages, the answer set marked complete or partial, escalations handed to the engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.channels.registry import capabilities
from bot.conversation import profile_of
from bot.rendering import render_for
from bot.storage.db import Database
from bot.storage.models import Answer, Survivor
from bot.waves.checkin_io import closed_checkin, finish_wave, open_checkin, record_answer, set_priority
from flows import checkin
from flows.flow_state import CheckinPosition, load_state
from flows.types import (
    Context,
    FinishCheckin,
    FlowResult,
    RaiseEscalation,
    RecordCheckinAnswer,
    SetCheckinPriority,
    UserInput,
)
from safety.triage import default_rules
from tests.scheduler.support import Clock, DeliveringJobs, enrol, utc, waves_of

MONDAY = utc(2026, 3, 2, 9, 0)


@pytest.fixture
async def db(database_url: str, keyring):
    database = Database(database_url, keyring)
    yield database
    await database.dispose()


async def say(db: Database, sid: int, clock: Clock, text_: str | None = None, button: str | None = None):
    """One inbound message for the check-in rule, with the engine's pre-fetch and its effects carried
    out, in its own transaction like the inbound pipeline; the escalations are handed back."""
    async with db.transaction() as s:
        survivor = await s.get(Survivor, sid)
        event = UserInput("simulator", clock.now, text=text_, button=button)
        open_one = await open_checkin(s, survivor, clock.now)
        closed = await closed_checkin(s, survivor, (button,)) if open_one is None else None
        ctx = Context(now=clock.now, channel="simulator", caps=capabilities("simulator"),
                      profile=profile_of(survivor, {}), checkin=open_one,
                      closed_checkin=closed, triage=default_rules())
        res = checkin.handle(event, load_state(survivor.state), ctx)
        if res is None:
            return None, None
        for effect in res.effects:
            if isinstance(effect, RecordCheckinAnswer):
                await record_answer(s, effect, clock.now)
            elif isinstance(effect, FinishCheckin):
                await finish_wave(s, effect, clock.now)
            elif isinstance(effect, SetCheckinPriority):
                await set_priority(s, effect)
        survivor.state = res.state.dump()
        rendered = [render_for(x, survivor) for x in res.says]
    return FlowResult(res.state, res.says, [e for e in res.effects if isinstance(e, RaiseEscalation)]), rendered


async def test_answers_are_stored_at_once_and_the_set_is_marked_complete(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY, persona="recipes")
    clock = Clock(utc(2026, 3, 2, 10, 0))
    await DeliveringJobs(db, keyring, clock=clock).run_once()
    t0 = (await waves_of(db, sid))["T0"]
    assert await say(db, sid, clock, "what's cooking?") == (None, None)  # not starting: other flows' turn
    res, rendered = await say(db, sid, clock, button=f"wave:{t0.id}:start")
    assert rendered[0][0].startswith("🍲 Kitchen Corner\n")  # her cover first, like every message
    # her place in the check-in is kept in her conversation state, like every flow's
    assert res.state.checkin == CheckinPosition(instance_id=t0.id, opened_at=t0.sent_at, stage="asking", item="fear")
    replies = ["never", "9"] + ["no"] * 8 + ["no", "3", "5", "All fine. Ask for Jo at the clinic."]
    for i, reply in enumerate(replies):
        res, _ = await say(db, sid, clock, reply)
        async with db.sessions() as s:  # stored at once, before the next message
            assert len((await s.scalars(select(Answer).where(Answer.wave_instance_id == t0.id))).all()) == i + 1
    t0 = (await waves_of(db, sid))["T0"]
    assert (t0.state, t0.triage_priority) == ("answered", "routine")
    assert res.effects == [RaiseEscalation("routine", "checkin_review", False)]
    async with db.sessions() as s:
        raw = (await s.execute(text("SELECT free_text FROM answers WHERE item_code = 'comment'"))).scalar_one()
        comment = await s.scalar(select(Answer).where(Answer.item_code == "comment"))
    assert raw.startswith("enc1:") and "Ask for Jo" not in raw
    assert comment.free_text == "All fine. Ask for Jo at the clinic." and comment.value is None
    assert await say(db, sid, clock, "thanks!") == (None, None)


async def test_she_can_stop_and_resume_and_a_closed_wave_says_so(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY)
    clock = Clock(utc(2026, 3, 2, 10, 0))
    jobs = DeliveringJobs(db, keyring, clock=clock)
    await jobs.run_once()
    t0 = (await waves_of(db, sid))["T0"]
    await say(db, sid, clock, button=f"wave:{t0.id}:start")
    await say(db, sid, clock, "often")
    res, rendered = await say(db, sid, clock, "later")
    assert res.says[-1].params["text"] == "paused"
    # she may not come back: what she said so far goes to the worker's queue now
    assert res.effects == [RaiseEscalation("routine", "checkin_review", False)]
    clock.advance(days=1)
    res, rendered = await say(db, sid, clock, "continue")
    assert [x.params.get("text") or x.params.get("item") for x in res.says] == ["resumed", "safe"]
    await say(db, sid, clock, "2")
    clock.set(utc(2026, 3, 30, 10, 0))  # deadline: she never came back
    await jobs.run_once()
    t0 = (await waves_of(db, sid))["T0"]
    assert (t0.state, t0.triage_priority) == ("partial", "routine")  # not triaged a second time
    res, rendered = await say(db, sid, clock, button=f"cq:{t0.id}:beh_shouting:no")
    assert res.says[0].params["text"] == "closed" and "closed" in rendered[0][0]
    async with db.sessions() as s:
        assert len((await s.scalars(select(Answer).where(Answer.wave_instance_id == t0.id))).all()) == 2


async def test_danger_now_in_a_checkin_shows_numbers_at_once(db, keyring) -> None:
    from datetime import date

    sid = await enrol(db, keyring, created_at=MONDAY, programme=(date(2026, 3, 9), date(2026, 8, 31)))
    clock = Clock(utc(2026, 3, 2, 10, 0))
    jobs = DeliveringJobs(db, keyring, clock=clock)
    await jobs.run_once()
    t0 = (await waves_of(db, sid))["T0"]
    await say(db, sid, clock, button=f"wave:{t0.id}:start")
    for reply in ["never", "9"] + ["no"] * 8 + ["no", "3", "5", "skip"]:
        await say(db, sid, clock, reply)
    clock.set(utc(2026, 3, 23, 10, 0) + timedelta(minutes=5))  # C01
    await jobs.run_once()
    c01 = (await waves_of(db, sid))["C01"]
    assert c01.state == "sent"
    await say(db, sid, clock, button=f"wave:{c01.id}:start")
    for reply in ("always", "1", "yes"):
        await say(db, sid, clock, reply)
    res, rendered = await say(db, sid, clock, "yes")  # danger now
    assert res.effects == [RaiseEscalation("urgent", "danger_now", False)]
    assert res.says[0].key == "emergency.numbers" and res.says[0].urgent
    assert "999" in rendered[0][0]
    assert (await waves_of(db, sid))["C01"].triage_priority == "urgent"


async def test_a_typed_1_answers_the_opening_only_if_nothing_came_after_it(db, keyring) -> None:
    sid = await enrol(db, keyring, created_at=MONDAY)
    clock = Clock(utc(2026, 3, 2, 10, 0))
    await DeliveringJobs(db, keyring, clock=clock).run_once()
    async with db.transaction() as s:  # she used the menu after the opening arrived
        (await s.get(Survivor, sid)).state = {"touched": (clock.now + timedelta(minutes=5)).isoformat(),
                                              "options": ["menu:info", "menu:callback"]}
    clock.advance(minutes=10)
    assert await say(db, sid, clock, "1") == (None, None)  # her "1" is the menu's
    async with db.transaction() as s:
        (await s.get(Survivor, sid)).state = {"touched": (clock.now - timedelta(days=1)).isoformat()}
    res, _ = await say(db, sid, clock, "1")
    assert [x.params.get("text") or x.params.get("item") for x in res.says] == ["intro", "fear"]
