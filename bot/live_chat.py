"""Her conversation as the console shows it, and a worker's live conversation with her (issue 28):
held, written to, ended, timed out. The decisions are flows/live_chat.py; this is their I/O, each
function in the caller's transaction, each change ringing the bell her open pages listen to.

Her words and ours are where every message is kept (inbound_messages, outbound_messages), encrypted,
gone when they expire, when her quick exit deletes them, or when retention removes them. A worker's
message goes through the outbox like any other: her cover title first, sensitive (it expires from
her chat), and held by her contact windows unless it answers her while she is writing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import catalog
from bot.logs import log_event
from bot.outbox.enqueue import enqueue
from bot.rendering import render_for
from bot.storage.audit import audit
from bot.storage.bell import ring_on_commit
from bot.storage.db import session_policies
from bot.storage.models import (
    ChannelIdentity,
    Escalation,
    EscalationNote,
    InboundMessage,
    LiveConversation,
    OutboundMessage,
    StaffMember,
    Survivor,
)
from flows import live_chat
from flows.types import Say
from safety.disguise import Disguise, sensitive_hits, wrap

REPLY_KEY = "live.reply"  # the text key of a worker's message in the outbox (audit without content)
ENDED_KEY = "live.ended"
SHOWN = 200  # the latest messages shown: a page, not an archive


@dataclass(frozen=True)
class Line:
    """One message in her conversation, as the worker reads it."""

    who: str  # "her", "us" (the service) or "worker"
    at: datetime
    text: str
    raised: bool = False  # the message that raised this escalation
    status: str = ""  # ours: queued, held, sent, ...


async def transcript(session: AsyncSession, survivor_id: int, since: datetime,
                     raised_by: int | None = None) -> list[Line]:
    """Her messages and ours since `since` (the retention window), oldest first; only what is still
    kept (not expired, not deleted by her quick exit)."""
    ins = (await session.execute(
        select(InboundMessage.id, InboundMessage.received_at, InboundMessage.body)
        .where(InboundMessage.survivor_id == survivor_id, InboundMessage.body.isnot(None),
               InboundMessage.deleted_at.is_(None), InboundMessage.received_at >= since)
        .order_by(InboundMessage.id.desc()).limit(SHOWN))).all()
    outs = (await session.execute(
        select(OutboundMessage.created_at, OutboundMessage.body, OutboundMessage.text_key, OutboundMessage.status)
        .where(OutboundMessage.survivor_id == survivor_id, OutboundMessage.kind == "send",
               OutboundMessage.body.isnot(None), OutboundMessage.deleted_at.is_(None),
               OutboundMessage.created_at >= since)
        .order_by(OutboundMessage.id.desc()).limit(SHOWN))).all()
    lines = [Line("her", at, body or "", raised=row_id == raised_by) for row_id, at, body in ins]
    lines += [Line("worker" if key == REPLY_KEY else "us", at, body or "", status=status)
              for at, body, key, status in outs]
    lines.sort(key=lambda line: line.at)
    return lines[-SHOWN:]


@dataclass(frozen=True)
class NoteLine:
    author: str
    at: datetime
    text: str
    escalation_id: int


async def notes(session: AsyncSession, *, escalation_id: int | None = None,
                survivor_id: int | None = None) -> list[NoteLine]:
    """Workers' notes, newest first, with the author's name (notes are encrypted at rest)."""
    query = (select(EscalationNote, StaffMember.name).outerjoin(StaffMember, StaffMember.id == EscalationNote.staff_id)
             .join(Escalation, Escalation.id == EscalationNote.escalation_id))
    if escalation_id is not None:
        query = query.where(EscalationNote.escalation_id == escalation_id)
    if survivor_id is not None:
        query = query.where(Escalation.survivor_id == survivor_id)
    rows = (await session.execute(query.order_by(EscalationNote.created_at.desc(), EscalationNote.id.desc()))).all()
    return [NoteLine(name or "a former member of staff", n.created_at, n.body, n.escalation_id) for n, name in rows]


async def held(session: AsyncSession, survivor_id: int) -> LiveConversation | None:
    """Her conversation while a worker holds it."""
    return await session.scalar(select(LiveConversation).where(LiveConversation.active_survivor_id == survivor_id))


def as_held(conv: LiveConversation | None) -> live_chat.Held | None:
    if conv is None or conv.staff_id is None:
        return None
    return live_chat.Held(conv.staff_id, conv.last_at)


async def her_identity(session: AsyncSession, survivor_id: int) -> ChannelIdentity | None:
    return await session.scalar(select(ChannelIdentity).where(
        ChannelIdentity.survivor_id == survivor_id, ChannelIdentity.status == "active")
        .order_by(ChannelIdentity.id.desc()).limit(1))


def paused_now(survivor: Survivor, now: datetime) -> bool:
    """Nothing of ours is to reach her now: after her quick exit until she writes, or a worker's pause."""
    return survivor.outbound_paused_until is not None and survivor.outbound_paused_until > now


@dataclass(frozen=True)
class Refused:
    reason: str  # shown to the worker (English; the page passes it through its catalogue)


async def write(session: AsyncSession, esc: Escalation, member: StaffMember, body: str,
                now: datetime) -> LiveConversation | Refused:
    """The worker who holds the escalation writes to her: the conversation is held by them from
    now (her free text comes to them), the message is queued under her cover title."""
    survivor = await session.get(Survivor, esc.survivor_id) if esc.survivor_id is not None else None
    if survivor is None or survivor.status != "active":
        return Refused("She has no active contact route.")
    conv = await held(session, survivor.id)
    if not live_chat.may_write(as_held(conv), member.id, esc.holder_id):
        return Refused("Claim this alert first: only the worker who holds it writes to her.")
    hits = [] if survivor.plain_mode else sensitive_hits(body, catalog.sensitive_pattern(survivor.locale))
    if hits:
        return Refused(f"Not sent: \u201c{hits[0]}\u201d could give her away on her lock screen. "
                       "Say it in her cover wording.")
    identity = await her_identity(session, survivor.id)
    if identity is None:
        return Refused("She has no active contact route.")
    if paused_now(survivor, now):  # her quick exit (until she writes again) or a worker's pause
        return Refused("Her messages are paused (her quick exit or a pause): write when she writes again.")
    if conv is None:
        conv = LiveConversation(survivor_id=survivor.id, active_survivor_id=survivor.id, escalation_id=esc.id,
                                staff_id=member.id, started_at=now, last_at=now)
        try:
            async with session.begin_nested():
                session.add(conv)
        except IntegrityError:  # another worker took her conversation a moment ago
            return Refused("Another worker is writing with her now.")
        audit(session, f"staff:{member.id}", "live.started", survivor=survivor.pseudonym, now=now,
              escalation_id=esc.id)
    her_last = await session.scalar(select(InboundMessage.received_at).where(
        InboundMessage.survivor_id == survivor.id).order_by(InboundMessage.id.desc()).limit(1))
    title = catalog.title(survivor.locale, Disguise.of(survivor.persona, survivor.plain_mode))
    row = enqueue(session, channel=identity.channel, address=identity.address, address_index=identity.address_index,
                  cause=f"live:{conv.id}:{secrets.token_hex(8)}", index=0, text_key=REPLY_KEY,
                  body=wrap(title, body), survivor_id=survivor.id, identity_id=identity.id, sensitive=True,
                  is_reply=live_chat.counts_as_reply(her_last, now, session_policies(session).live_idle,
                                                     paused=paused_now(survivor, now)))
    conv.last_at = now
    await session.flush()
    audit(session, f"staff:{member.id}", "live.message", survivor=survivor.pseudonym, now=now,
          escalation_id=esc.id, outbound_id=row.id)
    await ring_on_commit(session, survivor.id)
    return conv


async def heard(session: AsyncSession, survivor_id: int, now: datetime) -> None:
    """Her message went to the worker: the conversation is alive, the worker's page hears it."""
    await session.execute(update(LiveConversation).where(LiveConversation.active_survivor_id == survivor_id)
                          .values(last_at=now))
    await ring_on_commit(session, survivor_id)


async def end(session: AsyncSession, conv: LiveConversation, reason: live_chat.EndReason, now: datetime,
              actor: str) -> None:
    """The conversation ends: her free text goes to the menu again. For an end she did not choose
    (the worker's, or idle) she is told, in her cover wording."""
    conv.ended_at, conv.end_reason, conv.active_survivor_id = now, reason, None
    survivor = await session.get(Survivor, conv.survivor_id) if conv.survivor_id is not None else None
    if survivor is None:
        return
    if reason in live_chat.TELLS_HER and survivor.status == "active" and not paused_now(survivor, now):
        identity = await her_identity(session, survivor.id)
        if identity is not None:
            body, buttons = render_for(Say(ENDED_KEY), survivor)
            enqueue(session, channel=identity.channel, address=identity.address,
                    address_index=identity.address_index, cause=f"live-end:{conv.id}", index=0, text_key=ENDED_KEY,
                    body=body, buttons=buttons, survivor_id=survivor.id, identity_id=identity.id, is_reply=True)
    await session.flush()
    audit(session, actor, "live.ended", survivor=survivor.pseudonym, now=now, reason=reason,
          escalation_id=conv.escalation_id)
    log_event("live.ended", survivor=survivor.pseudonym, reason=reason)
    await ring_on_commit(session, survivor.id)


async def end_for_her(session: AsyncSession, survivor_id: int, reason: live_chat.EndReason, now: datetime) -> None:
    """Her quick exit or stop ends a held conversation (the worker's page says so)."""
    conv = await held(session, survivor_id)
    if conv is not None:
        await end(session, conv, reason, now, actor="survivor")


async def end_for_escalation(session: AsyncSession, escalation_id: int, now: datetime, actor: str) -> None:
    """The alert is resolved: a conversation held for it ends too (she is told)."""
    conv = await session.scalar(select(LiveConversation).where(LiveConversation.escalation_id == escalation_id,
                                                               LiveConversation.active_survivor_id.isnot(None)))
    if conv is not None:
        await end(session, conv, "resolved", now, actor=actor)


async def end_idle(session: AsyncSession, now: datetime) -> int:
    """The safety tick: conversations nobody wrote in for the idle time end, and she is told."""
    after = session_policies(session).live_idle
    ended = 0
    for conv in (await session.scalars(select(LiveConversation).where(
            LiveConversation.active_survivor_id.isnot(None)))).all():
        hold = as_held(conv)
        if hold is None or live_chat.idle(hold, now, after):
            await end(session, conv, "idle", now, actor="system")
            ended += 1
    return ended


async def last_ended(session: AsyncSession, survivor_id: int) -> LiveConversation | None:
    return await session.scalar(select(LiveConversation).where(
        LiveConversation.survivor_id == survivor_id, LiveConversation.ended_at.isnot(None))
        .order_by(LiveConversation.id.desc()).limit(1))
