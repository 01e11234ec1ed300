"""On-call alerts: an urgent escalation reaches a person at once, through the outbox.

An alert goes to a staff member's own linked Telegram chat and/or on-call SMS number, as an
outbox row of kind `staff_alert` with no survivor and no identity attached, so her gate, windows
and disguise never apply and it can never go to her. Its text holds no survivor data. Each
escalation alerts each person once per round (a unique constraint): round 1 at once, round 2 a
re-alert when it is still unclaimed past its SLA, round 3 the supervisors.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.logs import log_event
from bot.outbox.enqueue import enqueue
from bot.storage.db import session_keyring, session_policies
from bot.storage.models import Escalation, OnCallShift, StaffAlert, StaffMember

KIND = "staff_alert"
ROUND_ONCALL, ROUND_REALERT, ROUND_SUPERVISOR = 1, 2, 3


def alert_text(escalation_id: int, again: bool = False) -> str:
    """No survivor data: only the number of the alert and where to look."""
    return f"{'Reminder: u' if again else 'U'}rgent alert #{escalation_id} \u2014 open the console"


def has_role(member: StaffMember, role: str) -> bool:
    return role in (member.roles or [])


async def on_call(session: AsyncSession, now: datetime) -> list[StaffMember]:
    """Who the rota says is on call now; with nobody on call, every active liaison worker."""
    rows = (await session.scalars(
        select(StaffMember).join(OnCallShift, OnCallShift.staff_id == StaffMember.id)
        .where(OnCallShift.starts_at <= now, OnCallShift.ends_at > now, StaffMember.status == "active")
        .order_by(StaffMember.id)
    )).unique().all()
    if rows:
        return list(rows)
    everyone = (await session.scalars(select(StaffMember).where(StaffMember.status == "active")
                                      .order_by(StaffMember.id))).all()
    return [m for m in everyone if has_role(m, "liaison")]


async def supervisors(session: AsyncSession) -> list[StaffMember]:
    everyone = (await session.scalars(select(StaffMember).where(StaffMember.status == "active")
                                      .order_by(StaffMember.id))).all()
    return [m for m in everyone if has_role(m, "supervisor")]


async def send_alerts(session: AsyncSession, esc: Escalation, members: list[StaffMember], round_: int,
                      now: datetime) -> int:
    """Queue one alert per person and route for this round; returns how many were queued."""
    ring = session_keyring(session)
    queued = 0
    for member in members:
        seen = await session.scalar(select(StaffAlert.id).where(
            StaffAlert.escalation_id == esc.id, StaffAlert.staff_id == member.id, StaffAlert.round == round_))
        if seen is not None:
            continue
        routes = [("telegram", member.telegram_chat), ("sms", member.sms_number)]
        first_id: int | None = None
        used = "console"
        for channel, address in routes:
            if not address:
                continue
            row = enqueue(session, channel=channel, address=address, address_index=ring.blind_index(channel, address),
                          cause=f"staff-alert:{esc.id}:{member.id}:{round_}:{channel}", index=0,
                          text_key="staff.alert", body=alert_text(esc.id, again=round_ > ROUND_ONCALL),
                          urgent=True, is_reply=False)
            row.kind = KIND
            row.next_attempt_at = now
            await session.flush()
            first_id, used = first_id or row.id, channel if used == "console" else used
            queued += 1
        session.add(StaffAlert(escalation_id=esc.id, staff_id=member.id, round=round_, channel=used,
                               outbound_id=first_id, created_at=now))
    log_event("staff.alerted", escalation=esc.id, round=round_, people=len(members), queued=queued)
    return queued


async def alert_on_call(session: AsyncSession, esc: Escalation, now: datetime) -> int:
    esc.alert_round, esc.alerted_at = ROUND_ONCALL, now
    return await send_alerts(session, esc, await on_call(session, now), ROUND_ONCALL, now)


async def escalate_overdue(session: AsyncSession, now: datetime) -> int:
    """Unclaimed past the SLA: urgent ones re-alert the on-call staff, then the supervisors;
    others go to the supervisors. Each round is claimed by a conditional UPDATE (one tick wins)."""
    overdue = (await session.scalars(select(Escalation).where(
        Escalation.status == "open", Escalation.holder_id.is_(None), Escalation.due_at <= now,
        Escalation.alert_round < ROUND_SUPERVISOR,
    ).order_by(Escalation.id))).all()
    queued = 0
    for esc in overdue:
        nxt = ROUND_REALERT if esc.priority == "urgent" and esc.alert_round < ROUND_REALERT else ROUND_SUPERVISOR
        claimed = await session.execute(
            update(Escalation).where(Escalation.id == esc.id, Escalation.alert_round == esc.alert_round,
                                     Escalation.holder_id.is_(None))
            .values(alert_round=nxt, alerted_at=now, due_at=now + session_policies(session).sla.urgent)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        members = await on_call(session, now) if nxt == ROUND_REALERT else await supervisors(session)
        queued += await send_alerts(session, esc, members, nxt, now)
    return queued
