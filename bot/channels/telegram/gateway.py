"""A gateway's error page is not the Bot API's answer: a 502 or 503 says the request never got
an answer from Telegram's application, so it is retried instead of being left in doubt.

aiogram reads every answer as the Bot API's JSON; a proxy's (or Telegram's front's) HTML error
page cannot be read, so aiogram raised "cannot decode", which the channel had to take as "it may
have gone out" (in doubt, never resent): a 20-second outage behind a proxy put all 89 messages on
their way in doubt, 0 delivered. Here the HTTP status is looked at first. See docs/DESIGN.md,
"Gateway errors", for why 502 and 503 are retried and a gateway's 504 is not.
"""

from __future__ import annotations

import json
from typing import Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramServerError

NOT_REACHED = frozenset({502, 503})  # Bad Gateway, Service Unavailable: nothing was done
GATEWAY_TIMEOUT = 504  # the gateway gave up waiting: Telegram may have acted on it


class TelegramGatewayError(TelegramServerError):
    """A gateway in front of the Bot API answered for it (any body but the Bot API's own JSON)."""

    def __init__(self, method: Any, status: int) -> None:
        super().__init__(method=method, message=f"gateway answered HTTP {status}")
        self.status = status


def is_bot_api_answer(content: str) -> bool:
    """The Bot API always answers a JSON object with `ok`; anything else came from something in front."""
    try:
        data = json.loads(content)
    except ValueError:
        return False
    return isinstance(data, dict) and "ok" in data


class GatewayAwareSession(AiohttpSession):
    """aiogram's aiohttp session, reading the HTTP status of a gateway's page before the body."""

    def check_response(self, bot: Any, method: Any, status_code: int, content: str) -> Any:
        if (status_code in NOT_REACHED or status_code == GATEWAY_TIMEOUT) and not is_bot_api_answer(content):
            raise TelegramGatewayError(method, status_code)
        return super().check_response(bot, method, status_code, content)
