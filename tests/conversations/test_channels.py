"""Enrolment to call-back over the real channels: Telegram through a fake Bot API, SMS through a
fake Twilio. What is asserted is what her phone shows and what the provider was asked to do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.telegram.webhook import WEBHOOK_PATH
from bot.enrolment import create_invitation
from bot.service import Service
from bot.settings import load_settings
from bot.storage.models import CallbackRequest, Survivor
from liaison.service import create_service
from safety.crypto import KeyRing
from tests.support.clock import OffsetClock
from tests.support.fake_telegram import FakeTelegram, deliver
from tests.support.fake_twilio import FakeTwilio
from tests.support.http import serve_app
from tests.support.running import wait_until

TOKEN = "123456:TEST-token-not-real"
SECRET = "webhook_secret-for-tests_0123456789"
CHAT = 55501234
ACCOUNT_SID = "AC" + "0" * 31 + "2"
AUTH_TOKEN = "test-auth-token-not-a-secret-0002"
OUR_NUMBER = "+447700900000"
HER = "+447700900321"
PUBLIC = "https://liaison.example.org"



async def invite(svc: Service, channel: str, phone: str | None = None) -> Any:
    async with svc.db.transaction() as s:
        return await create_invitation(s, svc.keyring, channel=channel, locale="en", country="GB",
                                       created_by="worker-1", now=svc.clock(), phone=phone,
                                       bot_username=svc.settings.telegram_bot_username)


# -- Telegram -------------------------------------------------------------------------------------

class TelegramPhone:
    def __init__(self, fake: FakeTelegram, hook: str) -> None:
        self.fake, self.hook, self.seen = fake, hook, 0

    def bot_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.fake.screen(CHAT) if m["from"] == "bot"]

    async def _wait(self, expect: int) -> list[str]:
        await wait_until(lambda: len(self.fake.calls("sendMessage")) >= self.seen + expect)
        calls = self.fake.calls("sendMessage")
        new, self.seen = calls[self.seen:], len(calls)
        return [str(c["params"]["text"]) if isinstance(c, dict) else str(c) for c in new]

    async def send(self, text: str, expect: int = 1) -> str:
        assert await deliver(self.fake.user_sends(CHAT, text), self.hook, SECRET) == 200
        await self._wait(expect)
        return "\n".join(m["text"] for m in self.bot_messages()[-expect:])

    async def tap(self, label: str, expect: int = 1) -> str:
        for msg in reversed(self.bot_messages()):
            for data, text in msg["buttons"]:
                if label.casefold() in text.casefold():
                    assert await deliver(self.fake.user_presses(CHAT, msg["message_id"], data), self.hook,
                                         SECRET) == 200
                    await self._wait(expect)
                    return "\n".join(m["text"] for m in self.bot_messages()[-expect:])
        raise AssertionError(f"no button {label!r}")


@pytest.fixture
async def telegram(settings_env: dict[str, object], keyring: KeyRing,
                   clock: OffsetClock) -> AsyncIterator[tuple[Service, TelegramPhone]]:
    async with FakeTelegram(TOKEN) as fake:
        settings = load_settings(**{
            **settings_env, "LIAISON_SIMULATOR": False, "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": fake.url, "TELEGRAM_BOT_USERNAME": "GardenTipsBot",
            "TELEGRAM_RATE_PER_SECOND": 1000, "TELEGRAM_CHAT_RATE_PER_SECOND": 1000,
        })
        svc = create_service(settings, keyring=keyring, clock=clock)
        async with serve_app(svc.web_app()) as base:
            yield svc, TelegramPhone(fake, base + WEBHOOK_PATH)


async def test_over_telegram_she_follows_the_link_enrols_and_asks_for_a_call_back(telegram) -> None:
    svc, phone = telegram
    created = await invite(svc, "telegram")
    assert created.deep_link == f"https://t.me/GardenTipsBot?start={created.code}"

    assert "anyone who looks at this phone" in await phone.send(f"/start {created.code}")
    await phone.tap("Continue")
    await phone.tap("Continue", expect=2)  # the intro and question 1
    await phone.tap("Yes")
    await phone.tap("Yes")
    await phone.tap("Yes")
    assert "choose a PIN" in await phone.tap("Green Thumbs", expect=2)
    await phone.send("4821")
    await phone.send("4821", expect=2)
    await phone.send("7395")
    await phone.send("7395", expect=2)
    done = await phone.tap("Later", expect=2)
    assert done.startswith("🌱 Green Thumbs Club\nAll set")
    await phone.tap("Ring me")
    await phone.tap("Mon–Fri 12:00–17:00")
    assert "We will ring the number ending in 999" in await phone.send("+44 7700 900999")
    assert "We will ring at one of those times" in await phone.tap("Yes, please", expect=2)
    screen_texts = [m["text"] for m in phone.fake.screen(CHAT)]
    assert "4821" not in screen_texts and "7395" not in screen_texts  # her PIN messages were deleted

    async with svc.db.sessions() as s:
        callback = await s.scalar(select(CallbackRequest))
        survivor = await s.scalar(select(Survivor))
    assert callback is not None and callback.phone == "+447700900999"
    assert survivor is not None and survivor.status == "active"


# -- SMS ------------------------------------------------------------------------------------------

@pytest.fixture
async def sms(settings_env: dict[str, object], keyring: KeyRing,
              clock: OffsetClock) -> AsyncIterator[tuple[Service, FakeTwilio, str]]:
    async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER) as fake:
        settings = load_settings(**{
            **settings_env, "LIAISON_SIMULATOR": False, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": OUR_NUMBER, "TWILIO_API_BASE": fake.base_url,
            "LIAISON_PUBLIC_URL": PUBLIC, "SMS_RATE_PER_SECOND": 100,
        })
        svc = create_service(settings, keyring=keyring, clock=clock)
        async with serve_app(svc.web_app()) as local:
            fake.route_public(PUBLIC, local)
            yield svc, fake, local


async def test_over_sms_she_replies_to_the_opt_in_enrols_and_asks_for_a_call_back(sms) -> None:
    svc, fake, local = sms
    await invite(svc, "sms", phone="+44 7700 900321")
    svc.dispatcher.wake()
    optin = await wait_until(lambda: fake.texts_to(HER))
    assert optin[0].startswith("⛅ Weather Desk\n") and "Reply YES to start" in optin[0]

    async def text(body: str, expect: int = 1) -> str:
        before = len(fake.texts_to(HER))
        delivery = await fake.deliver(fake.user_sends(HER, body), local + "/webhooks/twilio/sms",
                                      PUBLIC + "/webhooks/twilio/sms")
        assert delivery.status == 200
        await wait_until(lambda: len(fake.texts_to(HER)) >= before + expect)
        return "\n".join(fake.texts_to(HER)[before:])

    warning = await text("YES")
    assert "Text messages (SMS) stay on the phone" in warning and "\n1 Continue\n2 No, thank you" in warning
    await text("1")
    await text("1", expect=2)
    for _ in range(3):
        await text("yes")
    assert "choose a PIN" in await text("3", expect=2)  # 3: Kitchen Corner
    await text("4821")
    saved = await text("4821", expect=2)  # on SMS no second PIN by text: her worker sets it on a call
    assert "delete them" in saved and "second" not in saved.casefold()
    done = await text("5", expect=2)  # 5: Later
    assert done.startswith("🍲 Kitchen Corner\nAll set") and "\n2 📞 Ring me" in done
    assert "Pick a time" in await text("2")
    assert "Which number" in await text("2")  # 2: Mon–Fri 12:00–17:00
    confirm = await text("1")  # 1: This number
    assert "We will ring this number" in confirm and "Mon–Fri 12:00–17:00" in confirm
    assert "We will ring at one of those times" in await text("1", expect=2)

    async with svc.db.sessions() as s:
        callback = await s.scalar(select(CallbackRequest))
    assert callback is not None and callback.phone == HER

    stopped = await text("STOP")
    assert "unsubscribed" in stopped
