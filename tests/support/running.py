"""The whole service running for real in a test, against the fake providers.

Settings for the fake Telegram and the fake Twilio, the service built from them (on a clock the
test moves, if it wants one) and serving its web app on a loopback port, what its outbox and
inbound tables hold, and polling until the work done in background tasks has happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select

from bot.service import Service
from bot.settings import load_settings
from bot.storage.models import InboundMessage, OutboundMessage
from liaison.service import create_service
from safety.crypto import KeyRing
from tests.support.clock import OffsetClock
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_twilio import FakeTwilio
from tests.support.http import serve_app


def telegram_env(settings_env: dict[str, object], fake: FakeTelegram, secret: str,
                 *, send_timeout: float = 30.0) -> dict[str, object]:
    """The service on the Telegram channel only, talking to `fake`, with rate limits out of the way.
    The send timeout is generous: under stress-ng beside the suite a send took over 3 s, and its row
    went `in_doubt`; a test of the time-out sets its own (a fake that hangs)."""
    return {
        **settings_env,
        "LIAISON_SIMULATOR": False,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_WEBHOOK_SECRET": secret,
        "TELEGRAM_API_BASE": fake.url,
        "TELEGRAM_RATE_PER_SECOND": 1000,
        "TELEGRAM_CHAT_RATE_PER_SECOND": 1000,
        "SEND_TIMEOUT_SECONDS": send_timeout,
    }


def twilio_env(settings_env: dict[str, object], fake: FakeTwilio, public: str, *, send_timeout: float,
               sms_rate: float) -> dict[str, object]:
    """The service on the SMS channel only, talking to `fake`, known to Twilio as `public`."""
    return {
        **settings_env,
        "LIAISON_SIMULATOR": False,
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_FROM": fake.number,
        "TWILIO_API_BASE": fake.base_url,
        "LIAISON_PUBLIC_URL": public,
        "SEND_TIMEOUT_SECONDS": send_timeout,
        "SMS_RATE_PER_SECOND": sms_rate,
    }


Clock = OffsetClock  # the service's clock in these tests: TEST_NOW running on, plus an offset


def build(env: dict[str, object], keyring: KeyRing, clock: Clock | None = None) -> Service:
    return create_service(load_settings(**env), keyring=keyring, clock=clock or OffsetClock())


@asynccontextmanager
async def serving(env: dict[str, object], keyring: KeyRing, *,
                  clock: Clock | None = None) -> AsyncIterator[tuple[Service, str]]:
    """The whole service serving HTTP; yields it and its base URL."""
    svc = build(env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        yield svc, base


async def wait_until(check: Callable[[], Any], within: float = 60.0) -> Any:
    """Poll `check` (sync or async) until it is truthy and return what it gave; state changes
    happen in background tasks and on the fakes. The limit only ends a test that would otherwise
    hang, so it is generous: under `stress-ng` beside the suite a reply took more than 15 s (a
    condition that holds returns at once)."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def outbox(svc: Service) -> list[OutboundMessage]:
    async with svc.db.sessions() as s:
        return list((await s.scalars(select(OutboundMessage).order_by(OutboundMessage.id))).all())


async def inbound(svc: Service) -> list[InboundMessage]:
    async with svc.db.sessions() as s:
        return list((await s.scalars(select(InboundMessage).order_by(InboundMessage.id))).all())


async def nothing_due(svc: Service) -> bool:
    """Every outbox row is final, or pending or held until later (by the dispatcher's clock). A held
    row whose time has come is due: the dispatcher has yet to look at it again."""
    now = svc.dispatcher.now()
    return not any(r.status == "sending" or (r.status in ("pending", "held") and r.next_attempt_at <= now)
                   for r in await outbox(svc))
