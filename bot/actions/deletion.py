"""Queue provider-side deletion of a conversation's messages (hers and ours)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.registry import capabilities
from bot.outbox.dispatcher import CLAIM_LEASE
from bot.outbox.enqueue import enqueue_deletion
from bot.storage.models import ChannelIdentity, InboundMessage, OutboundMessage
from safety.deletion import Deletable, DeletionPlan, plan_batches

IN_FLIGHT = ""  # provider id of a send still on its way: the dispatcher looks it up when it deletes


async def deletable_messages(session: AsyncSession, identity: ChannelIdentity,
                             outbound_filter: object = None, inbound_filter: object = None) -> list[Deletable]:
    """Every message of this identity's conversation that still exists at the provider, and every
    send of ours on its way there now (claimed, its id not yet known: `IN_FLIGHT`). A deletion
    queued for her waits behind such a send, and the dispatcher deletes it once its id is known."""
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
    if outbound_filter is None:
        flying = select(OutboundMessage.id, OutboundMessage.claimed_until).where(
            OutboundMessage.identity_id == identity.id, OutboundMessage.kind == "send",
            OutboundMessage.status == "sending", OutboundMessage.provider_message_id.is_(None),
        )
        items += [Deletable(IN_FLIGHT, "out", rid, until - CLAIM_LEASE)
                  for rid, until in (await session.execute(flying)).all() if until]
    items += [Deletable(str(pid), "in", rid, at) for rid, pid, at in (await session.execute(in_q)).all()
              if pid is not None]
    return items


async def queue_deletions(session: AsyncSession, identity: ChannelIdentity, items: list[Deletable],
                          cause: str, now: datetime, *, whole_chat: bool = False) -> int:
    """Queue the items in provider-sized batches; returns how many messages will be deleted.
    `whole_chat` (quick exit, erasure): nothing may stay, a send whose id we never learnt included
    (`DeletionPlan.with_unknown_sends`).

    One message can have two rows (a button press of hers is stored with the id of our message
    it sits under): it is asked for once, its other rows ride along in the same batch."""
    first: dict[str, Deletable] = {}
    riders: dict[str, list[Deletable]] = defaultdict(list)
    flying: list[Deletable] = []
    for d in items:
        if d.provider_id == IN_FLIGHT:
            flying.append(d)
        elif d.provider_id in first:
            riders[d.provider_id].append(d)
        else:
            first[d.provider_id] = d
    batches = plan_batches([*first.values(), *flying], capabilities(identity.channel).delete_window, now)
    for i, batch in enumerate(batches):
        rows = batch + [r for d in batch for r in riders.get(d.provider_id, [])]
        enqueue_deletion(
            session, channel=identity.channel, address=identity.address,
            address_index=identity.address_index, cause=cause, index=i,
            plan=DeletionPlan(provider_ids=tuple(d.provider_id for d in batch if d.provider_id != IN_FLIGHT),
                              outbound_ids=tuple(d.row_id for d in rows if d.kind == "out"),
                              inbound_ids=tuple(d.row_id for d in rows if d.kind == "in"), whole_chat=whole_chat),
            survivor_id=identity.survivor_id, identity_id=identity.id,
        )
    return sum(len(b) for b in batches)
