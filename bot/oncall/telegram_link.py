"""A staff member links their own Telegram chat for on-call alerts with a one-time `/start` code
shown in the console. The inbound path asks this module first: a staff code, a linked staff
chat or an "I'm on it" press never reaches the survivor logic, and a staff chat is never treated
as a survivor."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import InboundEvent
from bot.channels.registry import capabilities
from bot.oncall.alerts import CLAIM_PREFIX
from bot.oncall.claims import claim
from bot.oncall.roles import LIAISON
from bot.outbox.enqueue import enqueue
from bot.storage.audit import audit
from bot.storage.models import Escalation, StaffMember
from safety.crypto import KeyRing
from safety.tokens import token_hash

PREFIX = "staff_"
CODE = re.compile(r"^/start\s+(staff_[A-Za-z0-9_-]{8,60})\s*$")
VALID = timedelta(minutes=30)
LINKED = "This chat now receives on-call alerts from the console."
NOT_VALID = "This code is not valid any more. Make a new one in the console."
STAFF_CHAT = "This chat only receives on-call alerts. Please open the console."
NOT_YOURS = "Only the on-call worker linked to this chat can take it. Please open the console."


@dataclass(frozen=True)
class StaffAnswer:
    """A staff message was handled here; `notice` answers a pressed button (a short toast)."""

    notice: str | None


def new_link_code(member: StaffMember, now: datetime) -> str:
    code = PREFIX + secrets.token_urlsafe(18)
    member.telegram_link_hash, member.telegram_link_expires_at = token_hash(code), now + VALID
    return code


async def handle_staff_inbound(session: AsyncSession, keyring: KeyRing, event: InboundEvent, inbound_id: int,
                               now: datetime) -> StaffAnswer | None:
    """An answer when this message was a staff code, an "I'm on it" press, or came from a staff
    chat (handled here); None for everyone else's messages."""
    if not capabilities(event.channel).deep_link:  # staff link a chat by a code only where links carry one
        return None
    index = keyring.blind_index(event.channel, event.address)
    if (event.button or "").startswith(CLAIM_PREFIX):
        return StaffAnswer(await claim_from_alert(session, event.button or "", index, now))
    match = CODE.match(event.text or "")
    reply: str | None = None
    if match:
        member = await session.scalar(select(StaffMember).where(
            StaffMember.telegram_link_hash == token_hash(match.group(1))))
        if member is None or member.status != "active" or (member.telegram_link_expires_at or now) <= now:
            reply = NOT_VALID
        else:
            member.telegram_chat, member.telegram_chat_index = event.address, index
            member.telegram_link_hash, member.telegram_link_expires_at = None, None
            audit(session, f"staff:{member.id}", "staff.telegram_linked", now=now, staff_id=member.id)
            reply = LINKED
    else:
        staff = await session.scalar(select(StaffMember.id).where(StaffMember.telegram_chat_index == index).limit(1))
        if staff is None:
            return None
        reply = STAFF_CHAT
    enqueue(session, channel=event.channel, address=event.address, address_index=index, cause=f"in:{inbound_id}",
            index=0, text_key="staff.link", body=reply, is_reply=True, inbound_id=inbound_id)
    return StaffAnswer(None)


async def claim_from_alert(session: AsyncSession, payload: str, chat_index: str, now: datetime) -> str:
    """"I'm on it" under an alert: the console's conditional claim (one winner, audited the same way)
    for the active liaison worker or supervisor whose account is linked to this Telegram chat;
    refused for anyone else. Every alert carrying it then says who took it."""
    member = await session.scalar(select(StaffMember).where(StaffMember.telegram_chat_index == chat_index).limit(1))
    if member is None or member.status != "active" or not LIAISON.intersection(member.roles or []):
        return NOT_YOURS
    try:
        escalation_id = int(payload.removeprefix(CLAIM_PREFIX))
    except ValueError:
        return NOT_YOURS
    if await session.get(Escalation, escalation_id) is None:
        return NOT_YOURS
    holder = await claim(session, escalation_id, member, now)
    if holder == "":
        return f"#{escalation_id} is closed already."
    if holder is not None:
        return f"#{escalation_id} is already held by {holder}."
    return f"You have #{escalation_id} now."
