"""The one visible list of channels: each entry builds a channel from settings (or None if off)
and contributes its web routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.base import Channel
from bot.channels.simulator import web as simulator_web
from bot.channels.sms import webhook as sms_web
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.service import Service

ChannelFactory = Callable[[Settings], Channel | None]
RouteFactory = Callable[["Service"], list[web.RouteDef]]

def _telegram_channel(settings: Settings) -> Channel | None:
    """Imported only when configured: aiogram alone holds about 130 MB resident (its pydantic models)."""
    if not settings.telegram_bot_token:
        return None
    from bot.channels.telegram import webhook as telegram_web

    return telegram_web.channel_from_settings(settings)


def _telegram_routes(service: Service) -> list[web.RouteDef]:
    from bot.channels.telegram import webhook as telegram_web

    return telegram_web.routes(service)


CHANNELS: list[tuple[str, ChannelFactory, RouteFactory]] = [
    ("simulator", simulator_web.channel_from_settings, simulator_web.routes),
    ("sms", sms_web.channel_from_settings, sms_web.routes),
    ("telegram", _telegram_channel, _telegram_routes),
]


def build_channels(settings: Settings) -> dict[str, Channel]:
    built = {}
    for name, factory, _routes in CHANNELS:
        channel = factory(settings)
        if channel is not None:
            built[name] = channel
    return built


def channel_routes(service: Service) -> list[web.RouteDef]:
    routes: list[web.RouteDef] = []
    for name, _factory, route_factory in CHANNELS:
        if name in service.channels:
            routes.extend(route_factory(service))
    return routes
