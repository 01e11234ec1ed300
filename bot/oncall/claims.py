"""Taking an escalation, from the console or from the "I'm on it" under an on-call alert: one holder,
audited, and every alert that carries it then says who took it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.oncall.alerts import show_taken
from bot.storage.audit import audit
from bot.storage.models import Escalation, StaffMember, Survivor


async def claim(session: AsyncSession, escalation_id: int, member: StaffMember, now: datetime) -> str | None:
    """One holder: a conditional UPDATE, so of two workers claiming at once one wins. Returns None
    when this worker holds it now, else the name of the one who does. Every on-call alert that
    carries it then says who took it (from the console or the alert's own "I'm on it")."""
    res = await session.execute(
        update(Escalation).where(Escalation.id == escalation_id, Escalation.holder_id.is_(None),
                                 Escalation.status == "open")
        .values(holder_id=member.id, claimed_at=now, status="claimed")
    )
    if res.rowcount == 1:  # type: ignore[attr-defined]
        esc = await session.get(Escalation, escalation_id)
        audit(session, f"staff:{member.id}", "escalation.claimed", survivor=await pseudonym_of(session, esc),
              now=now, escalation_id=escalation_id)
        await show_taken(session, escalation_id, now)
        return None
    holder = await session.scalar(select(StaffMember.name).join(Escalation, Escalation.holder_id == StaffMember.id)
                                  .where(Escalation.id == escalation_id))
    return holder or "nobody (it is closed)"


async def pseudonym_of(session: AsyncSession, esc: Escalation | None) -> str | None:
    if esc is None or esc.survivor_id is None:
        return None
    return await session.scalar(select(Survivor.pseudonym).where(Survivor.id == esc.survivor_id))
