"""The plain channel: sends plain text to its provider (options as numbered lines), takes her
messages at `POST /webhooks/plain`; and its one registry entry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.base import Button, ChannelStatus, InboundEvent, OutgoingMessage, RateLimits, SendError, SendResult
from bot.channels.registry import ChannelEntry
from bot.settings import Settings
from flows.capabilities import ChannelCapabilities
from tests.support.plain_channel.provider import PlainProvider

if TYPE_CHECKING:
    from bot.channels.host import ChannelHost

NAME = "plain"
WEBHOOK_PATH = "/webhooks/plain"
CAPABILITIES = ChannelCapabilities(
    deletes_messages=False, exit="pause_outbound", inline_buttons=False, edits=False, max_length=1200,
    preview_chars=60, provider_rate=1000.0, in_doubt_hint="the plain provider's thread shows whether it went")
ENTRY = ChannelEntry(NAME, CAPABILITIES, lambda _settings: False, "tests.support.plain_channel.channel")


class PlainChannel:
    name = NAME
    limits = RateLimits(per_second=1000.0, burst=1000)
    max_delete_batch = 100
    sequential_ids = False

    def __init__(self, provider: PlainProvider) -> None:
        self.provider = provider

    async def send(self, message: OutgoingMessage) -> SendResult:
        lines = [message.text, *(f"{i} {b.label}" for i, b in enumerate(message.buttons, start=1))]
        text = "\n".join(lines)
        if len(text) > CAPABILITIES.max_length:
            raise SendError("plain.too_long")
        return SendResult(str(self.provider.deliver(message.address, "bot", text)))

    async def edit(self, address: str, provider_message_id: str, text: str,
                   buttons: tuple[Button, ...] = ()) -> None:
        raise SendError("plain.edit_unsupported")

    async def delete(self, address: str, provider_message_ids: list[str]) -> None:
        self.provider.records_deleted += len(provider_message_ids)  # her thread keeps its copy

    async def status(self) -> ChannelStatus:
        return ChannelStatus(NAME, True, "fake provider")

    async def close(self) -> None:
        return None


def channel_from_settings(_settings: Settings) -> PlainChannel | None:
    return None  # built by the test with its provider (her_phone below)


def routes(service: ChannelHost) -> list[web.RouteDef]:
    channel = service.channels[NAME]
    assert isinstance(channel, PlainChannel)

    async def inbound(request: web.Request) -> web.Response:
        data = await request.json()
        address, text = str(data["from"]), str(data["text"])
        own_id = channel.provider.deliver(address, "user", text)
        await service.pipeline.accept(InboundEvent(
            channel=NAME, provider_id=f"p{own_id}", address=address, received_at=datetime.now(UTC), text=text,
            provider_message_id=str(own_id)))
        return web.json_response({"id": own_id})

    return [web.post(WEBHOOK_PATH, inbound)]

