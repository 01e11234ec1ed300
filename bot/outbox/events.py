"""What became of an outbox row, told to whoever listens: sent, delivered, failed, in doubt, her
address gone. The outbox owns these events and imports none of its listeners (the waves, the notices,
the escalations): the one list of them is given when the service is composed (bot/delivery_events.py),
so every arrow points down into the outbox. Each listener runs in the transaction that records the
row's change, so what it writes commits with it or not at all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import OutboundMessage

Listener = Callable[[AsyncSession, OutboundMessage, datetime], Awaitable[object]]


@dataclass(frozen=True)
class DeliveryEvents:
    sent: tuple[Listener, ...] = ()  # the provider took it (or its receipt confirmed a send we never saw end)
    delivered: tuple[Listener, ...] = ()  # the provider says it is on her phone
    failed: tuple[Listener, ...] = ()  # refused for good: a person must know
    in_doubt: tuple[Listener, ...] = ()  # may or may not have gone out: never resent, a person decides
    recipient_gone: tuple[Listener, ...] = ()  # the address takes no more messages (SMS STOP, a blocked bot)


async def tell(listeners: Iterable[Listener], session: AsyncSession, msg: OutboundMessage, at: datetime) -> None:
    for listener in listeners:
        await listener(session, msg, at)
