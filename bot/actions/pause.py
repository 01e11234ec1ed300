"""Lifting a pause on messages to her: what the pause held goes out now, inside her windows.

A pause holds a queued message until the pause's end (`safety.outbound_gate`: held, reason "paused",
next attempt at the pause's end, which may be years away for a worker's pause). Clearing the column
alone would leave those messages waiting for that far-off attempt, so every way a pause ends (her
writing after a quick exit, a worker's Resume or re-verification, the CLI) goes through here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import OutboundMessage, Survivor


async def lift_pause(session: AsyncSession, survivor: Survivor, now: datetime) -> None:
    """End her pause and wake what it held (the gate still applies her windows when they are tried)."""
    survivor.outbound_paused_until = None
    await session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.survivor_id == survivor.id, OutboundMessage.status == "held",
               OutboundMessage.last_error == "paused")
        .values(next_attempt_at=now)
    )
