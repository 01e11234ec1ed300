"""The Telegram output channel: sendMessage, editMessageText and deleteMessages through aiogram.

Every failure becomes a `SendError` (errors.py) whose flags tell the dispatcher what is safe: a rate limit or a
server error means nothing went out (retry), a blocked bot means the chat is gone (stop), and a
timeout after the request was written means it may be on her screen already (in doubt, never
resent: a duplicate message is a safety incident). Errors and logs carry fixed codes only, never a
chat id or text.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import AiogramError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, User

from bot.channels.base import Button, ChannelStatus, OutgoingMessage, RateLimits, SendError, SendResult
from bot.channels.telegram.errors import send_error_from
from bot.channels.telegram.lean_aiogram import build_used_models
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.channels.host import ChannelHost

MAX_CALLBACK_DATA = 64  # bytes, a Bot API limit
MAX_DELETE_BATCH = 100  # ids per deleteMessages call, a Bot API limit
STATUS_TTL = 60.0  # seconds a successful getMe is trusted by /healthz
_REMEMBERED_KEYS = 10_000


def _chat_id(address: str) -> int:
    try:
        return int(address)
    except ValueError:
        raise SendError("telegram.bad_address") from None


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """One button per row (easy to hit, easy to read); payloads must fit Telegram's 64 bytes."""
    if not buttons:
        return None
    rows = []
    for b in buttons:
        size = len(b.payload.encode("utf-8"))
        if not 1 <= size <= MAX_CALLBACK_DATA:
            raise SendError("telegram.button_payload_size")
        if not b.label.strip():
            raise SendError("telegram.button_label_empty")
        rows.append([InlineKeyboardButton(text=b.label, callback_data=b.payload)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


class TelegramChannel:
    """Sends through the Bot API at `TELEGRAM_API_BASE` (a fake one in tests, a local server in
    some deployments), with Telegram's rate limits."""

    name = "telegram"
    max_delete_batch = MAX_DELETE_BATCH
    sequential_ids = True  # message_id counts up in each chat, hers and ours alike

    def __init__(self, settings: Settings, bot: Bot | None = None) -> None:
        if not settings.telegram_bot_token:
            raise ValueError("TelegramChannel needs TELEGRAM_BOT_TOKEN")
        # at start, so a model that cannot be built stops the start, not her message; the answer
        # classes are held for the channel's life (see build_used_models)
        self._answer_types = build_used_models()
        self.settings = settings
        self.limits = RateLimits(per_second=settings.telegram_global_rate,
                                 per_recipient_per_second=settings.telegram_chat_rate)
        self.bot = bot or Bot(settings.telegram_bot_token, session=AiohttpSession(
            api=TelegramAPIServer.from_base(settings.telegram_api_base), timeout=settings.send_timeout,
        ))
        self.poll_timeout = 25  # seconds one getUpdates call waits for news (polling mode)
        self._me: User | None = None
        self._me_at = 0.0
        self._sent_keys: OrderedDict[str, None] = OrderedDict()

    async def send(self, message: OutgoingMessage) -> SendResult:
        # Telegram has no idempotency key; the dispatcher claims each row once, and this guard
        # catches a bug that would hand us the same row twice in one process.
        if message.idempotency_key in self._sent_keys:
            raise SendError("telegram.duplicate_key", in_doubt=True)
        chat_id = _chat_id(message.address)
        if not message.text.strip():
            raise SendError("telegram.text_empty")
        markup = keyboard(message.buttons)
        try:
            sent = await self.bot.send_message(
                chat_id=chat_id, text=message.text, reply_markup=markup, parse_mode=None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except AiogramError as exc:
            raise send_error_from(exc) from None
        self._sent_keys[message.idempotency_key] = None
        if len(self._sent_keys) > _REMEMBERED_KEYS:
            self._sent_keys.popitem(last=False)
        return SendResult(str(sent.message_id))

    async def edit(self, address: str, provider_message_id: str, text: str,
                   buttons: tuple[Button, ...] = ()) -> None:
        """Replace a message's text (and keyboard: no buttons removes it)."""
        chat_id = _chat_id(address)
        message_id = _chat_id(provider_message_id)
        markup = keyboard(buttons)
        try:
            await self.bot.edit_message_text(
                chat_id=chat_id, message_id=message_id, text=text, reply_markup=markup, parse_mode=None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except AiogramError as exc:
            err = send_error_from(exc)
            if err.code == "telegram.not_modified":
                return  # already shows exactly this
            raise err from None

    async def delete(self, address: str, provider_message_ids: list[str]) -> None:
        """Delete in batches of 100. Deleting is idempotent (ids already gone are skipped), so a
        caller may retry the whole list; a timeout here is retryable, not in doubt. Every batch
        is attempted even if one fails (quick exit removes all it can), except after a rate
        limit, where the next batch would be refused too."""
        chat_id = _chat_id(address)
        ids = sorted({int(i) for i in provider_message_ids if str(i).isdigit()})
        first_error: SendError | None = None
        for start in range(0, len(ids), MAX_DELETE_BATCH):
            try:
                await self.bot.delete_messages(chat_id=chat_id, message_ids=ids[start:start + MAX_DELETE_BATCH])
            except AiogramError as exc:
                err = send_error_from(exc)
                if err.in_doubt:
                    err = SendError(err.code, retryable=True)
                first_error = first_error or err
                if err.retry_after is not None or err.recipient_gone:
                    break
        if first_error is not None:
            raise first_error

    async def status(self) -> ChannelStatus:
        """getMe, cached for a minute so /healthz does not hammer the Bot API."""
        now = time.monotonic()
        if self._me is None or now - self._me_at > STATUS_TTL:
            try:
                self._me = await self.bot.get_me()
            except AiogramError as exc:
                return ChannelStatus(self.name, False, send_error_from(exc).code,
                                     {"mode": self.settings.telegram_mode})
            self._me_at = now
        return ChannelStatus(self.name, True, "getMe ok",
                             {"mode": self.settings.telegram_mode, "bot": self._me.username or ""})

    async def start_background(self, service: ChannelHost) -> None:
        """Register the webhook, or long-poll in development (see polling.py)."""
        from bot.channels.telegram.polling import run_background  # aiogram's polling parts only when run

        await run_background(self, service)

    async def close(self) -> None:
        await self.bot.session.close()
