"""The retention job: empty old message content, erase long-closed cases, drop strangers' messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.erasure import erase_survivor
from bot.storage.models import InboundMessage, OutboundMessage, Survivor
from safety.retention import CLOSED_STATUSES, RetentionPolicy

FINAL = ("sent", "failed", "cancelled", "in_doubt")


@dataclass(frozen=True)
class RetentionReport:
    inbound_contents: int
    outbound_contents: int
    stranger_messages: int
    closed_cases: int


async def run_retention(session: AsyncSession, policy: RetentionPolicy, now: datetime,
                        dry_run: bool = False) -> RetentionReport:
    cut = policy.message_cutoff(now)
    inbound_old = (InboundMessage.received_at < cut, InboundMessage.survivor_id.isnot(None),
                   InboundMessage.body.isnot(None) | InboundMessage.button.isnot(None))
    outbound_old = (OutboundMessage.created_at < cut, OutboundMessage.status.in_(FINAL),
                    OutboundMessage.kind == "send", OutboundMessage.body.isnot(None))
    strangers = (InboundMessage.received_at < cut, InboundMessage.survivor_id.is_(None),
                 InboundMessage.processed_at.isnot(None))
    closed = (Survivor.status.in_(CLOSED_STATUSES), Survivor.updated_at < policy.closed_case_cutoff(now))

    async def count(table: type, *where: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)

    report = RetentionReport(
        inbound_contents=await count(InboundMessage, *inbound_old),
        outbound_contents=await count(OutboundMessage, *outbound_old),
        stranger_messages=await count(InboundMessage, *strangers),
        closed_cases=await count(Survivor, *closed),
    )
    if dry_run:
        return report
    await session.execute(update(InboundMessage).where(*inbound_old).values(body=None, button=None))
    await session.execute(update(OutboundMessage).where(*outbound_old).values(body=None, buttons=None))
    # strangers' outbound replies reference their inbound rows: drop those first
    stranger_ids = select(InboundMessage.id).where(*strangers)
    await session.execute(delete(OutboundMessage).where(OutboundMessage.caused_by_inbound_id.in_(stranger_ids),
                                                        OutboundMessage.survivor_id.is_(None)))
    await session.execute(delete(InboundMessage).where(*strangers))
    for survivor in (await session.scalars(select(Survivor).where(*closed))).all():
        await erase_survivor(session, survivor, actor="retention", reason="closed_case_expired", now=now)
    return report
