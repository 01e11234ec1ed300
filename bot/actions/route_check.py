"""Queue the re-check of her contact route (periodically, and after a quick exit)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import catalog
from bot.outbox.enqueue import enqueue
from bot.storage.models import ChannelIdentity, Survivor
from flows.flow_state import load_state
from flows.route_check import question


def due_for_route_check(survivor: Survivor, now: datetime, every_days: int) -> bool:
    state = load_state(survivor.state)
    since = state.route_checked_at or state.route_check_queued_at or survivor.created_at
    return now - since >= timedelta(days=every_days)


async def queue_route_check(session: AsyncSession, survivor: Survivor, now: datetime, *, reason: str,
                            not_before: datetime | None = None) -> int:
    """One cover-worded question per active identity; windows and pauses apply (it is not a reply)."""
    identities = (await session.scalars(select(ChannelIdentity).where(
        ChannelIdentity.survivor_id == survivor.id, ChannelIdentity.status == "active"))).all()
    body, buttons = catalog.render_for(question(), survivor)
    for identity in identities:
        enqueue(session, channel=identity.channel, address=identity.address, address_index=identity.address_index,
                cause=f"route:{survivor.id}:{identity.id}:{reason}:{now.date().isoformat()}", index=0,
                text_key="route.check", body=body, buttons=buttons, survivor_id=survivor.id,
                identity_id=identity.id, is_reply=False, not_before=not_before)
    survivor.state = load_state(survivor.state).but(route_check_queued_at=now).dump()
    return len(identities)
