"""Turns one persisted inbound event into state changes and outbox rows, in one transaction.

This is the glue between I/O and the pure flows: it looks up who wrote (by blind index),
calls the flow, applies its effects and enqueues its messages rendered for her locale.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import catalog
from bot.channels.base import InboundEvent
from bot.outbox.enqueue import enqueue
from bot.storage.models import ChannelIdentity, Escalation, InboundMessage, Survivor
from flows.stranger import reply_to_stranger
from flows.types import FlowResult, RaiseEscalation, UserInput
from safety.crypto import KeyRing


async def find_identity(session: AsyncSession, keyring: KeyRing, channel: str,
                        address: str) -> ChannelIdentity | None:
    return await session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel,
            ChannelIdentity.address_index == keyring.blind_index(channel, address),
        )
    )


async def handle_inbound(session: AsyncSession, keyring: KeyRing, event: InboundEvent,
                         inbound: InboundMessage, now: datetime) -> FlowResult:
    user_input = UserInput(channel=event.channel, at=now, text=event.text, button=event.button)
    identity = await find_identity(session, keyring, event.channel, event.address)
    survivor = None
    if identity is not None and identity.survivor_id is not None:
        survivor = await session.scalar(
            select(Survivor).where(Survivor.id == identity.survivor_id).with_for_update()
        )
        inbound.identity_id, inbound.survivor_id = identity.id, identity.survivor_id
    if survivor is None or survivor.status == "erased":
        result = reply_to_stranger(user_input)
        locale = "en"
    else:
        result = reply_to_stranger(user_input)  # enrolled conversations arrive with the flows issue
        locale = survivor.locale
        survivor.state = result.state
    apply_effects(session, survivor, result)
    for i, say in enumerate(result.says):
        body, buttons = catalog.render(say, locale)
        enqueue(
            session, channel=event.channel, address=event.address,
            address_index=keyring.blind_index(event.channel, event.address),
            cause=f"in:{inbound.id}", index=i, text_key=say.key, body=body, buttons=buttons,
            survivor_id=survivor.id if survivor else None, identity_id=identity.id if identity else None,
            sensitive=say.sensitive, urgent=say.urgent, is_reply=True, inbound_id=inbound.id,
        )
    return result


def apply_effects(session: AsyncSession, survivor: Survivor | None, result: FlowResult) -> None:
    for effect in result.effects:
        if isinstance(effect, RaiseEscalation):
            session.add(Escalation(
                survivor_id=survivor.id if survivor else None, priority=effect.priority,
                reason=effect.reason, child_protection=effect.child_protection,
            ))
        else:
            raise TypeError(f"unknown flow effect {type(effect).__name__}")
