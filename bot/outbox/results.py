"""What became of a row, recorded: the provider took it, it later reached her phone, her address takes
no more. Shared by the dispatcher (the answer to its own send) and by a provider's delivery receipt
(Twilio's status callback), each telling the outbox's listeners (bot/outbox/events.py) in the same
transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import DeliveryReceipt
from bot.outbox.events import DeliveryEvents, tell
from bot.storage.db import Database
from bot.storage.models import ChannelIdentity, OutboundMessage, Survivor

# rows whose sending we never saw confirmed; a receipt naming the provider's id proves they went out
UNCONFIRMED = ("sending", "in_doubt", "pending", "held")


async def mark_sent(session: AsyncSession, msg: OutboundMessage, provider_message_id: str,
                    sent_at: datetime, events: DeliveryEvents) -> None:
    """The provider accepted this message: record its id (for deletion and delivery status) and
    start the expiry clock of a sensitive one. Shared by the dispatcher and by a provider callback
    that confirms a message whose result we never recorded (Twilio's status callback)."""
    msg.status, msg.provider_message_id, msg.sent_at = "sent", provider_message_id, sent_at
    msg.claimed_until, msg.last_error = None, None
    survivor = await session.get(Survivor, msg.survivor_id) if msg.survivor_id and msg.sensitive else None
    if survivor is not None and survivor.expiry_minutes:
        msg.expires_at = sent_at + timedelta(minutes=survivor.expiry_minutes)
    await tell(events.sent, session, msg, sent_at)  # a wave's opening, a notice's preview: sent only now


async def stop_recipient(session: AsyncSession, msg: OutboundMessage, now: datetime,
                         events: DeliveryEvents) -> None:
    """The provider says this message's address no longer takes our messages (SMS STOP, a blocked
    bot): stop the identity and the survivor, and tell a worker. Shared by the dispatcher (a send
    refused) and by a provider's delivery callback (a delivery refused later)."""
    if msg.identity_id:
        identity = await session.get(ChannelIdentity, msg.identity_id)
        if identity is not None:
            identity.status = "stopped"
        survivor = await session.get(Survivor, msg.survivor_id) if msg.survivor_id else None
        if survivor is not None and survivor.status != "erased":
            survivor.status = "stopped"
    await tell(events.recipient_gone, session, msg, now)  # a worker is told


async def record_receipt(db: Database, receipt: DeliveryReceipt, now: datetime, events: DeliveryEvents) -> str:
    """Apply one delivery receipt; returns what it did (for logs and tests).

    The row is found by our idempotency key or else by the provider's id. A row we never saw
    confirmed (a timeout left it `in_doubt`, or we crashed while `sending`) gets the id and becomes
    `sent`: it did go out, and must not be sent again. A later status never goes back to an earlier
    one (receipts arrive out of order)."""
    sid, order = receipt.provider_message_id, receipt.order
    async with db.transaction() as s:
        msg = None
        if receipt.key:
            msg = await s.scalar(select(OutboundMessage).where(
                OutboundMessage.idempotency_key == receipt.key, OutboundMessage.channel == receipt.channel,
            ).with_for_update())
        if msg is None and sid:
            msg = await s.scalar(select(OutboundMessage).where(
                OutboundMessage.provider_message_id == sid, OutboundMessage.channel == receipt.channel,
            ).with_for_update())
        if msg is None:
            return "unknown"
        if sid and msg.provider_message_id not in (None, sid):
            return "sid_mismatch"
        outcome = "unchanged"
        if sid and msg.kind == "send" and msg.provider_message_id is None and msg.status in UNCONFIRMED:
            await mark_sent(s, msg, sid, now, events)
            outcome = "reconciled"
        if receipt.status in order and order[receipt.status] > order.get(msg.delivery_status or "", -1):
            msg.delivery_status = receipt.status
            outcome = "reconciled" if outcome == "reconciled" else "updated"
            if receipt.delivered:
                await tell(events.delivered, s, msg, now)  # a notice's timeline: on her phone
            if receipt.recipient_gone:
                await stop_recipient(s, msg, now, events)
                outcome = "recipient_gone"
        return outcome
