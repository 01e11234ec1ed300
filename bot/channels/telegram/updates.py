"""Turns one Telegram update into one `InboundEvent` and hands it to the inbound pipeline.

Shared by the webhook and the polling loop, so both acknowledge an update only after
`pipeline.accept` has committed it: `handle_update` returns then, or raises.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import AiogramError
from aiogram.types import CallbackQuery, Message, Update

from bot.channels.base import InboundEvent
from bot.channels.host import Accepted
from bot.channels.telegram.errors import send_error_from
from bot.logs import log_event

if TYPE_CHECKING:
    from bot.channels.host import ChannelHost

WEBHOOK_PATH = "/webhooks/telegram"  # where Telegram posts them (webhook.py), registered by polling.py
ALLOWED_UPDATES = ["message", "callback_query"]
CHANNEL = "telegram"


def update_type(update: Update) -> str:
    """The update's kind (a field name such as 'message'), safe to log; never its content."""
    known = [name for name in update.model_fields_set
             if name != "update_id" and getattr(update, name, None) is not None]
    if known:
        return sorted(known)[0]
    return "unknown"


def inbound_router(service: ChannelHost) -> Router:
    """Only private chats: a group is seen by others, so nothing from or to one is accepted."""
    router = Router(name="telegram-inbound")

    @router.message(F.chat.type == ChatType.PRIVATE)
    async def on_message(message: Message, event_update: Update) -> Accepted:
        # her message's id is kept for deletion (quick exit, expiry); a photo or sticker carries no
        # text but is still recorded, so it can be deleted from her phone too
        event = InboundEvent(
            # update ids restart after a quiet week or a new token: pair them with the message id
            channel=CHANNEL, provider_id=f"{event_update.update_id}:m{message.message_id}",
            address=str(message.chat.id),
            received_at=service.dispatcher.now(), text=message.text or message.caption,
            provider_message_id=str(message.message_id),
        )
        return await service.pipeline.accept(event)

    @router.callback_query(F.message.chat.type == ChatType.PRIVATE, F.data)
    async def on_button(query: CallbackQuery, event_update: Update, bot: Bot) -> Accepted:
        # a button press creates no message of hers; the id is the bot message the button sits
        # under (which the flows may edit, and which deletion removes with the bot's own messages)
        assert query.message is not None and query.data is not None
        event = InboundEvent(
            channel=CHANNEL, provider_id=f"{event_update.update_id}:c{query.id}", address=str(query.message.chat.id),
            received_at=service.dispatcher.now(), button=query.data,
            provider_message_id=str(query.message.message_id),
        )
        accepted = await service.pipeline.accept(event)
        # after the commit: stops the spinner on her button (with "already done" on a spent one)
        await answer_callback(bot, query.id, accepted.notice)
        if accepted.notice or accepted.spent:  # spent: "already done", or it answered its message
            await remove_keyboard(bot, query.message.chat.id, query.message.message_id)
        return accepted

    return router


def build_dispatcher(service: ChannelHost) -> Dispatcher:
    dp = Dispatcher(disable_fsm=True)  # state lives in our database, not in aiogram
    dp.include_router(inbound_router(service))
    return dp


async def answer_callback(bot: Bot, query_id: str, text: str | None = None) -> None:
    """Best effort: a failure leaves a spinner on her button, nothing worse."""
    try:
        await bot.answer_callback_query(callback_query_id=query_id, text=text)
    except AiogramError as exc:
        log_event("telegram.callback_answer_failed", logging.WARNING, code=send_error_from(exc).code)


async def remove_keyboard(bot: Bot, chat_id: int, message_id: int) -> None:
    """A spent button's keyboard goes (editMessageReplyMarkup without markup). Best effort: the
    buttons left behind only answer "already done"."""
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
    except AiogramError as exc:
        log_event("telegram.keyboard_removal_failed", logging.WARNING, code=send_error_from(exc).code)


async def handle_update(dp: Dispatcher, bot: Bot, update: Update) -> str:
    """Feed one update; returns 'accepted', 'duplicate' or 'ignored' once it is committed (or
    deliberately dropped). Raises if it could not be stored: the caller must not acknowledge."""
    kind = update_type(update)
    if kind not in ALLOWED_UPDATES:
        # checked before aiogram sees it: aiogram warns with the whole update for unknown types
        log_event("telegram.update_ignored", type=kind)
        return "ignored"
    result = await dp.feed_update(bot, update)
    if not isinstance(result, Accepted):
        if kind == "callback_query" and update.callback_query is not None:
            await answer_callback(bot, update.callback_query.id)
        log_event("telegram.update_ignored", type=kind, reason="not_handled")
        return "ignored"
    return "duplicate" if result.duplicate else "accepted"
