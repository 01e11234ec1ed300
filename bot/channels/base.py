"""The one small interface every channel implements, and the data that crosses it.

An input channel turns a provider's request into one `InboundEvent`; an output channel sends,
edits and deletes rendered messages. Send failures are data (`SendError` with flags), so the
dispatcher can tell a retry from a permanent failure from a message that may already be out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class InboundEvent:
    channel: str
    provider_id: str  # Telegram update_id, Twilio MessageSid, simulator message id: de-duplication key
    address: str  # chat id or phone number: identifying, never logged
    received_at: datetime
    text: str | None = None
    button: str | None = None  # payload of a pressed button
    provider_message_id: str | None = None  # her message's id at the provider, for deletion


@dataclass(frozen=True)
class Button:
    payload: str
    label: str


@dataclass(frozen=True)
class OutgoingMessage:
    address: str
    text: str
    idempotency_key: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str


@dataclass(frozen=True)
class DeliveryReceipt:
    """A provider's later word on one message (Twilio's status callback), as its channel read it; the
    outbox applies it (bot/outbox/receipts.py) through the host (`ChannelHost.dispatcher`)."""

    channel: str
    key: str | None  # our idempotency key, when the provider echoes it back
    provider_message_id: str
    status: str  # the provider's own name for it, kept as the row's delivery status
    order: Mapping[str, int]  # the provider's statuses in the order they happen: a row never goes back
    delivered: bool = False  # on her phone
    recipient_gone: bool = False  # the address takes no more messages (she opted out at the carrier)


@dataclass
class SendError(Exception):
    """Why a send failed. `retryable`: nothing went out, try later. `in_doubt`: it may have gone
    out (a timeout after the request was written), so it must not be resent automatically.
    `recipient_gone`: the provider says this address no longer takes our messages."""

    code: str
    retryable: bool = False
    retry_after: float | None = None
    in_doubt: bool = False
    recipient_gone: bool = False

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class RateLimits:
    per_second: float  # whole channel
    per_recipient_per_second: float | None = None
    burst: int = 1


@dataclass
class ChannelStatus:
    name: str
    ok: bool
    detail: str = ""
    extra: dict[str, object] = field(default_factory=dict)


class Channel(Protocol):
    name: str
    limits: RateLimits
    max_delete_batch: int
    # the provider numbers a chat's messages one after another (Telegram): a message whose id we
    # never learnt can still be found between the ids we know (safety.deletion.with_unknown_sends)
    sequential_ids: bool

    async def send(self, message: OutgoingMessage) -> SendResult: ...

    async def edit(self, address: str, provider_message_id: str, text: str,
                   buttons: tuple[Button, ...] = ()) -> None: ...

    async def delete(self, address: str, provider_message_ids: list[str]) -> None:
        """Delete messages at the provider (a batch no larger than `max_delete_batch`)."""
        ...

    async def status(self) -> ChannelStatus: ...

    async def close(self) -> None: ...
