"""The one visible list of channels: each entry says when it is on and which module builds it
(a channel from settings, or None) and contributes its web routes.

A channel's module is imported only when that channel is on: the Telegram library alone takes
seconds to import, and an instance without Telegram should not pay for it at every start.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.base import Channel
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.channels.host import ChannelHost


@dataclass(frozen=True)
class ChannelEntry:
    name: str
    enabled: Callable[[Settings], bool]
    module: str  # has channel_from_settings(settings) and routes(service)

    def load(self) -> object:
        return importlib.import_module(self.module)


CHANNELS: list[ChannelEntry] = [
    ChannelEntry("simulator", lambda s: s.simulator_enabled, "bot.channels.simulator.web"),
    ChannelEntry("sms", lambda s: s.sms_enabled, "bot.channels.sms.webhook"),
    ChannelEntry("telegram", lambda s: s.telegram_enabled, "bot.channels.telegram.webhook"),
]


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
