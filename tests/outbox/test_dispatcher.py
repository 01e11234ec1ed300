"""The outbox sends each message once, in order, and never silently drops one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.channels.base import SendError
from bot.clock import ManualClock
from bot.delivery_events import DELIVERY_EVENTS
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.enqueue import enqueue
from bot.storage.models import Escalation, OutboundMessage, Survivor
from tests.support.recording_channel import RecordingChannel

TUESDAY_MORNING = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # inside the default windows (09:00-20:00 London)


@pytest.fixture
def clock() -> ManualClock:
    """One frozen clock for the database's column defaults and every dispatcher in a test."""
    return ManualClock(TUESDAY_MORNING)


async def _queue(db, keyring, n: int, address: str = "+447700900001", survivor_id=None, **kw) -> None:
    async with db.transaction() as s:
        for i in range(n):
            enqueue(s, channel="simulator", address=address, address_index=keyring.blind_index("sim", address),
                    cause=f"test:{address}", index=i, text_key="t", body=f"message {i}",
                    survivor_id=survivor_id, **kw)


async def _statuses(db) -> list[str]:
    async with db.sessions() as s:
        return list((await s.scalars(select(OutboundMessage.status).order_by(OutboundMessage.id))).all())


async def test_messages_to_one_person_go_in_order_exactly_once(db, keyring, clock) -> None:
    channel = RecordingChannel()
    await _queue(db, keyring, 5)
    dispatcher = Dispatcher(db, {"simulator": channel}, events=DELIVERY_EVENTS, base_backoff=0.001, clock=clock)
    await dispatcher.dispatch_due()
    await dispatcher.dispatch_due()
    assert [m.text for m in channel.sent] == [f"message {i}" for i in range(5)]
    assert await _statuses(db) == ["sent"] * 5


async def test_a_sent_message_records_its_first_try_and_one_attempt_and_holds_no_claim(db, keyring, clock) -> None:
    await _queue(db, keyring, 1)
    await Dispatcher(db, {"simulator": RecordingChannel()}, events=DELIVERY_EVENTS, base_backoff=0.001,
                     clock=clock).dispatch_due()
    async with db.sessions() as s:
        row = await s.get(OutboundMessage, 1)
    assert (row.status, row.attempts, row.first_attempt_at, row.claimed_until) == ("sent", 1, clock(), None)
    assert row.sent_at == clock() and row.provider_message_id


async def test_the_same_cause_cannot_enqueue_twice(db, keyring, clock) -> None:
    from sqlalchemy.exc import IntegrityError

    await _queue(db, keyring, 1)
    with pytest.raises(IntegrityError):
        await _queue(db, keyring, 1)


async def test_a_retryable_failure_waits_and_keeps_later_messages_behind_it(db, keyring, clock) -> None:
    channel = RecordingChannel()
    channel.failures.append(SendError("429", retryable=True, retry_after=30))
    await _queue(db, keyring, 2)
    now = clock()
    dispatcher = Dispatcher(db, {"simulator": channel}, events=DELIVERY_EVENTS, base_backoff=0.001, clock=clock)
    await dispatcher.dispatch_due()
    assert channel.sent == []
    async with db.sessions() as s:
        first = await s.get(OutboundMessage, 1)
    assert first.status == "pending" and first.next_attempt_at >= now + timedelta(seconds=30)
    clock.advance(seconds=31)
    await dispatcher.dispatch_due()
    assert [m.text for m in channel.sent] == ["message 0", "message 1"]


async def test_a_permanent_failure_is_recorded_and_surfaced_to_workers(db, keyring, clock) -> None:
    async with db.transaction() as s:
        s.add(Survivor(pseudonym="pf1"))
    channel = RecordingChannel()
    channel.failures.append(SendError("400 bad request"))
    await _queue(db, keyring, 1, survivor_id=1)
    await Dispatcher(db, {"simulator": channel}, events=DELIVERY_EVENTS, clock=clock).dispatch_due()
    assert await _statuses(db) == ["failed"]
    async with db.sessions() as s:
        esc = (await s.scalars(select(Escalation))).one()
    assert esc.reason == "delivery_failed"


async def test_a_message_that_may_have_gone_out_is_never_resent(db, keyring, clock) -> None:
    channel = RecordingChannel()
    channel.failures.append(SendError("timeout after request", in_doubt=True))
    await _queue(db, keyring, 1)
    dispatcher = Dispatcher(db, {"simulator": channel}, events=DELIVERY_EVENTS, clock=clock)
    await dispatcher.dispatch_due()
    await dispatcher.dispatch_due()
    assert await _statuses(db) == ["in_doubt"] and channel.sent == []


async def test_a_crash_between_send_and_record_leaves_the_message_in_doubt_not_resent(db, keyring, clock) -> None:
    await _queue(db, keyring, 1)
    past = clock() - timedelta(minutes=5)
    async with db.transaction() as s:  # what a process that died mid-send leaves behind
        await s.execute(update(OutboundMessage).values(status="sending", claimed_until=past))
    channel = RecordingChannel()
    dispatcher = Dispatcher(db, {"simulator": channel}, events=DELIVERY_EVENTS, clock=clock)
    assert await dispatcher.recover_stale_claims() == 1
    await dispatcher.dispatch_due()
    assert await _statuses(db) == ["in_doubt"] and channel.sent == []


async def test_two_dispatchers_racing_send_each_message_once(db, keyring, clock) -> None:
    import asyncio

    channel = RecordingChannel()
    for n in range(10):
        await _queue(db, keyring, 3, address=f"+4477009002{n:02d}")
    a = Dispatcher(db, {"simulator": channel}, events=DELIVERY_EVENTS, clock=clock)
    b = Dispatcher(db, {"simulator": channel}, events=DELIVERY_EVENTS, clock=clock)
    await asyncio.gather(a.dispatch_due(), b.dispatch_due(), a.dispatch_due(), b.dispatch_due())
    texts = [(m.address, m.text) for m in channel.sent]
    assert len(texts) == 30 and len(set(texts)) == 30


async def test_outbound_to_a_paused_survivor_is_held_then_released(db, keyring, clock) -> None:
    async with db.transaction() as s:
        s.add(Survivor(pseudonym="pp1", outbound_paused_until=clock() + timedelta(hours=1)))
    channel = RecordingChannel()
    await _queue(db, keyring, 1, survivor_id=1, is_reply=False)
    dispatcher = Dispatcher(db, {"simulator": channel}, events=DELIVERY_EVENTS, clock=clock)
    await dispatcher.dispatch_due()
    assert await _statuses(db) == ["held"] and channel.sent == []
    clock.advance(hours=1, seconds=1)  # still inside her windows: the pause alone held it
    await dispatcher.dispatch_due()
    assert await _statuses(db) == ["sent"]


async def test_urgent_emergency_information_is_never_held(db, keyring, clock) -> None:
    clock.set(datetime(2026, 11, 28, 23, 30, tzinfo=UTC))  # Saturday night, outside every default window
    async with db.transaction() as s:
        s.add(Survivor(pseudonym="pu1", outbound_paused_until=clock() + timedelta(hours=1)))
    channel = RecordingChannel()
    await _queue(db, keyring, 1, survivor_id=1, urgent=True)
    await Dispatcher(db, {"simulator": channel}, events=DELIVERY_EVENTS, clock=clock).dispatch_due()
    assert await _statuses(db) == ["sent"]


async def test_a_message_we_start_waits_for_her_contact_window_in_her_time_zone(db, keyring, clock) -> None:
    # Saturday 2026-11-28 12:00 UTC; her window: weekdays 10:00-12:00 in Berlin
    clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    async with db.transaction() as s:
        s.add(Survivor(pseudonym="pw1", timezone="Europe/Berlin",
                       contact_windows=[{"days": [0, 1, 2, 3, 4], "start": "10:00", "end": "12:00"}]))
    await _queue(db, keyring, 1, survivor_id=1, is_reply=False)
    await _queue(db, keyring, 1, address="+447700900002", survivor_id=1, is_reply=True)
    channel = RecordingChannel()
    await Dispatcher(db, {"simulator": channel}, events=DELIVERY_EVENTS, clock=clock).dispatch_due()
    assert await _statuses(db) == ["held", "sent"]  # her reply goes at once, what we start waits
    async with db.sessions() as s:
        held = await s.get(OutboundMessage, 1)
    monday_ten_berlin = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert held.next_attempt_at == monday_ten_berlin and held.last_error == "outside_window"
    clock.set(monday_ten_berlin)
    await Dispatcher(db, {"simulator": channel}, events=DELIVERY_EVENTS, clock=clock).dispatch_due()
    assert await _statuses(db) == ["sent", "sent"]
