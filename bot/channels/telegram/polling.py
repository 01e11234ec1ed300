"""What the Telegram channel runs in the background.

Webhook mode (production): register `LIAISON_PUBLIC_URL/webhooks/telegram` with the secret once.
Polling mode (development, TELEGRAM_MODE=polling): our own getUpdates loop instead of aiogram's
`start_polling`, because that one confirms an update even when its handler failed, installs
signal handlers and logs exception texts. Here the offset moves past an update only after
`pipeline.accept` committed it; a failure keeps it for the next round.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

from aiogram import Bot
from aiogram.exceptions import AiogramError

from bot.channels.telegram.errors import send_error_from
from bot.channels.telegram.updates import ALLOWED_UPDATES, WEBHOOK_PATH, build_dispatcher, handle_update
from bot.channels.text_guard import InvalidInbound
from bot.logs import log_event

if TYPE_CHECKING:
    from bot.channels.host import ChannelHost

MAX_BACKOFF = 30.0


class BackgroundChannel(Protocol):
    """What the background work needs of the channel (channel.py's `TelegramChannel`)."""

    @property
    def bot(self) -> Bot: ...

    @property
    def poll_timeout(self) -> int: ...


async def run_background(channel: BackgroundChannel, service: ChannelHost) -> None:
    if service.settings.telegram_mode == "polling":
        await poll_forever(channel, service)
    else:
        await register_webhook(channel, service)


async def register_webhook(channel: BackgroundChannel, service: ChannelHost) -> bool:
    """setWebhook once; a failure is logged, not fatal (the operator sees it in /healthz logs)."""
    url = service.settings.public_url.rstrip("/") + WEBHOOK_PATH
    try:
        await channel.bot.set_webhook(
            url=url, secret_token=service.settings.telegram_webhook_secret, allowed_updates=ALLOWED_UPDATES,
        )
    except AiogramError as exc:
        log_event("telegram.webhook_register_failed", logging.WARNING, code=send_error_from(exc).code)
        return False
    log_event("telegram.webhook_registered")
    return True


async def poll_forever(channel: BackgroundChannel, service: ChannelHost) -> None:
    """Long-poll getUpdates until cancelled. Pending updates are never dropped: they are hers."""
    bot, dp = channel.bot, build_dispatcher(service)
    try:
        await bot.delete_webhook(drop_pending_updates=False)
    except AiogramError as exc:  # getUpdates will say 409 while a webhook is set; we keep trying
        log_event("telegram.delete_webhook_failed", logging.WARNING, code=send_error_from(exc).code)
    log_event("telegram.polling_started")
    offset: int | None = None
    delay = 0.0
    while True:
        if delay:
            await asyncio.sleep(delay)
        try:
            updates = await bot.get_updates(
                offset=offset, timeout=channel.poll_timeout, allowed_updates=ALLOWED_UPDATES,
                request_timeout=int(channel.poll_timeout + service.settings.send_timeout + 1),
            )
        except AiogramError as exc:
            err = send_error_from(exc)
            delay = max(err.retry_after or 0.0, min(MAX_BACKOFF, delay * 2 or 0.5))
            log_event("telegram.get_updates_failed", logging.WARNING, code=err.code, retry_in=delay)
            continue
        delay = 0.0
        for update in updates:
            try:
                await handle_update(dp, bot, update)
            except InvalidInbound:  # can never be stored: confirm it, or it comes back for ever
                log_event("telegram.update_refused", logging.WARNING)
            except Exception as exc:  # not committed: do not confirm it, try again shortly
                log_event("telegram.update_failed", logging.ERROR, error=type(exc).__name__)
                delay = 1.0
                break
            offset = update.update_id + 1  # confirmed to Telegram with the next getUpdates
