"""Routes of the simulator: the chat page and its JSON API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.base import InboundEvent
from bot.channels.simulator.channel import SimulatorChannel
from bot.channels.simulator.phone import SimulatedVoice, phone_routes
from bot.channels.text_guard import repair, valid_identifier
from bot.request_bodies import BadBody, json_body
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.channels.host import ChannelHost

PAGE = Path(__file__).parent / "page.html"
MAX_TEXT = 2000


def channel_from_settings(settings: Settings) -> SimulatorChannel | None:
    return SimulatorChannel() if settings.simulator_enabled else None


def _bad(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


def _pressed(message: object) -> str | None:
    """The id of the message whose button she pressed (the page sends it), if given."""
    return str(message) if isinstance(message, int | str) and str(message).isdigit() else None


def routes(service: ChannelHost) -> list[web.RouteDef]:
    channel = service.channels["simulator"]
    assert isinstance(channel, SimulatorChannel)

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=PAGE.read_text(encoding="utf-8"), content_type="text/html")

    async def get_messages(request: web.Request) -> web.Response:
        user = request.query.get("user", "").strip()
        if not user:
            return _bad("query parameter 'user' is required")
        return web.json_response({"user": user, "messages": channel.transcript(user)})

    async def post_message(request: web.Request) -> web.Response:
        data = await json_body(request)  # size, UTF-8 and nesting depth first (bot/request_bodies.py)
        if isinstance(data, BadBody):
            return _bad(data.reason)
        if not isinstance(data, dict):
            return _bad("body must be a JSON object")
        user, text, button = data.get("user"), data.get("text"), data.get("button")
        if not isinstance(user, str) or not user.strip() or len(user) > 64:
            return _bad("'user' must be a non-empty string of at most 64 characters")
        if (text is None) == (button is None):
            return _bad("give exactly one of 'text' or 'button'")
        if text is not None and (not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT):
            return _bad(f"'text' must be a non-empty string of at most {MAX_TEXT} characters")
        if button is not None and not isinstance(button, str):
            return _bad("'button' must be a string")
        message_id = data.get("id") or uuid.uuid4().hex
        user = user.strip()
        if not valid_identifier(user) or not valid_identifier(str(message_id)[:64]):
            return _bad("'user' and 'id' must not hold control or invalid characters")
        own_id = channel.record_user_message(user, repair(text)[0] or "") if text is not None else None
        event = InboundEvent(
            channel="simulator", provider_id=str(message_id)[:64], address=user,
            received_at=service.dispatcher.now(), text=text, button=button,
            provider_message_id=str(own_id) if own_id is not None else _pressed(data.get("message")),
        )
        accepted = await service.pipeline.accept(event)
        if accepted.duplicate and own_id is not None:
            channel.forget(user, own_id)  # a replay: her screen shows the message once
        if (accepted.notice or accepted.spent) and button is not None:
            channel.remove_buttons(user, button, data.get("message"))  # a spent keyboard: as on Telegram
        await service.dispatcher.dispatch_due(service.keyring.blind_index("simulator", user), "simulator")
        return web.json_response({
            "user": user, "duplicate": accepted.duplicate, "notice": accepted.notice,
            "messages": channel.transcript(user),
        })

    voice = SimulatedVoice()  # the phone call panel: used when calls go through no Twilio account
    channel.on_close(voice.close)
    return [
        *phone_routes(voice),
        web.get("/simulator", page),
        web.get("/simulator/api/messages", get_messages),
        web.post("/simulator/api/messages", post_message),
    ]
