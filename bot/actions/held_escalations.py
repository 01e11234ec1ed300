"""Held escalations: an alert that opens by itself unless she answers first.

The danger check (flows/danger_check.py) asks "do you need help right now?" and holds an urgent
escalation with ``status = "held"`` and ``due_at`` a few minutes ahead. Her yes or no closes it
(bot/conversation.py); if neither comes, the safety tick (scheduler/safety_jobs.py) opens it, so a
survivor who could not answer still reaches a person. A worker's queue lists ``open`` escalations
only; a held one is not yet work for anyone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.logs import log_event
from bot.oncall.alerts import alert_on_call
from bot.storage.db import session_policies
from bot.storage.models import Escalation

HELD = "held"


async def open_unanswered(session: AsyncSession, now: datetime) -> int:
    """Open every held escalation whose wait is over, with its SLA from now, and alert the on-call staff
    for an urgent one, as for any escalation (bot.escalations); the number opened. Idempotent: each row
    is taken by one conditional UPDATE, so two ticks never alert twice."""
    due = (await session.scalars(
        select(Escalation.id).where(Escalation.status == HELD, Escalation.due_at <= now))).all()
    opened = 0
    for esc_id in due:
        esc = await session.get(Escalation, esc_id)
        assert esc is not None
        taken = await session.execute(
            update(Escalation).where(Escalation.id == esc_id, Escalation.status == HELD)
            .values(status="open", due_at=session_policies(session).sla.due(esc.priority, now))
            .execution_options(synchronize_session=False))
        if not getattr(taken, "rowcount", 0):
            continue
        await session.refresh(esc)
        opened += 1
        log_event("escalation.opened_unanswered", escalation=esc.id, priority=esc.priority, reason=esc.reason)
        if esc.priority == "urgent":
            await alert_on_call(session, esc, now)
    return opened
