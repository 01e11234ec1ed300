"""The one visible list of channels: each entry says what the channel can do (its capabilities,
which everything else asks instead of its name), when it is on, and which module builds it (a channel
from settings, or None) and contributes its web routes. A new channel is its folder plus one entry here.

A channel's module is imported only when that channel is on: the Telegram library alone takes
seconds to import, and an instance without Telegram should not pay for it at every start.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.channels.base import Channel
from bot.settings import Settings
from flows.capabilities import ChannelCapabilities
from flows.keywords import SMS_STOP

if TYPE_CHECKING:
    from aiohttp import web

    from bot.channels.host import ChannelHost


@dataclass(frozen=True)
class ChannelEntry:
    name: str
    capabilities: ChannelCapabilities
    enabled: Callable[[Settings], bool]
    module: str  # has channel_from_settings(settings) and routes(service)
    for_testing: bool = False  # reaches no real phone (the simulator): production needs another channel

    def load(self) -> object:
        return importlib.import_module(self.module)


SIMULATOR = ChannelCapabilities(
    deletes_messages=True, exit="delete_chat", inline_buttons=True, edits=True, max_length=2000,
    preview_chars=100, provider_rate=1000.0, provider_lookup=True,
    in_doubt_hint="the simulator's transcript shows whether it went")
SMS = ChannelCapabilities(
    deletes_messages=False, exit="pause_outbound", inline_buttons=False, edits=False, max_length=1600,
    preview_chars=100, provider_rate=1.0, carrier_stop_words=SMS_STOP, delivery_receipts=True, phone_address=True,
    provider_lookup=True,
    in_doubt_hint="Twilio can say whether it went: look it up in the Twilio console by time and number "
                  "(a late status callback also settles it)")
TELEGRAM = ChannelCapabilities(
    deletes_messages=True, delete_window=timedelta(hours=48), exit="delete_chat", inline_buttons=True, edits=True,
    max_length=4096, preview_chars=100, provider_rate=30.0, provider_chat_rate=1.0,
    deep_link="https://t.me/{bot}?start={code}",
    in_doubt_hint="Telegram offers no way to ask whether it arrived: ask her, or decide whether to resend")

CHANNELS: list[ChannelEntry] = [
    ChannelEntry("simulator", SIMULATOR, lambda s: s.simulator_enabled, "bot.channels.simulator.web", for_testing=True),
    ChannelEntry("sms", SMS, lambda s: s.sms_enabled, "bot.channels.sms.webhook"),
    ChannelEntry("telegram", TELEGRAM, lambda s: s.telegram_enabled, "bot.channels.telegram.webhook"),
]


class UnknownChannel(LookupError):
    """A channel name no registry entry has (a row written by a channel since removed)."""


def entry(name: str) -> ChannelEntry:
    for candidate in CHANNELS:
        if candidate.name == name:
            return candidate
    raise UnknownChannel(f"no channel {name!r} in bot/channels/registry.py")


def capabilities(name: str) -> ChannelCapabilities:
    """What the channel called `name` can do: the one way to ask (never compare the name)."""
    return entry(name).capabilities


def names() -> list[str]:
    return [e.name for e in CHANNELS]


def build_channels(settings: Settings) -> dict[str, Channel]:
    built: dict[str, Channel] = {}
    for entry in CHANNELS:
        if entry.enabled(settings):
            channel = entry.load().channel_from_settings(settings)  # type: ignore[attr-defined]
            if channel is not None:
                built[entry.name] = channel
    return built


def channel_routes(service: ChannelHost) -> list[web.RouteDef]:
    routes: list[web.RouteDef] = []
    for entry in CHANNELS:
        if entry.name in service.channels:
            routes.extend(entry.load().routes(service))  # type: ignore[attr-defined]
    return routes
