"""Quick exit: leave her phone holding only cover content.

Telegram and the simulator: every message of ours and hers that can still be deleted is deleted in
batches, then the flow's one innocuous cover message follows (queued after the deletions, so it goes
out after them). SMS: a text already on her phone cannot be recalled, so nothing is sent that could
draw attention, outbound pauses for her chosen period and the message records at the provider are
deleted. All of it is queued in the outbox, so a restart in the middle still finishes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.deletion import deletable_messages, queue_deletions
from bot.actions.pause import lift_pause
from bot.actions.route_check import queue_route_check
from bot.channels.registry import capabilities
from bot.storage.models import AuditEvent, ChannelIdentity, OutboundMessage, Survivor
from bot.waves.delivery import queued_opening_keys, withdraw
from flows.flow_state import load_state

DEFAULT_SMS_PAUSE_HOURS = 24
RECHECK_AFTER = timedelta(hours=24)  # Telegram/simulator: ask again a day later, inside her windows


async def quick_exit(session: AsyncSession, survivor: Survivor, identity: ChannelIdentity,
                     cause: str, now: datetime, quiet_until: datetime | None = None) -> int:
    """Cancel what is waiting, queue deletions, pause SMS; returns how many messages will be deleted.
    A wave opening cancelled here never reached her: its wave is withdrawn, not a non-response.
    ``quiet_until`` (a chat): routine messages are held until she writes again (`end_quiet`), so the
    cover message stays the only thing on her screen; replies and urgent notices still go."""
    openings = await queued_opening_keys(session, survivor.id)
    await session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.survivor_id == survivor.id, OutboundMessage.kind == "send",
               OutboundMessage.status.in_(("pending", "held")))
        .values(status="cancelled", last_error="quick_exit", body=None, buttons=None)
    )
    await session.flush()
    await withdraw(session, survivor.id, openings, now)
    count = await queue_deletions(session, identity, await deletable_messages(session, identity),
                                  f"qx:{cause}", now, whole_chat=True)
    recheck_at = now + RECHECK_AFTER
    if capabilities(identity.channel).exit == "pause_outbound":
        hours = load_state(survivor.state).settings.sms_pause_hours or DEFAULT_SMS_PAUSE_HOURS
        survivor.outbound_paused_until = recheck_at = now + timedelta(hours=hours)
    elif quiet_until is not None:
        current = survivor.outbound_paused_until
        survivor.outbound_paused_until = quiet_until if current is None or current < quiet_until else current
    # after any quick exit: is this still a safe way to reach her? (asked in cover wording)
    await queue_route_check(session, survivor, now, reason=f"qx:{cause}", not_before=recheck_at)
    session.add(AuditEvent(actor="survivor", action="quick_exit", survivor_pseudonym=survivor.pseudonym,
                           details={"channel": identity.channel, "messages_deleted": count}))
    return count


async def end_quiet(session: AsyncSession, survivor: Survivor, quiet_until: datetime, now: datetime) -> None:
    """She wrote after quick exit in a chat: what her exit held waits no longer. Only the pause her
    exit set is lifted: one a worker or a re-check set since (a later or other time) stays."""
    paused = survivor.outbound_paused_until
    if paused is None or abs((paused - quiet_until).total_seconds()) >= 1:
        return
    await lift_pause(session, survivor, now)
