"""Held escalations: an alert that opens by itself unless she answers first.

The danger check (flows/danger_check.py) asks "do you need help right now?" and holds an urgent
escalation with ``status = "held"`` and ``due_at`` a few minutes ahead. Her yes or no closes it
(bot/conversation.py); if neither comes, the safety tick (scheduler/safety_jobs.py) opens it, so a
survivor who could not answer still reaches a person. A worker's queue lists ``open`` escalations
only; a held one is not yet work for anyone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Escalation

HELD = "held"


async def open_unanswered(session: AsyncSession, now: datetime) -> int:
    """Open every held escalation whose wait is over; the number opened. Idempotent."""
    opened = await session.execute(
        update(Escalation)
        .where(Escalation.status == HELD, Escalation.due_at <= now)
        .values(status="open")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(opened, "rowcount", 0) or 0)
