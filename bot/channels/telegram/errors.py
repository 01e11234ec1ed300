"""Bot API errors as `SendError`s: whether nothing went out (retry), the chat is gone (stop), or it
may be on her screen already (in doubt, never resent). The description is matched, never copied:
errors and logs carry fixed codes only, never a chat id or text. Used by the channel, the update
handling and the background loop alike."""

from __future__ import annotations

import aiohttp
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.channels.base import SendError
from bot.channels.telegram.gateway import GATEWAY_TIMEOUT, TelegramGatewayError

# Failures that happen before a single byte of the request left: safe to retry.
_NEVER_SENT: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,  # refused, DNS, TLS handshake
    getattr(aiohttp, "ConnectionTimeoutError", aiohttp.ClientConnectorError),  # connect timed out
)

_BAD_REQUEST_CODES = {
    "message is not modified": "telegram.not_modified",
    "message to edit not found": "telegram.message_not_found",
    "message to delete not found": "telegram.message_not_found",
    "message can't be deleted": "telegram.cannot_delete",
    "message can't be edited": "telegram.cannot_edit",
    "button_data_invalid": "telegram.button_data_invalid",
    "message is too long": "telegram.text_too_long",
    "message text is empty": "telegram.text_empty",
}
_GONE_BAD_REQUESTS = {"chat not found": "telegram.chat_not_found", "user not found": "telegram.user_not_found"}
_FORBIDDEN_CODES = {
    "blocked by the user": "telegram.blocked",
    "user is deactivated": "telegram.deactivated",
    "can't initiate conversation": "telegram.cannot_initiate",
}


def send_error_from(exc: AiogramError) -> SendError:
    """Classify an aiogram error. The description is matched, never copied into the result."""
    if isinstance(exc, TelegramRetryAfter):
        return SendError("telegram.rate_limited", retryable=True, retry_after=float(exc.retry_after))
    if isinstance(exc, TelegramNetworkError):
        return _network_error(exc)
    if isinstance(exc, TelegramGatewayError):
        if exc.status == GATEWAY_TIMEOUT:  # it waited for Telegram, which may have sent it meanwhile
            return SendError("telegram.gateway_timeout", in_doubt=True)
        return SendError(f"telegram.gateway_{exc.status}", retryable=True)  # Telegram never answered it
    if isinstance(exc, TelegramServerError):  # a Bot API answer saying it failed: nothing was sent
        return SendError("telegram.server_error", retryable=True)
    if isinstance(exc, TelegramForbiddenError):
        return SendError(_match(exc.message, _FORBIDDEN_CODES, "telegram.forbidden"), recipient_gone=True)
    if isinstance(exc, TelegramBadRequest):
        gone = _match(exc.message, _GONE_BAD_REQUESTS, "")
        if gone:
            return SendError(gone, recipient_gone=True)
        return SendError(_match(exc.message, _BAD_REQUEST_CODES, "telegram.bad_request"))
    if isinstance(exc, TelegramUnauthorizedError):
        return SendError("telegram.unauthorized")  # a revoked or wrong token: an operator must act
    if isinstance(exc, TelegramNotFound):
        return SendError("telegram.not_found")
    if isinstance(exc, ClientDecodeError):
        # an answer we cannot read (a proxy's error page, a cut body): the call may have succeeded
        return SendError("telegram.unreadable_answer", in_doubt=True)
    if isinstance(exc, TelegramAPIError):
        return SendError("telegram.api_error")  # the API refused it: nothing was sent
    return SendError("telegram.client_error", in_doubt=True)


def _network_error(exc: TelegramNetworkError) -> SendError:
    """aiogram wraps aiohttp's error (`__cause__`): tell 'never sent' from 'sent, no answer'."""
    cause = exc.__cause__
    if isinstance(cause, _NEVER_SENT):
        return SendError("telegram.unreachable", retryable=True)
    if isinstance(cause, aiohttp.InvalidURL):
        return SendError("telegram.bad_api_base")
    # a timeout or a broken connection after the request may have been written
    return SendError("telegram.no_answer", in_doubt=True)


def _match(description: str, table: dict[str, str], default: str) -> str:
    lowered = description.lower()
    return next((code for needle, code in table.items() if needle in lowered), default)
