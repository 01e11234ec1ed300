"""A notice's timeline: every step (drafted, edited, approved, second_approved, queued, sent,
delivered, opened, acknowledged, ring_me, undeliverable, escalated, withdrawn) is a `notice_steps`
row and an audit event, in the caller's transaction. Who did it, never what it said."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.audit import audit
from bot.storage.models import Notice, NoticeStep, Survivor

SERVICE, HER = "service", "her"


async def add_step(session: AsyncSession, notice: Notice, step: str, actor: str, now: datetime, *,
                   audit_as: str | None = None, **details: Any) -> NoticeStep:
    """One step on the timeline and its audit row. `actor`: a staff name, "her" or "service";
    `audit_as`: the audit log's name for the same actor (the console's `staff:<id>`)."""
    row = NoticeStep(notice_id=notice.id, step=step, actor=actor[:64], at=now)
    session.add(row)
    pseudonym = await session.scalar(select(Survivor.pseudonym).where(Survivor.id == notice.survivor_id)) \
        if notice.survivor_id is not None else None
    audit(session, audit_as or actor, f"notice.{step}", survivor=pseudonym, now=now, notice=notice.id, kind=notice.kind,
          **details)
    return row


async def has_step(session: AsyncSession, notice_id: int, step: str) -> bool:
    found = await session.scalar(select(NoticeStep.id).where(NoticeStep.notice_id == notice_id,
                                                             NoticeStep.step == step).limit(1))
    return found is not None


async def steps_of(session: AsyncSession, notice_ids: list[int]) -> dict[int, list[NoticeStep]]:
    """Timelines of several notices, each in order."""
    out: dict[int, list[NoticeStep]] = {i: [] for i in notice_ids}
    if not notice_ids:
        return out
    rows = (await session.scalars(select(NoticeStep).where(NoticeStep.notice_id.in_(notice_ids))
                                  .order_by(NoticeStep.at, NoticeStep.id))).all()
    for row in rows:
        out[row.notice_id].append(row)
    return out
