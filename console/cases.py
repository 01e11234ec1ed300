"""What the console does to escalations and to her record, as functions of a session and `now`.
Each one that touches her writes its audit row in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.escalations import sla_clock, sla_state
from bot.live_chat import end_for_escalation
from bot.oncall.alerts import show_taken
from bot.oncall.claims import pseudonym_of
from bot.storage.audit import audit
from bot.storage.models import Escalation, EscalationNote, PhoneCall, StaffMember, Survivor
from flows.phone_call import OUTCOME_LABELS

OUTCOMES = {
    "spoke_to_her": "Spoke to her",
    "no_answer": "No answer",
    "unsafe_to_talk": "Unsafe to talk",
    "referred_police": "Referred to police",
    "referred_marac": "Referred to MARAC or equivalent",
    "no_action_needed": "No action needed",
}
REASONS = {
    "danger_now": "Danger now", "duress_pin": "Duress PIN", "report_incident": "Reported an incident",
    "feeling_unsafe": "Feels unsafe", "checkin_review": "Check-in triage", "fear_rose": "Check-in: fear rose",
    "threats": "Check-in: threats", "callback_requested": "Call-back", "route_unsafe": "Route check \u201cno\u201d",
    "delivery_failed": "Permanent send failure", "recipient_gone": "Her route stopped",
    "reverify_identity": "Account change", "pin_lockout": "PIN lockout",
    "notice_tell_by_phone": "Notice: tell her by phone", "notice_not_acknowledged": "Notice not acknowledged",
    "notice_ring_me": "Notice: ring her",
    "self_harm": "Self-harm or suicide risk (Selbstgefährdung / Suizidgedanken)",
}


@dataclass(frozen=True)
class QueueRow:
    id: int
    pseudonym: str | None
    priority: str
    reason: str
    child_protection: bool
    age_minutes: int
    sla: str
    holder: str | None
    call: str | None = None  # her call in progress or the last call's outcome (issue 29)
    sla_left: str = ""  # "4 min left" / "overdue 2 min", from when it was raised


def priority_order() -> Any:
    return case({"urgent": 0, "high": 1}, value=Escalation.priority, else_=2)


async def open_queue(session: AsyncSession, now: datetime) -> list[QueueRow]:
    """Open escalations: urgent > high > routine, then the longest waiting first."""
    rows = (await session.execute(
        select(Escalation, Survivor.pseudonym, StaffMember.name)
        .outerjoin(Survivor, Survivor.id == Escalation.survivor_id)
        .outerjoin(StaffMember, StaffMember.id == Escalation.holder_id)
        .where(Escalation.status.in_(("open", "claimed")))
        .order_by(priority_order(), Escalation.created_at, Escalation.id)
    )).all()
    calls = await last_calls(session, [e.survivor_id for e, _p, _h in rows if e.survivor_id is not None])
    return [QueueRow(e.id, p, e.priority, REASONS.get(e.reason, e.reason.replace("_", " ")), e.child_protection,
                     max(0, int((now - e.created_at).total_seconds() // 60)), sla_state(e, now), holder,
                     calls.get(e.survivor_id) if e.survivor_id is not None else None,
                     sla_left=sla_clock(e, now))
            for e, p, holder in rows]


async def last_calls(session: AsyncSession, survivor_ids: list[int]) -> dict[int, str]:
    """Her latest call, as the queue shows it: "call in progress" or "last call: <outcome>"."""
    out: dict[int, str] = {}
    if not survivor_ids:
        return out
    for call in (await session.scalars(select(PhoneCall).where(PhoneCall.survivor_id.in_(set(survivor_ids)))
                                       .order_by(PhoneCall.started_at, PhoneCall.id))).all():
        label = OUTCOME_LABELS.get(call.outcome, call.outcome) if call.outcome else None  # type: ignore[call-overload]
        out[call.survivor_id or 0] = "call in progress" if call.ended_at is None else f"last call: {label}"
    return out


async def urgent_open(session: AsyncSession) -> int:
    return len((await session.scalars(select(Escalation.id).where(
        Escalation.status.in_(("open", "claimed")), Escalation.priority == "urgent"))).all())


async def add_note(session: AsyncSession, esc: Escalation, member: StaffMember, body: str, now: datetime) -> None:
    session.add(EscalationNote(escalation_id=esc.id, staff_id=member.id, body=body, created_at=now))
    audit(session, f"staff:{member.id}", "escalation.note", survivor=await pseudonym_of(session, esc), now=now,
          escalation_id=esc.id)


async def resolve(session: AsyncSession, esc: Escalation, member: StaffMember, outcome: str, now: datetime) -> bool:
    if outcome not in OUTCOMES or esc.status == "closed":
        return False
    esc.status, esc.outcome, esc.closed_at = "closed", outcome, now
    await end_for_escalation(session, esc.id, now, actor=f"staff:{member.id}")  # her chat goes back to the menu
    if esc.holder_id is None:
        esc.holder_id, esc.claimed_at = member.id, now
        await show_taken(session, esc.id, now)
    audit(session, f"staff:{member.id}", "escalation.resolved", survivor=await pseudonym_of(session, esc), now=now,
          escalation_id=esc.id, outcome=outcome)
    return True


async def reassign(session: AsyncSession, esc: Escalation, member: StaffMember, to: StaffMember,
                   now: datetime) -> None:
    esc.holder_id, esc.claimed_at, esc.status = to.id, now, "claimed"
    audit(session, f"staff:{member.id}", "escalation.reassigned", survivor=await pseudonym_of(session, esc),
          now=now, escalation_id=esc.id, to_staff_id=to.id)
    await show_taken(session, esc.id, now)
