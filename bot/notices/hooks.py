"""The outbox tells a notice what became of its preview: `sent` when the provider accepted it
(the dispatcher, or Twilio's callback confirming a send we never saw end), `delivered` when the
provider says it reached her phone (Twilio's status callback; Telegram sends no receipts). Both run
in the transaction that records the outbox row's change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.notices.timeline import SERVICE, add_step, has_step
from bot.storage.db import session_policies
from bot.storage.models import Notice, OutboundMessage
from flows.notice import PREVIEW_KEY


async def _notice_of(session: AsyncSession, msg: OutboundMessage) -> Notice | None:
    if msg.text_key != PREVIEW_KEY or msg.kind != "send":
        return None
    return await session.scalar(select(Notice).where(Notice.preview_outbound_id == msg.id))


async def preview_sent(session: AsyncSession, msg: OutboundMessage, sent_at: datetime) -> None:
    """The preview left: the notice is `sent`; an urgent one now waits for her acknowledgement."""
    notice = await _notice_of(session, msg)
    if notice is None or notice.status != "queued":
        return
    notice.status, notice.sent_at, notice.updated_at = "sent", sent_at, sent_at
    if notice.urgent:
        notice.ack_due_at = sent_at + session_policies(session).notices.ack_within
    await add_step(session, notice, "sent", SERVICE, sent_at, channel=msg.channel)


async def preview_delivered(session: AsyncSession, msg: OutboundMessage, now: datetime) -> None:
    """The provider reports the preview on her phone (once on the timeline, whatever it repeats)."""
    notice = await _notice_of(session, msg)
    if notice is None or await has_step(session, notice.id, "delivered"):
        return
    await add_step(session, notice, "delivered", SERVICE, now, channel=msg.channel)
