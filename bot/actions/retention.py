"""The retention job: empty old message content, erase long-closed cases, drop strangers' messages.

Words about her that are not messages are content too: the programme's own words on an event
(`programme_events.detail`) once a worker has matched or set the event aside, and the text of a
notice once it is done with (acknowledged, undeliverable, withdrawn). An unmatched event keeps its
words (a worker still needs them to link it); a notice she has not answered keeps its text (she may
still open it). Counts, kinds and timelines stay for the evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.erasure import erase_survivor
from bot.storage.models import InboundMessage, Notice, OutboundMessage, ProgrammeEvent, Survivor
from safety.retention import CLOSED_STATUSES, RetentionPolicy

FINAL = ("sent", "failed", "cancelled", "in_doubt")
HANDLED_EVENTS = ("matched", "ignored")
FINISHED_NOTICES = ("acknowledged", "undeliverable", "withdrawn")
PURGED_NOTICE_TEXT = ""  # the column is required: an empty text, which the console shows as removed


@dataclass(frozen=True)
class RetentionReport:
    inbound_contents: int
    outbound_contents: int
    stranger_messages: int
    closed_cases: int
    programme_details: int = 0
    notice_texts: int = 0


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
    event_details = (ProgrammeEvent.received_at < cut, ProgrammeEvent.status.in_(HANDLED_EVENTS),
                     ProgrammeEvent.detail.isnot(None))
    finished = select(Notice).where(Notice.updated_at < cut, Notice.status.in_(FINISHED_NOTICES))
    # the text is ciphertext with a fresh nonce: whether it was emptied already is read, not queried
    notices = [n for n in (await session.scalars(finished)).all() if n.body != PURGED_NOTICE_TEXT]

    async def count(table: type, *where: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)

    report = RetentionReport(
        inbound_contents=await count(InboundMessage, *inbound_old),
        outbound_contents=await count(OutboundMessage, *outbound_old),
        stranger_messages=await count(InboundMessage, *strangers),
        closed_cases=await count(Survivor, *closed),
        programme_details=await count(ProgrammeEvent, *event_details),
        notice_texts=len(notices),
    )
    if dry_run:
        return report
    await session.execute(update(InboundMessage).where(*inbound_old).values(body=None, button=None))
    await session.execute(update(OutboundMessage).where(*outbound_old).values(body=None, buttons=None))
    await session.execute(update(ProgrammeEvent).where(*event_details).values(detail=None))
    for notice in notices:
        notice.body = PURGED_NOTICE_TEXT
    # strangers' outbound replies reference their inbound rows: drop those first
    stranger_ids = select(InboundMessage.id).where(*strangers)
    await session.execute(delete(OutboundMessage).where(OutboundMessage.caused_by_inbound_id.in_(stranger_ids),
                                                        OutboundMessage.survivor_id.is_(None)))
    await session.execute(delete(InboundMessage).where(*strangers))
    for survivor in (await session.scalars(select(Survivor).where(*closed))).all():
        await erase_survivor(session, survivor, actor="retention", reason="closed_case_expired", now=now)
    return report
