"""Queue provider-side deletion of a conversation's messages (hers and ours)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox.enqueue import enqueue_deletion
from bot.storage.models import ChannelIdentity, InboundMessage, OutboundMessage
from safety.deletion import Deletable, plan_batches


async def deletable_messages(session: AsyncSession, identity: ChannelIdentity,
                             outbound_filter: object = None, inbound_filter: object = None) -> list[Deletable]:
    """Every message of this identity's conversation that still exists at the provider."""
    out_q = select(OutboundMessage.id, OutboundMessage.provider_message_id, OutboundMessage.sent_at).where(
        OutboundMessage.identity_id == identity.id, OutboundMessage.kind == "send",
        OutboundMessage.provider_message_id.isnot(None), OutboundMessage.deleted_at.is_(None),
    )
    in_q = select(InboundMessage.id, InboundMessage.provider_message_id, InboundMessage.received_at).where(
        InboundMessage.identity_id == identity.id, InboundMessage.deleted_at.is_(None),
    )
    if outbound_filter is not None:
        out_q = out_q.where(outbound_filter)  # type: ignore[arg-type]
    if inbound_filter is not None:
        in_q = in_q.where(inbound_filter)  # type: ignore[arg-type]
    items = [Deletable(str(pid), "out", rid, at) for rid, pid, at in (await session.execute(out_q)).all() if at]
    items += [Deletable(str(pid), "in", rid, at) for rid, pid, at in (await session.execute(in_q)).all()
              if pid is not None]
    return items


async def queue_deletions(session: AsyncSession, identity: ChannelIdentity, items: list[Deletable],
                          cause: str, now: datetime) -> int:
    """Queue the items in provider-sized batches; returns how many messages will be deleted."""
    batches = plan_batches(items, identity.channel, now)
    for i, batch in enumerate(batches):
        enqueue_deletion(
            session, channel=identity.channel, address=identity.address,
            address_index=identity.address_index, cause=cause, index=i,
            provider_ids=[d.provider_id for d in batch],
            outbound_ids=[d.row_id for d in batch if d.kind == "out"],
            inbound_ids=[d.row_id for d in batch if d.kind == "in"],
            survivor_id=identity.survivor_id, identity_id=identity.id,
        )
    return sum(len(b) for b in batches)
