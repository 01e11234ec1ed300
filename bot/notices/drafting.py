"""An event in his programme becomes a draft notice to her: `draft_for_event`, called by the
programme-event intake for each event newly matched to her record.

One notice per event and survivor (a unique constraint; a replay returns the existing one). The
draft is written in her locale from content/<locale>/notices.yaml, is urgent or routine by
content/programme_events.yaml, and waits for a worker's review, except a routine notice of a site that
chose auto-approval (LIAISON_NOTICE_AUTO_APPROVE_SITES), which is approved and queued at once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.logs import log_event
from bot.notices import review, texts, urgency
from bot.notices.timeline import SERVICE, add_step
from bot.storage.db import session_policies
from bot.storage.models import Notice, ProgrammeEvent, Survivor


async def draft_for_event(session: AsyncSession, event: ProgrammeEvent, survivor: Survivor, *,
                          now: datetime) -> Notice | None:
    """Her notice for this event (matched to her), drafted now or found from before; None when she
    is erased or the kind is not one notices know. In the caller's transaction."""
    # one draft per event and woman, also with two intakes at once (PostgreSQL; SQLite has one writer)
    await session.execute(select(ProgrammeEvent.id).where(ProgrammeEvent.id == event.id).with_for_update())
    existing = await session.scalar(select(Notice).where(Notice.event_id == event.id,
                                                         Notice.survivor_id == survivor.id))
    if existing is not None:
        return existing
    if survivor.status in ("erased", "erasing"):
        return None
    if not urgency.known(event.kind):
        log_event("notice.unknown_kind", logging.WARNING, programme_event=event.id)
        return None
    urgent = urgency.is_urgent(event.kind, event.reason_class)
    body = texts.draft_body(survivor.locale, survivor.country, event.kind, event.reason_class, event.occurred_on,
                            event.sessions_missed)
    notice = Notice(event_id=event.id, survivor_id=survivor.id, kind=event.kind, urgent=urgent, status="draft",
                    body=body, created_at=now, updated_at=now)
    session.add(notice)
    await session.flush()
    await add_step(session, notice, "drafted", SERVICE, now, event=event.id, urgent=urgent)
    log_event("notice.drafted", notice=notice.id, survivor=survivor.pseudonym, kind=event.kind, urgent=urgent)
    if session_policies(session).notices.auto_approves(event.site, urgent):
        await review.auto_approve(session, notice, now)
    return notice
