"""The safety tick's notice work (scheduler/safety_jobs.py), idempotent like the rest of it:

* an urgent notice she has not acknowledged within LIAISON_NOTICE_ACK_HOURS of its sending becomes
  an urgent escalation, once (the notice keeps the escalation's id);
* a notice whose preview never left (her quick exit or STOP cancelled it, the gate refused the
  route, retries ran out) is `undeliverable`, and a worker is asked to tell her by phone.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.escalations import raise_escalation
from bot.logs import log_event
from bot.notices.delivery import mark_undeliverable
from bot.notices.timeline import SERVICE, add_step
from bot.storage.models import Notice, OutboundMessage, Survivor

NOT_ACKNOWLEDGED = "notice_not_acknowledged"
NEVER_LEFT = ("cancelled", "failed")


async def escalate_unacknowledged(session: AsyncSession, now: datetime) -> int:
    """Urgent notices past their acknowledgement deadline with no answer: one escalation each."""
    due = (await session.scalars(select(Notice.id).where(
        Notice.urgent.is_(True), Notice.status == "sent", Notice.response.is_(None),
        Notice.ack_due_at.isnot(None), Notice.ack_due_at <= now, Notice.escalation_id.is_(None),
    ).order_by(Notice.id))).all()
    raised = 0
    for notice_id in due:
        notice = await session.scalar(select(Notice).where(Notice.id == notice_id).with_for_update())
        if notice is None or notice.escalation_id is not None or notice.status != "sent":
            continue  # another tick took it
        pseudonym = await session.scalar(select(Survivor.pseudonym).where(Survivor.id == notice.survivor_id))
        esc = await raise_escalation(
            session, survivor_id=notice.survivor_id, priority="urgent", reason=NOT_ACKNOWLEDGED, now=now,
            pseudonym=pseudonym,
            note=f"Urgent notice #{notice.id} ({notice.kind}) has not been acknowledged since it was sent: "
                 f"make sure she knows, by phone inside her safe times.")
        notice.escalation_id, notice.updated_at = esc.id, now
        await add_step(session, notice, "escalated", SERVICE, now, escalation=esc.id, reason=NOT_ACKNOWLEDGED)
        log_event("notice.not_acknowledged", logging.WARNING, notice=notice.id, survivor=pseudonym)
        raised += 1
    return raised


async def settle_unsent(session: AsyncSession, now: datetime) -> int:
    """Queued notices whose preview will never leave: undeliverable, and a worker told."""
    stuck = (await session.execute(
        select(Notice.id, OutboundMessage.status, OutboundMessage.last_error)
        .outerjoin(OutboundMessage, OutboundMessage.id == Notice.preview_outbound_id)
        .where(Notice.status == "queued",
               or_(Notice.preview_outbound_id.is_(None), OutboundMessage.status.in_(NEVER_LEFT)))
        .order_by(Notice.id))).all()
    settled = 0
    for notice_id, outbox_status, why in stuck:
        taken = await session.execute(update(Notice).where(Notice.id == notice_id, Notice.status == "queued")
                                      .values(status="undeliverable").execution_options(synchronize_session=False))
        if not getattr(taken, "rowcount", 0):
            continue
        notice = await session.get(Notice, notice_id)
        assert notice is not None
        await session.refresh(notice)
        reason = f"preview_{outbox_status or 'removed'}" + (f":{why}" if why else "")
        await mark_undeliverable(session, notice, reason[:64], now)
        settled += 1
    return settled
