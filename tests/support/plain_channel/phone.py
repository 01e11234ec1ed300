"""Her phone on the plain channel (for tests/support/her_phone.py): the service with this channel's
registry entry added for the length of the test, its fake provider, and her thread."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bot.channels import registry
from bot.clock import ManualClock
from bot.service import Service
from bot.settings import load_settings
from liaison.service import create_service
from safety.crypto import KeyRing
from tests.support.http import serve_app
from tests.support.plain_channel.channel import ENTRY, NAME, WEBHOOK_PATH, PlainChannel
from tests.support.plain_channel.provider import PlainProvider

HER_ADDRESS = "plain-her-7"


class PlainDevice:
    """What she does and sees on the plain channel."""

    def __init__(self, provider: PlainProvider, http: aiohttp.ClientSession, base: str) -> None:
        self.provider, self.http, self.base = provider, http, base
        self.address = HER_ADDRESS

    async def send(self, text: str) -> None:
        async with self.http.post(self.base + WEBHOOK_PATH, json={"from": self.address, "text": text}) as resp:
            assert resp.status == 200, await resp.text()

    async def press(self, message_id: int, payload: str) -> None:
        raise AssertionError("the plain channel has no buttons")

    def bot_messages(self) -> list[dict[str, Any]]:
        return [{"text": e.text, "buttons": [], "message_id": e.id}
                for e in self.provider.thread(self.address) if e.sender == "bot"]

    def screen_texts(self) -> list[str]:
        return [e.text for e in self.provider.thread(self.address)]

    def her_messages(self) -> list[str]:
        return [e.text for e in self.provider.thread(self.address) if e.sender == "user"]


@asynccontextmanager
async def plain_service(settings_env: dict[str, object], keyring: KeyRing, clock: ManualClock,
                        http: aiohttp.ClientSession,
                        tune: Callable[[Service], None]) -> AsyncIterator[tuple[Service, str, PlainDevice]]:
    """The service on the plain channel only, its registry entry added (and taken away after)."""
    before = registry.CHANNELS
    registry.CHANNELS = [*before, ENTRY]
    try:
        provider = PlainProvider()
        settings = load_settings(**{**settings_env, "LIAISON_SIMULATOR": False})
        svc = create_service(settings, keyring=keyring, clock=clock, channels={NAME: PlainChannel(provider)})
        tune(svc)
        async with serve_app(svc.web_app()) as base:
            yield svc, base, PlainDevice(provider, http, base)
    finally:
        registry.CHANNELS = before
