"""Quick exit, expiry and erasure as he would find them: on her phone and in our database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from bot.actions.erasure import erase_survivor
from bot.actions.expiry import expire_due
from bot.actions.quick_exit import quick_exit
from bot.channels.base import InboundEvent
from bot.delivery_events import DELIVERY_EVENTS
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.enqueue import enqueue
from bot.storage.models import AuditEvent, ChannelIdentity, OutboundMessage, Survivor
from safety.deletion import DeletionPlan
from tests.support.db_scan import everything_stored
from tests.support.people import enrolled

ADDRESS = "+447700900777"


async def _conversation(service, survivor_id: int, identity_id: int, n: int, sensitive: bool = False) -> None:
    """n rounds of her writing and the bot answering, delivered to the simulator phone."""
    sim = service.channels["simulator"]
    for i in range(n):
        own = sim.record_user_message(ADDRESS, f"her words {i}")
        await service.pipeline.accept(InboundEvent(
            channel="simulator", provider_id=f"conv-{i}", address=ADDRESS, received_at=datetime.now(UTC),
            text=f"her words {i}", provider_message_id=str(own)))
        async with service.db.transaction() as s:
            enqueue(s, channel="simulator", address=ADDRESS, address_index=service.keyring.blind_index(
                "simulator", ADDRESS), cause=f"reply-{i}", index=0, text_key="t", body=f"our answer {i}",
                survivor_id=survivor_id, identity_id=identity_id, sensitive=sensitive)
    await service.dispatcher.dispatch_due()


async def _quick_exit_after_a_conversation(service, cause: str) -> None:
    """Three rounds of conversation on her phone, then her quick exit (its deletions queued, not sent)."""
    sid, iid = await enrolled(service.db, service.keyring, address=ADDRESS)
    await _conversation(service, sid, iid, 3)
    async with service.db.transaction() as s:
        await quick_exit(s, await s.get(Survivor, sid), await s.get(ChannelIdentity, iid), cause, datetime.now(UTC))


async def test_quick_exit_leaves_her_phone_without_any_message_of_ours_or_hers(service) -> None:
    sid, iid = await enrolled(service.db, service.keyring, address=ADDRESS)
    await _conversation(service, sid, iid, 130)
    assert len(service.channels["simulator"].transcript(ADDRESS)) >= 260
    now = datetime.now(UTC)
    async with service.db.transaction() as s:
        survivor, identity = await s.get(Survivor, sid), await s.get(ChannelIdentity, iid)
        count = await quick_exit(s, survivor, identity, cause="t1", now=now)
    assert count >= 260
    await service.dispatcher.dispatch_due()
    assert service.channels["simulator"].transcript(ADDRESS) == []
    async with service.db.sessions() as s:
        deletes = (await s.scalars(select(OutboundMessage).where(OutboundMessage.kind == "delete"))).all()
        audit = (await s.scalars(select(AuditEvent).where(AuditEvent.action == "quick_exit"))).one()
    assert len(deletes) == -(-count // 100) and all(d.status == "sent" for d in deletes)
    assert audit.details == {"channel": "simulator", "messages_deleted": count}


async def test_a_carried_out_deletion_remembers_how_many_it_deleted_but_not_which(service) -> None:
    await _quick_exit_after_a_conversation(service, "t4")
    async with service.db.sessions() as s:
        queued = (await s.scalars(select(OutboundMessage).where(OutboundMessage.kind == "delete"))).one()
    plan = queued.deletion_plan
    on_her_phone = len(service.channels["simulator"].transcript(ADDRESS))
    assert queued.body is None and len(plan.provider_ids) == on_her_phone and plan.count == 0
    assert len(plan.outbound_ids) + len(plan.inbound_ids) == on_her_phone
    await service.dispatcher.dispatch_due()
    async with service.db.sessions() as s:
        done = await s.get(OutboundMessage, queued.id)
        raw = (await s.execute(text("SELECT deletion_plan FROM outbound_messages WHERE id = :id"),
                               {"id": queued.id})).scalar_one()
    assert done.status == "sent" and done.address == ""
    assert done.deletion_plan == DeletionPlan((), plan.outbound_ids, plan.inbound_ids, count=on_her_phone,
                                              whole_chat=True)  # a quick exit: nothing may stay
    assert raw.startswith(f"enc1:{service.keyring.active_id}:")  # encrypted like the bodies it stands beside


def test_a_late_send_joins_a_deletion_plan_once() -> None:
    plan = DeletionPlan(("11", "12"), (1, 2), (3,))
    assert plan.with_late_sends(["12", "13", "13"]).provider_ids == ("11", "12", "13")
    assert plan.carried_out() == DeletionPlan((), (1, 2), (3,), count=2)
    assert DeletionPlan.from_json(plan.to_json()) == plan


async def test_a_restart_during_quick_exit_still_finishes_it(service) -> None:
    await _quick_exit_after_a_conversation(service, "t2")
    # the process dies after claiming the deletion, before the provider answered
    async with service.db.transaction() as s:
        row = (await s.scalars(select(OutboundMessage).where(OutboundMessage.kind == "delete"))).one()
        row.status, row.claimed_until = "sending", datetime.now(UTC) - timedelta(minutes=2)
    restarted = Dispatcher(service.db, service.channels, events=DELIVERY_EVENTS)
    await restarted.recover_stale_claims()
    await restarted.dispatch_due()
    assert service.channels["simulator"].transcript(ADDRESS) == []


async def test_quick_exit_on_sms_pauses_outbound_for_her_period(service) -> None:
    sid, iid = await enrolled(service.db, service.keyring, channel="sms", address=ADDRESS)
    now = datetime.now(UTC)
    async with service.db.transaction() as s:
        survivor = await s.get(Survivor, sid)
        survivor.state = {"settings": {"sms_pause_hours": 6}}
        await quick_exit(s, survivor, await s.get(ChannelIdentity, iid), "t3", now)
    async with service.db.sessions() as s:
        survivor = await s.get(Survivor, sid)
    assert survivor.outbound_paused_until == now + timedelta(hours=6)


async def test_expired_sensitive_messages_vanish_from_her_phone_and_our_records(service) -> None:
    sid, iid = await enrolled(service.db, service.keyring, address=ADDRESS, expiry_minutes=5)
    await _conversation(service, sid, iid, 2, sensitive=True)
    later = datetime.now(UTC) + timedelta(minutes=6)
    async with service.db.transaction() as s:
        queued = await expire_due(s, later)
    assert queued == 4  # two of ours, two of hers
    await service.dispatcher.dispatch_due()
    left = [m["text"] for m in service.channels["simulator"].transcript(ADDRESS)]
    assert not any("her words" in t or "our answer" in t for t in left)
    async with service.db.sessions() as s:
        sent = (await s.scalars(select(OutboundMessage).where(OutboundMessage.kind == "send",
                                                              OutboundMessage.sensitive.is_(True)))).all()
    assert len(sent) == 2 and all(m.body is None and m.deleted_at is not None for m in sent)


async def test_erasure_leaves_no_trace_of_her_in_any_table(service) -> None:
    sid, iid = await enrolled(service.db, service.keyring, address=ADDRESS, display_name="Jo Example")
    await _conversation(service, sid, iid, 3)
    async with service.db.transaction() as s:
        await erase_survivor(s, await s.get(Survivor, sid), actor="survivor", reason="requested",
                             now=datetime.now(UTC))
    await service.dispatcher.dispatch_due()
    stored = await everything_stored(service.db)
    for trace in (ADDRESS, "7700900777", "her words", "our answer", "Jo Example",
                  service.keyring.blind_index("simulator", ADDRESS)):
        assert trace not in stored
    assert service.channels["simulator"].transcript(ADDRESS) == []
    async with service.db.sessions() as s:
        audit = (await s.scalars(select(AuditEvent).where(AuditEvent.action == "erased"))).one()
    assert audit.details["evaluation_answers_kept"] is False
