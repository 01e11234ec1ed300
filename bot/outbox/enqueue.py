"""Writing outbound messages into the outbox, inside the caller's transaction."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import Button
from bot.outbox.lanes import lane_of
from bot.storage.models import OutboundMessage
from safety.deletion import DeletionPlan

QUEUED_CHATS = "liaison_queued_chats"  # the key of a session's `info` where `enqueue` notes each chat


def queued_chats(session: AsyncSession) -> dict[tuple[str, str], int]:
    """The chats (channel, recipient index) this session queued messages for, each with the best
    lane it queued in (bot.outbox.lanes): whoever commits it can start their senders at once, a
    danger reply's first, instead of searching the outbox. Noted by `enqueue` itself: a row
    flushed and let go (an on-call alert queued deep inside an escalation) leaves the session's
    weak identity map, and its chat would wait for the dispatcher's timed pass."""
    return dict(session.info.get(QUEUED_CHATS, {}))


def note_chat(session: AsyncSession, key: tuple[str, str], lane: int) -> None:
    """Note a chat with messages due in this session (a joined staff alert counts too), in its best lane."""
    chats = session.info.setdefault(QUEUED_CHATS, {})
    chats[key] = min(lane, chats.get(key, lane))


def idempotency_key(cause: str, index: int = 0) -> str:
    """A key derived from what caused the message, so the same cause can never enqueue twice."""
    return hashlib.sha256(f"{cause}#{index}".encode()).hexdigest()


def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    address: str,
    address_index: str,
    cause: str,
    index: int,
    text_key: str,
    body: str | None,
    buttons: tuple[Button, ...] = (),
    survivor_id: int | None = None,
    identity_id: int | None = None,
    sensitive: bool = False,
    urgent: bool = False,
    is_reply: bool = True,
    inbound_id: int | None = None,
    not_before: datetime | None = None,
) -> OutboundMessage:
    row = OutboundMessage(
        idempotency_key=idempotency_key(cause, index),
        channel=channel,
        address=address,
        recipient_index=address_index,
        survivor_id=survivor_id,
        identity_id=identity_id,
        text_key=text_key,
        body=body,
        buttons=[[b.payload, b.label] for b in buttons],
        sensitive=sensitive,
        urgent=urgent,
        is_reply=is_reply,
        caused_by_inbound_id=inbound_id,
    )
    if not_before is not None:
        row.next_attempt_at = not_before
    session.add(row)
    note_chat(session, (channel, address_index), lane_of("send", urgent, is_reply, text_key))
    return row


def enqueue_deletion(
    session: AsyncSession,
    *,
    channel: str,
    address: str,
    address_index: str,
    cause: str,
    index: int,
    plan: DeletionPlan,
    survivor_id: int | None,
    identity_id: int | None,
) -> OutboundMessage:
    """A deletion at the provider, queued like a send so it survives a restart and keeps its place
    in her conversation's order (a cover message queued after it goes out after it)."""
    row = enqueue(
        session, channel=channel, address=address, address_index=address_index, cause=cause, index=index,
        text_key="delete", body=None, survivor_id=survivor_id, identity_id=identity_id, is_reply=True,
    )
    row.kind, row.deletion_plan = "delete", plan
    note_chat(session, (channel, address_index), lane_of("delete", False, True, "delete"))
    return row
