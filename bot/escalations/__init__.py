"""THE way an escalation is raised: every part of the service that needs a person calls
`raise_escalation`, which stores it with its SLA deadline and, when it is urgent, alerts the
on-call staff through the outbox in the same transaction (bot.oncall.alerts).

SLA: urgent 5 minutes, high 4 hours, routine 2 working days (configurable in settings: the
`SlaPolicy` of bot/policies.py, carried by the session the escalation is written in), counted from
when it was raised: `due_at` is set here once and re-alerts never move it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.logs import log_event
from bot.oncall.alerts import alert_on_call
from bot.storage.db import session_policies
from bot.storage.models import Escalation


def span(seconds: float) -> str:
    """A duration as a worker reads it at a glance: 40 s, 7 min, 3 h 5 min, 2 d 4 h."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def sla_state(esc: Escalation, now: datetime) -> str:
    """'ok', 'due soon' (last fifth of the time), or 'breached'."""
    if esc.due_at is None:
        return "ok"
    if now >= esc.due_at:
        return "breached"
    total = (esc.due_at - esc.created_at).total_seconds() or 1
    return "due soon" if (esc.due_at - now).total_seconds() < total / 5 else "ok"


async def raise_escalation(session: AsyncSession, *, survivor_id: int | None, priority: str, reason: str,
                           now: datetime, child_protection: bool = False, pseudonym: str | None = None,
                           note: str | None = None, inbound_id: int | None = None) -> Escalation:
    """Store an escalation and, if urgent, alert the on-call staff at once (same transaction). `note` is
    for the worker (stored encrypted), never personal data written by code; `inbound_id` her message
    that raised it (shown on the escalation while its text is kept)."""
    esc = Escalation(survivor_id=survivor_id, priority=priority, reason=reason, child_protection=child_protection,
                     created_at=now, due_at=session_policies(session).sla.due(priority, now), note=note,
                     inbound_id=inbound_id)
    session.add(esc)
    await session.flush()
    log_event("escalation.raised", escalation=esc.id, survivor=pseudonym, priority=priority, reason=reason)
    if priority == "urgent":
        await alert_on_call(session, esc, now)
    return esc
