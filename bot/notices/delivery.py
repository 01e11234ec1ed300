"""Sending an approved notice: the neutral preview through the outbox, or, when it cannot reach
her, no message at all and an escalation "tell her by phone" (urgent notices alert on-call).

Routine notices wait for her contact windows (the preview is queued for the next opening, and the
dispatcher's gate holds it too); urgent ones go at once, still behind the same neutral preview.
The preview is never sensitive: her cover title and "a new note for you — reply 1 to read".
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.registry import capabilities
from bot.escalations import raise_escalation
from bot.logs import log_event
from bot.notices import texts
from bot.notices.reach import ReachFacts, why_not
from bot.notices.timeline import SERVICE, add_step
from bot.outbox.enqueue import enqueue
from bot.storage.models import ChannelIdentity, ConsentRecord, Notice, Survivor
from flows.notice import PREVIEW_KEY
from safety.disguise import Disguise
from safety.windows import WindowError, next_open

TELL_BY_PHONE = "notice_tell_by_phone"


def preview_cause(notice_id: int) -> str:
    """The outbox cause of a notice's preview: one preview per notice, ever (the idempotency key)."""
    return f"notice:{notice_id}"


async def information_consent(session: AsyncSession, survivor_id: int) -> bool:
    granted = await session.scalar(
        select(ConsentRecord.granted).where(ConsentRecord.survivor_id == survivor_id,
                                            ConsentRecord.kind == "information")
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc()).limit(1))
    return bool(granted)


async def her_route(session: AsyncSession, survivor_id: int) -> tuple[str | None, ChannelIdentity | None]:
    """The state of her routes (any suspect one makes it `suspect`) and the active one to write to."""
    identities = (await session.scalars(select(ChannelIdentity).where(ChannelIdentity.survivor_id == survivor_id)
                                        .order_by(ChannelIdentity.id.desc()))).all()
    if any(i.status == "suspect" for i in identities):
        return "suspect", None
    active = next((i for i in identities if i.status == "active"), None)
    if active is not None:
        return "active", active
    return (identities[0].status if identities else None), None


async def reach_facts(session: AsyncSession, survivor: Survivor | None,
                      now: datetime) -> tuple[ReachFacts, ChannelIdentity | None]:
    if survivor is None:
        return ReachFacts(now, None, False, None, None), None
    route, identity = await her_route(session, survivor.id)
    return ReachFacts(now, survivor.status, await information_consent(session, survivor.id), route,
                      survivor.outbound_paused_until), identity


async def queue_notice(session: AsyncSession, notice: Notice, now: datetime) -> str | None:
    """Queue the preview of an approved notice, or mark it undeliverable and escalate. Returns None
    when queued, else the reason it could not go."""
    survivor = await session.get(Survivor, notice.survivor_id) if notice.survivor_id is not None else None
    facts, identity = await reach_facts(session, survivor, now)
    reason = why_not(facts)
    if reason is not None or survivor is None or identity is None:
        await mark_undeliverable(session, notice, reason or "no_route", now)
        return reason or "no_route"
    not_before = None
    if not notice.urgent:
        try:
            not_before = next_open(survivor.contact_windows, survivor.timezone, now)
        except WindowError:  # unreadable windows or zone: the safe default hours, not a guess
            not_before = next_open([], "UTC", now)
    body, buttons = texts.render(texts.preview_say(notice.id, capabilities(identity.channel)), survivor.locale,
                                 Disguise.of(survivor.persona, survivor.plain_mode))
    row = enqueue(session, channel=identity.channel, address=identity.address, address_index=identity.address_index,
                  cause=preview_cause(notice.id), index=0, text_key=PREVIEW_KEY, body=body, buttons=buttons,
                  survivor_id=survivor.id, identity_id=identity.id, sensitive=False, urgent=notice.urgent,
                  is_reply=False, not_before=not_before)
    await session.flush()
    notice.preview_outbound_id, notice.status, notice.updated_at = row.id, "queued", now
    held = not_before is not None and not_before > now
    await add_step(session, notice, "queued", SERVICE, now, channel=identity.channel, waits_for_window=held)
    log_event("notice.queued", notice=notice.id, survivor=survivor.pseudonym, urgent=notice.urgent)
    return None


async def mark_undeliverable(session: AsyncSession, notice: Notice, reason: str, now: datetime) -> None:
    """No message: the notice is `undeliverable` and a worker is asked to tell her by phone."""
    pseudonym = await session.scalar(select(Survivor.pseudonym).where(Survivor.id == notice.survivor_id)) \
        if notice.survivor_id is not None else None
    notice.status, notice.updated_at = "undeliverable", now
    await add_step(session, notice, "undeliverable", SERVICE, now, reason=reason)
    esc = await raise_escalation(
        session, survivor_id=notice.survivor_id, priority="urgent" if notice.urgent else "high",
        reason=TELL_BY_PHONE, now=now, pseudonym=pseudonym,
        note=f"Notice #{notice.id} ({notice.kind}) cannot reach her by message ({reason}): tell her by phone, "
             f"inside her safe times. Its text is on the notice page.")
    notice.escalation_id = esc.id
    await add_step(session, notice, "escalated", SERVICE, now, escalation=esc.id, reason=TELL_BY_PHONE)
    log_event("notice.undeliverable", logging.WARNING, notice=notice.id, survivor=pseudonym, reason=reason)
