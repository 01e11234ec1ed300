"""What the console does to escalations and to her record, as functions of a session and `now`.
Each one that touches her writes its audit row in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.escalations import sla_state, span
from bot.live_chat import end_for_escalation
from bot.oncall.alerts import show_taken
from bot.oncall.claims import pseudonym_of
from bot.storage.audit import audit
from bot.storage.models import Escalation, EscalationNote, PhoneCall, StaffMember, Survivor
from console.texts import Text, _
from flows.phone_call import OUTCOME_LABELS

OUTCOMES = ("spoke_to_her", "no_answer", "unsafe_to_talk", "referred_police", "referred_marac", "no_action_needed")
# (their words, and every reason's, are in content/<locale>/console.yaml: labels.outcome, labels.reason)


@dataclass(frozen=True)
class QueueRow:
    id: int
    pseudonym: str | None
    priority: str
    reason: str  # the code (danger_now): the page shows its words
    child_protection: bool
    age_minutes: int
    sla: str
    holder: str | None
    call: Text | None = None  # her call in progress or the last call's outcome (issue 29)
    sla_left: Text | None = None  # "4 min left" / "overdue 2 min", from when it was raised
    holder_id: int | None = None


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
    return [QueueRow(e.id, p, e.priority, e.reason, e.child_protection,
                     max(0, int((now - e.created_at).total_seconds() // 60)), sla_state(e, now), holder,
                     calls.get(e.survivor_id) if e.survivor_id is not None else None,
                     sla_left=sla_clock(e, now), holder_id=e.holder_id)
            for e, p, holder in rows]


def sla_clock(esc: Escalation, now: datetime) -> Text:
    """Time left, or how long overdue, counted from when it was first raised ("4 min left",
    "overdue 2 min"): re-alerts change who is told, never this clock."""
    if esc.due_at is None:
        return _("no deadline")
    if esc.claimed_at is not None:  # someone has it: how long she waited for a person
        waited = span((esc.claimed_at - esc.created_at).total_seconds())
        if esc.claimed_at > esc.due_at:
            return _("taken after {span} (late)", span=waited)
        return _("taken after {span}", span=waited)
    left = (esc.due_at - now).total_seconds()
    return _("{span} left", span=span(left)) if left > 0 else _("overdue {span}", span=span(-left))


async def last_calls(session: AsyncSession, survivor_ids: list[int]) -> dict[int, Text]:
    """Her latest call, as the queue shows it: "call in progress" or "last call: <outcome>"."""
    out: dict[int, Text] = {}
    if not survivor_ids:
        return out
    for call in (await session.scalars(select(PhoneCall).where(PhoneCall.survivor_id.in_(set(survivor_ids)))
                                       .order_by(PhoneCall.started_at, PhoneCall.id))).all():
        label = OUTCOME_LABELS.get(call.outcome, call.outcome) if call.outcome else None  # type: ignore[call-overload]
        out[call.survivor_id or 0] = _("call in progress") if call.ended_at is None else \
            _("last call: {outcome}", outcome=_(label or ""))
    return out


async def urgent_open(session: AsyncSession) -> int:
    return len((await session.scalars(select(Escalation.id).where(
        Escalation.status.in_(("open", "claimed")), Escalation.priority == "urgent"))).all())


async def add_note(session: AsyncSession, esc: Escalation, member: StaffMember, body: str, now: datetime) -> None:
    session.add(EscalationNote(escalation_id=esc.id, staff_id=member.id, body=body, created_at=now))
    audit(session, f"staff:{member.id}", "escalation.note", survivor=await pseudonym_of(session, esc), now=now,
          escalation_id=esc.id)


def may_resolve(esc: Escalation, member: StaffMember) -> bool:
    """Its holder, or a supervisor (who may close one nobody holds, or one another holds)."""
    return esc.holder_id == member.id or "supervisor" in (member.roles or [])


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
