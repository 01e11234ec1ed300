"""THE way an escalation is raised: every part of the service that needs a person calls
`raise_escalation`, which stores it with its SLA deadline and, when it is urgent, alerts the
on-call staff through the outbox in the same transaction (bot.staff.alerts).

SLA: urgent 5 minutes, high 4 hours, routine 2 working days (configurable in settings;
`install_sla` is called by the service at start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.logs import log_event
from bot.storage.models import Escalation

PRIORITY_ORDER = {"urgent": 0, "high": 1, "routine": 2}


@dataclass(frozen=True)
class SlaPolicy:
    urgent: timedelta = timedelta(minutes=5)
    high: timedelta = timedelta(hours=4)
    routine_working_days: int = 2

    def due(self, priority: str, created: datetime) -> datetime:
        if priority == "urgent":
            return created + self.urgent
        if priority == "high":
            return created + self.high
        return add_working_days(created, self.routine_working_days)


def add_working_days(start: datetime, days: int) -> datetime:
    """`days` working days (Monday to Friday) after `start`, at the same time of day."""
    at, left = start, days
    while left > 0:
        at += timedelta(days=1)
        if at.weekday() < 5:
            left -= 1
    return at


_policy = SlaPolicy()


def install_sla(policy: SlaPolicy) -> None:
    global _policy
    _policy = policy


def sla() -> SlaPolicy:
    return _policy


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
                           note: str | None = None) -> Escalation:
    """Store an escalation and, if urgent, alert the on-call staff at once (same transaction). `note` is
    for the worker (stored encrypted), never personal data written by code."""
    from bot.staff.alerts import alert_on_call

    esc = Escalation(survivor_id=survivor_id, priority=priority, reason=reason, child_protection=child_protection,
                     created_at=now, due_at=sla().due(priority, now), note=note)
    session.add(esc)
    await session.flush()
    log_event("escalation.raised", escalation=esc.id, survivor=pseudonym, priority=priority, reason=reason)
    if priority == "urgent":
        await alert_on_call(session, esc, now)
    return esc
