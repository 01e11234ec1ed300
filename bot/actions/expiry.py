"""Expiring messages: sensitive messages are deleted at the provider and emptied in our records."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.deletion import deletable_messages, queue_deletions
from bot.channels.registry import capabilities
from bot.storage.models import ChannelIdentity, InboundMessage, OutboundMessage, Survivor
from safety.deletion import clamp_expiry_minutes, still_deletable


def _due(now: datetime) -> tuple[Any, ...]:
    return (
        OutboundMessage.kind == "send", OutboundMessage.status == "sent", OutboundMessage.sensitive.is_(True),
        OutboundMessage.expires_at.isnot(None), OutboundMessage.expires_at <= now,
        OutboundMessage.deleted_at.is_(None),
    )


async def expire_due(session: AsyncSession, now: datetime) -> int:
    """Queue deletion of every sensitive message past its expiry, and of what she wrote in the
    same period (her words may be the most revealing); returns how many messages.
    On SMS a text cannot be taken back from her phone: its content is cleared in our records."""
    due = _due(now)
    identity_ids = (await session.scalars(
        select(OutboundMessage.identity_id).where(*due, OutboundMessage.identity_id.isnot(None)).distinct()
    )).all()
    total = 0
    for identity_id in identity_ids:
        identity = await session.get(ChannelIdentity, identity_id)
        if identity is None:
            continue
        mine: tuple[Any, ...] = (OutboundMessage.identity_id == identity.id,)
        caps = capabilities(identity.channel)
        if caps.deletes_messages:
            survivor = await session.get(Survivor, identity.survivor_id) if identity.survivor_id else None
            minutes = clamp_expiry_minutes(survivor.expiry_minutes if survivor else 60)
            items = await deletable_messages(
                session, identity,
                outbound_filter=and_(*due),
                inbound_filter=InboundMessage.received_at <= now - timedelta(minutes=minutes),
            )
            total += await queue_deletions(session, identity, items, f"expire:{identity.id}:{now.isoformat()}", now)
            queued = [i.row_id for i in items if i.kind == "out" and still_deletable(caps.delete_window, i.at, now)]
            mine = (*mine, OutboundMessage.id.notin_(queued or [-1]))
        # what is left (SMS, or past the provider's deletion window) is emptied here
        res = await session.execute(update(OutboundMessage).where(*due, *mine)
                                    .values(body=None, buttons=None, deleted_at=now))
        total += res.rowcount or 0  # type: ignore[attr-defined]
    return total
