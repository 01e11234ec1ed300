"""Old content and long-closed cases are purged on schedule; a dry run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.actions.retention import run_retention
from bot.channels.base import InboundEvent
from bot.storage.models import AuditEvent, InboundMessage, OutboundMessage, Survivor
from safety.retention import RetentionPolicy
from tests.support.people import enrolled


async def _old_message(service, provider_id: str, address: str, days_ago: int) -> None:
    await service.pipeline.accept(InboundEvent(channel="simulator", provider_id=provider_id, address=address,
                                               received_at=datetime.now(UTC), text=f"text {provider_id}"))
    await service.dispatcher.dispatch_due()
    when = datetime.now(UTC) - timedelta(days=days_ago)
    async with service.db.transaction() as s:
        await s.execute(update(InboundMessage).where(InboundMessage.provider_id == provider_id)
                        .values(received_at=when))
        await s.execute(update(OutboundMessage).values(created_at=when)
                        .where(OutboundMessage.caused_by_inbound_id.in_(
                            select(InboundMessage.id).where(InboundMessage.provider_id == provider_id))))


async def test_retention_purges_old_content_and_closed_cases_but_a_dry_run_does_not(service) -> None:
    sid, _ = await enrolled(service.db, service.keyring, address="+447700900321")
    await _old_message(service, "old", "+447700900321", days_ago=40)
    await _old_message(service, "new", "+447700900321", days_ago=1)
    await _old_message(service, "stranger", "+447700900999", days_ago=40)
    closed_id, _ = await enrolled(service.db, service.keyring, address="+447700900322", pseudonym="ps-closed")
    async with service.db.transaction() as s:
        closed = await s.get(Survivor, closed_id)
        closed.status = "stopped"
        await s.flush()
        await s.execute(update(Survivor).where(Survivor.id == closed_id)
                        .values(updated_at=datetime.now(UTC) - timedelta(days=400)))
    policy = RetentionPolicy(message_days=30, closed_case_days=365)

    async with service.db.transaction() as s:
        preview = await run_retention(s, policy, datetime.now(UTC), dry_run=True)
    assert (preview.inbound_contents, preview.stranger_messages, preview.closed_cases) == (1, 1, 1)
    async with service.db.sessions() as s:
        assert len((await s.scalars(select(InboundMessage))).all()) == 3

    async with service.db.transaction() as s:
        await run_retention(s, policy, datetime.now(UTC))
    async with service.db.sessions() as s:
        bodies = {m.provider_id: m.body for m in (await s.scalars(select(InboundMessage))).all()}
        survivors = (await s.scalars(select(Survivor.id))).all()
        audit = (await s.scalars(select(AuditEvent.action))).all()
    assert bodies == {"old": None, "new": "text new"}
    assert survivors == [sid]
    assert "erased" in audit
