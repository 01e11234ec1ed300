"""`POST /webhooks/telegram`: authenticated by the secret token, acknowledged only when stored.

Telegram retries a delivery until it gets a 2xx, so the 200 goes out only after the pipeline has
committed the update (a replay is then recognised by its update id and answered once). aiogram's
`SimpleRequestHandler` is not used because it may answer before the handler has run.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import TYPE_CHECKING

from aiogram.types import Update
from aiogram.utils.token import TokenValidationError
from aiohttp import web
from pydantic import ValidationError

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.updates import WEBHOOK_PATH, build_dispatcher, handle_update
from bot.channels.text_guard import InvalidInbound
from bot.logs import log_event
from bot.request_bodies import BadBody, json_body
from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from bot.channels.host import ChannelHost

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts


def channel_from_settings(settings: Settings) -> TelegramChannel | None:
    """None when TELEGRAM_BOT_TOKEN is unset (the channel is off)."""
    if not settings.telegram_bot_token:
        return None
    secret = settings.telegram_webhook_secret
    if settings.telegram_mode == "webhook" and (secret is None or not _SECRET_SHAPE.match(secret)):
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    try:
        return TelegramChannel(settings)
    except TokenValidationError:  # the message would hold the token: say which setting, not its value
        raise SettingsError("TELEGRAM_BOT_TOKEN does not look like a bot token (<digits>:<letters>)") from None


def secret_matches(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; with no secret configured (polling mode) nothing matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


def routes(service: ChannelHost) -> list[web.RouteDef]:
    channel = service.channels["telegram"]
    assert isinstance(channel, TelegramChannel)
    bot = channel.bot
    dp = build_dispatcher(service)
    secret = service.settings.telegram_webhook_secret

    async def telegram_webhook(request: web.Request) -> web.Response:
        data = await json_body(request)  # size, UTF-8 and nesting depth first (bot/request_bodies.py)
        if isinstance(data, BadBody):
            log_event("telegram.webhook_bad_body", logging.WARNING, status=data.status)
            return web.json_response({"error": data.reason}, status=data.status)
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            log_event("telegram.webhook_rejected", logging.WARNING)
            return web.json_response({"error": "unauthorized"}, status=401)
        if not isinstance(data, dict):
            return web.json_response({"error": "body must be a JSON object"}, status=400)
        try:
            update = Update.model_validate(data, context={"bot": bot})
        except ValidationError:
            return web.json_response({"error": "not a Telegram update"}, status=400)
        try:
            outcome = await handle_update(dp, bot, update)
        except InvalidInbound as exc:  # a malformed identifier: never stored, never a 500 to retry
            log_event("telegram.webhook_refused", logging.WARNING)
            return web.json_response({"error": str(exc)}, status=400)
        except Exception as exc:  # not stored: no 2xx, so Telegram delivers it again
            log_event("telegram.webhook_failed", logging.ERROR, error=type(exc).__name__)
            return web.json_response({"error": "not stored, retry"}, status=500)
        return web.json_response({"ok": True, "outcome": outcome})

    return [web.post(WEBHOOK_PATH, telegram_webhook)]
