"""What a person must hear of from the outbox (its delivery events, bot/outbox/events.py): a message
refused for good, her address gone, and messages that may or may not have gone out.

In doubt, one escalation per outage: a person decides.

A provider that stops answering mid-request puts every message then on its way in doubt. One
escalation each (89 for one 20-second outage) buries the queue a worker reads by risk; so the
messages in doubt on one channel, at one priority, while an escalation for them is still open and
recent, are gathered into that one escalation: its note counts them and lists each (outbox id,
her pseudonym, which text), so the worker can still settle each one. Messages for one woman only
keep her on the escalation; messages for several leave it on none (the note names them).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.registry import capabilities
from bot.escalations import raise_escalation
from bot.storage.models import Escalation, OutboundMessage, Survivor

REASON = "in_doubt_send"
ONE_OUTAGE = timedelta(minutes=15)  # an open escalation younger than this gathers the next ones
ADVISORY_LOCK = 0x1D0B7  # PostgreSQL: one sender at a time decides join-or-open (SQLite has one writer anyway)
LISTED = 200  # messages named in the note; beyond them, the count alone


def _header(channel: str) -> str:
    return f"in doubt on {channel}:"


def _note(channel: str, lines: list[str], count: int) -> str:
    caps = capabilities(channel)  # can a worker ask the provider whether it went out?
    more = f"\n... and {count - len(lines)} more" if count > len(lines) else ""
    return (f"{_header(channel)} {count} outbox message(s) ({channel}) may or may not have gone out; "
            f"they will not be resent automatically. "
            f"provider_lookup={'yes' if caps.provider_lookup else 'no'}: {caps.in_doubt_hint}\n"
            f"count={count}\n" + "\n".join(lines) + more)


def _count(note: str) -> int:
    for line in note.splitlines():
        if line.startswith("count="):
            return int(line.removeprefix("count="))
    return 1


async def in_doubt_escalation(session: AsyncSession, msg: OutboundMessage, now: datetime) -> Escalation:
    """Tell a person about `msg`: a new escalation, or one more in this outage's open one."""
    priority = "urgent" if msg.urgent else "high"
    pseudonym = (await session.scalar(select(Survivor.pseudonym).where(Survivor.id == msg.survivor_id))
                 if msg.survivor_id else None)
    line = f"- outbox message {msg.id} ({msg.text_key}, {pseudonym or 'no survivor'})"
    conn = await session.connection()
    if conn.dialect.name == "postgresql":  # two senders failing at once must not each open an escalation
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
    candidates = (await session.scalars(select(Escalation).where(
        Escalation.reason == REASON, Escalation.status == "open", Escalation.priority == priority,
        Escalation.created_at >= now - ONE_OUTAGE).order_by(Escalation.id.desc()).limit(20)
        .with_for_update())).all()  # two processes adding to one note: one after the other
    for esc in candidates:
        note = esc.note or ""
        if not note.startswith(_header(msg.channel)):
            continue
        count = _count(note) + 1
        lines = [x for x in note.splitlines() if x.startswith("- outbox message ")]
        if len(lines) < LISTED:
            lines.append(line)
        esc.note = _note(msg.channel, lines, count)
        if esc.survivor_id != msg.survivor_id:
            esc.survivor_id = None  # several women: the note names each
        return esc
    return await raise_escalation(session, survivor_id=msg.survivor_id, priority=priority, reason=REASON, now=now,
                                  note=_note(msg.channel, [line], 1))


async def failure_escalation(session: AsyncSession, msg: OutboundMessage, now: datetime) -> None:
    """Every failure a person must know of: hers, and a stranger's where the text hit the danger
    net (the emergency numbers never reached whoever wrote "he is here")."""
    if msg.survivor_id is None and not msg.urgent:
        return
    await raise_escalation(session, survivor_id=msg.survivor_id, priority="urgent" if msg.urgent else "routine",
                           reason="delivery_failed", now=now,
                           note=f"outbox message {msg.id} ({msg.channel}, {msg.text_key}) could not be delivered: "
                           f"{msg.last_error or 'refused'}")


async def recipient_gone_escalation(session: AsyncSession, msg: OutboundMessage, now: datetime) -> None:
    """Her address takes no more of our messages (the outbox stopped her identity): a worker is told."""
    if msg.survivor_id:
        await raise_escalation(session, survivor_id=msg.survivor_id, priority="routine", reason="recipient_gone",
                               now=now)
