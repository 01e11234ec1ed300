"""When a notice cannot reach her, or she does not acknowledge an urgent one, a person is told:
an escalation "tell her by phone" (urgent notices alert the on-call worker at once, on their own
Telegram), or, 48 hours (LIAISON_NOTICE_ACK_HOURS) after an urgent notice went out unanswered, an
urgent escalation, once. Time is the test's clock; the safety tick is run by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.actions.erasure import erase_survivor
from bot.notices import review
from bot.storage.models import ChannelIdentity, ConsentRecord, Notice, NoticeStep, StaffMember, Survivor
from safety.retention import RetentionPolicy
from scheduler.safety_jobs import SafetyJobs
from tests.support.her_phone import CHAT, HerPhone, her_phone
from tests.support.notices import drafted, escalations, notice, timeline, worker

STAFF_CHAT = 77702399


@pytest.fixture
async def her(settings_env: dict[str, object], keyring) -> AsyncIterator[HerPhone]:
    async with her_phone("telegram", settings_env, keyring) as phone:
        yield phone


async def on_call_worker(her: HerPhone) -> None:
    """A liaison worker whose own Telegram chat is linked (nobody on the rota: every liaison worker)."""
    assert her.telegram is not None
    her.telegram.chat(STAFF_CHAT)  # they have opened the chat with the bot
    async with her.svc.db.transaction() as s:
        s.add(StaffMember(name="oncall", roles=["liaison"], status="active", telegram_chat=str(STAFF_CHAT),
                          telegram_chat_index=her.svc.keyring.blind_index("telegram", str(STAFF_CHAT))))


def safety_tick(her: HerPhone) -> SafetyJobs:
    return SafetyJobs(her.svc.db, retention=RetentionPolicy(30, 365), route_check_days=28, clock=her.clock,
                      on_outbox=her.svc.dispatcher.wake)


async def approve(her: HerPhone, notice_id: int) -> str:
    ana, sam = await worker(her.svc, "ana", ["liaison"]), await worker(her.svc, "sam", ["supervisor"])
    async with her.svc.db.transaction() as s:
        row = await s.get(Notice, notice_id)
        assert row is not None
        outcome = await review.approve(s, row, ana, her.clock())
        if row.urgent:
            outcome = await review.second_approve(s, row, sam, her.clock())
    her.svc.dispatcher.wake()
    await her.settled()
    return outcome


async def alerts_to_on_call(her: HerPhone) -> list[str]:
    assert her.telegram is not None
    return [t for t in her.telegram.bot_texts(STAFF_CHAT) if "Urgent alert #" in t]


async def cannot_reach(her: HerPhone, sid: int, why: str) -> None:
    async with her.svc.db.transaction() as s:
        survivor = await s.get(Survivor, sid)
        assert survivor is not None
        if why == "no_information_consent":
            s.add(ConsentRecord(survivor_id=sid, kind="information", granted=False, text_version="test-2",
                                channel="telegram", recorded_at=her.clock() + timedelta(seconds=1)))
        elif why == "stopped":
            survivor.status = "stopped"
        elif why == "paused":
            survivor.outbound_paused_until = her.clock() + timedelta(days=1)
        elif why == "route_suspect":
            identity = await s.scalar(select(ChannelIdentity).where(ChannelIdentity.survivor_id == sid))
            assert identity is not None
            identity.status = "suspect"


@pytest.mark.parametrize("why", ["no_information_consent", "stopped", "paused", "route_suspect"])
async def test_an_urgent_notice_that_cannot_reach_her_alerts_the_on_call_worker_to_tell_her_by_phone(
        her: HerPhone, why: str) -> None:
    sid, _ = await her.enrolled(timezone="UTC")
    await on_call_worker(her)
    await cannot_reach(her, sid, why)
    made = await drafted(her.svc, sid, "risk_raised")
    assert made is not None
    assert await approve(her, made.id) == f"undeliverable ({why})"

    assert her.telegram is not None and her.telegram.bot_texts(CHAT) == []  # nothing at all to her
    row = await notice(her.svc, made.id)
    assert row.status == "undeliverable" and row.preview_outbound_id is None
    (esc,) = await escalations(her.svc, "notice_tell_by_phone")
    assert (esc.priority, esc.survivor_id, row.escalation_id) == ("urgent", sid, esc.id)
    assert await alerts_to_on_call(her) == [f"Urgent alert #{esc.id} \u2014 open the console"]
    assert (await timeline(her.svc, made.id))[-2:] == ["undeliverable", "escalated"]


async def test_a_routine_notice_that_cannot_reach_her_asks_a_worker_without_waking_anyone(her: HerPhone) -> None:
    sid, _ = await her.enrolled(timezone="UTC")
    await on_call_worker(her)
    await cannot_reach(her, sid, "no_information_consent")
    made = await drafted(her.svc, sid, "completed")
    assert made is not None
    await approve(her, made.id)
    (esc,) = await escalations(her.svc, "notice_tell_by_phone")
    assert esc.priority == "high"
    assert await alerts_to_on_call(her) == []


async def test_a_preview_her_quick_exit_cancelled_becomes_a_phone_call_for_a_worker(her: HerPhone) -> None:
    sid, _ = await her.enrolled(timezone="UTC",
                                contact_windows=[{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "00:01"}])
    made = await drafted(her.svc, sid, "dropped_out")
    assert made is not None
    await approve(her, made.id)
    assert (await notice(her.svc, made.id)).status == "queued"  # waiting for her window
    await her.send("EXIT")
    await safety_tick(her).run_once()
    row = await notice(her.svc, made.id)
    assert row.status == "undeliverable"
    (esc,) = await escalations(her.svc, "notice_tell_by_phone")
    assert row.escalation_id == esc.id
    await safety_tick(her).run_once()  # the next tick finds nothing more to do
    assert len(await escalations(her.svc, "notice_tell_by_phone")) == 1


async def test_an_urgent_notice_unacknowledged_for_48_hours_reaches_the_on_call_worker_once(her: HerPhone) -> None:
    sid, _ = await her.enrolled(timezone="UTC")
    await on_call_worker(her)
    made = await drafted(her.svc, sid, "new_incident")
    assert made is not None
    await approve(her, made.id)
    sent = await notice(her.svc, made.id)
    assert sent.status == "sent" and sent.ack_due_at == sent.sent_at + timedelta(hours=48)

    her.clock.set(sent.sent_at + timedelta(hours=47, minutes=59))
    await safety_tick(her).run_once()
    assert await escalations(her.svc, "notice_not_acknowledged") == []
    her.clock.set(sent.sent_at + timedelta(hours=48, minutes=1))
    await safety_tick(her).run_once()
    await safety_tick(her).run_once()
    await her.settled()
    (esc,) = await escalations(her.svc, "notice_not_acknowledged")
    assert esc.priority == "urgent" and esc.survivor_id == sid
    assert await alerts_to_on_call(her) == [f"Urgent alert #{esc.id} \u2014 open the console"]
    assert (await timeline(her.svc, made.id))[-1] == "escalated"


async def test_her_got_it_in_time_means_no_escalation_and_routine_notices_are_never_chased(her: HerPhone) -> None:
    sid, _ = await her.enrolled(timezone="UTC", pin_hash=None, duress_pin_hash=None)
    urgent = await drafted(her.svc, sid, "risk_raised")
    assert urgent is not None
    await approve(her, urgent.id)
    opened = await her.choose("Read")  # no PIN set: the text at once
    assert opened.says("higher than before")
    await her.choose("Got it")
    routine = await drafted(her.svc, sid, "risk_lowered")
    assert routine is not None
    await approve(her, routine.id)  # sent, never answered
    her.clock.advance(hours=72)
    await safety_tick(her).run_once()
    assert (await notice(her.svc, urgent.id)).status == "acknowledged"
    assert (await notice(her.svc, routine.id)).status == "sent"
    assert await escalations(her.svc, "notice_not_acknowledged") == []


async def test_the_acknowledgement_deadline_is_a_setting(settings_env: dict[str, object], keyring) -> None:
    async with her_phone("sms", {**settings_env, "LIAISON_NOTICE_ACK_HOURS": 2}, keyring) as her:
        sid, _ = await her.enrolled(timezone="UTC")
        made = await drafted(her.svc, sid, "conditions_changed")
        assert made is not None
        await approve(her, made.id)
        sent = await notice(her.svc, made.id)
        assert sent.ack_due_at == sent.sent_at + timedelta(hours=2)
        her.clock.set(sent.sent_at + timedelta(hours=2, minutes=1))
        await safety_tick(her).run_once()
        assert len(await escalations(her.svc, "notice_not_acknowledged")) == 1


async def test_erasing_her_erases_her_notices_and_keeps_their_escalations_as_counts(her: HerPhone) -> None:
    sid, _ = await her.enrolled(timezone="UTC")
    made = await drafted(her.svc, sid, "dropped_out")
    assert made is not None
    await cannot_reach(her, sid, "paused")
    await approve(her, made.id)
    async with her.svc.db.transaction() as s:
        survivor = await s.get(Survivor, sid)
        assert survivor is not None
        await erase_survivor(s, survivor, actor="test", reason="requested", now=her.clock())
    async with her.svc.db.sessions() as s:
        assert (await s.scalars(select(Notice))).all() == []
        assert (await s.scalars(select(NoticeStep))).all() == []
    (esc,) = await escalations(her.svc, "notice_tell_by_phone")
    assert esc.survivor_id is None and esc.note is None
