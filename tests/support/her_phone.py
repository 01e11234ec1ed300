"""Her phone on any channel, driven from outside: the whole service against the fake Bot API, the fake
Twilio, the simulator's web API or a test channel's own fake (PHONES below), on a clock the test sets, and
what her screen or thread shows after each thing she does. Tests ask `her.caps` (the channel's
capabilities) what to expect, as the service does, rather than the channel's name.

    async with her_phone(channel, settings_env, keyring, locale="de") as her:
        reply = await her.send("MENÜ")          # the messages that arrived because of it
        reply = await her.choose("Einstellungen")  # buttons: press it; numbered lines (SMS): send its number

A reply is complete when the webhook was answered (the conversation's transaction committed) and the
outbox has nothing due left (`running.nothing_due`): no sleeping, so "nothing arrived" is a fact.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp

from bot.channels.registry import capabilities
from bot.channels.simulator.channel import SimulatorChannel
from bot.channels.telegram.webhook import WEBHOOK_PATH
from bot.clock import ManualClock
from bot.enrolment import create_invitation
from bot.service import Service
from bot.settings import load_settings
from liaison.service import create_service
from safety.crypto import KeyRing
from tests.support import running
from tests.support.fake_telegram import FakeTelegram, deliver
from tests.support.fake_twilio import FakeTwilio
from tests.support.http import serve_app
from tests.support.people import enrolled
from tests.support.plain_channel.phone import plain_service

TOKEN = "123456:TEST-token-not-real"
SECRET = "webhook_secret-for-tests_0123456789"
CHAT = 61_523_900
HER_NUMBER = "+447700900456"
PUBLIC = "https://liaison.example.org"
ACCOUNT_SID = "AC" + "0" * 31 + "5"
AUTH_TOKEN = "test-auth-token-not-a-secret-0015"
OUR_NUMBER = "+447700900000"
PIN, DURESS = "4821", "7395"
ALL_DAY = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]


@dataclass
class Reply:
    """Our messages that reached her phone after one thing she did (Telegram: with their ids)."""

    texts: list[str]
    ids: list[int] = field(default_factory=list)
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n---\n".join(self.texts)

    def says(self, fragment: str) -> bool:
        return fragment.casefold() in self.text.casefold()

    def labels(self) -> list[str]:
        return [label for row in self.buttons for _payload, label in row]


class Device(Protocol):
    """Her phone on a channel other than Telegram and SMS (the simulator, a test channel)."""

    address: str

    async def send(self, text: str) -> None: ...

    async def press(self, message_id: int, payload: str) -> None: ...

    def bot_messages(self) -> list[dict[str, Any]]: ...  # text, buttons [(payload, label)], message_id

    def screen_texts(self) -> list[str]: ...


@dataclass
class HerPhone:
    channel: str  # its registry name
    svc: Service
    clock: ManualClock
    http: aiohttp.ClientSession
    base: str
    telegram: FakeTelegram | None = None
    twilio: FakeTwilio | None = None
    device: Device | None = None
    last: Reply = field(default_factory=lambda: Reply([]))

    @property
    def caps(self) -> Any:
        """What her channel can do (bot/channels/registry.py)."""
        return capabilities(self.channel)

    # -- what is on her phone -------------------------------------------------------------------
    def bot_messages(self) -> list[dict[str, Any]]:
        """Our messages as her phone shows them now (Telegram: what was not deleted)."""
        if self.telegram is not None:
            return [m for m in self.telegram.screen(CHAT) if m["from"] == "bot"]
        if self.device is not None:
            return self.device.bot_messages()
        assert self.twilio is not None
        return [{"text": t, "buttons": []} for t in self.twilio.texts_to(HER_NUMBER)]

    def screen_texts(self) -> list[str]:
        """Everything on her screen, hers and ours."""
        if self.telegram is not None:
            return [str(m["text"]) for m in self.telegram.screen(CHAT)]
        if self.device is not None:
            return self.device.screen_texts()
        assert self.twilio is not None
        return [e.body for e in self.twilio.thread(HER_NUMBER)]

    # -- what she does -----------------------------------------------------------------------------
    async def send(self, text: str) -> Reply:
        before = len(self.bot_messages())
        if self.telegram is not None:
            status = await deliver(self.telegram.user_sends(CHAT, text), self.base + WEBHOOK_PATH, SECRET,
                                   session=self.http)
        elif self.device is not None:
            await self.device.send(text)
            status = 200
        else:
            assert self.twilio is not None
            delivery = await self.twilio.deliver(self.twilio.user_sends(HER_NUMBER, text),
                                                 self.base + "/webhooks/twilio/sms", PUBLIC + "/webhooks/twilio/sms")
            status = delivery.status
        assert status == 200
        return await self._arrived(before)

    async def press(self, message_id: int, payload: str) -> Reply:
        """Press a button (by payload) under one message (channels with inline buttons)."""
        before = len(self.bot_messages())
        if self.device is not None:
            await self.device.press(message_id, payload)
            return await self._arrived(before)
        assert self.telegram is not None
        update = self.telegram.user_presses(CHAT, message_id, payload)
        assert await deliver(update, self.base + WEBHOOK_PATH, SECRET, session=self.http) == 200
        return await self._arrived(before)

    async def choose(self, label: str) -> Reply:
        """The option whose label holds `label`, on the latest message offering it: with inline buttons
        she presses it, else she sends its number (numbered lines "2 📞 Ring me")."""
        for msg in reversed(self.bot_messages()):
            if self.caps.inline_buttons:
                for payload, text in msg["buttons"]:
                    if label.casefold() in text.casefold():
                        return await self.press(int(msg["message_id"]), payload)
            else:
                for line in str(msg["text"]).splitlines():
                    found = re.match(r"^(\d{1,2}) (.*)$", line)
                    if found and label.casefold() in found.group(2).casefold():
                        return await self.send(found.group(1))
        raise AssertionError(f"no option {label!r}; last reply: {self.last.texts!r}")

    async def settled(self) -> None:
        await running.wait_until(lambda: running.nothing_due(self.svc), within=10.0)

    async def _arrived(self, before: int) -> Reply:
        await self.settled()
        new = self.bot_messages()[before:]
        self.last = Reply([str(m["text"]) for m in new], [int(m.get("message_id", 0)) for m in new],
                          [list(m["buttons"]) for m in new])
        return self.last

    # -- who she is --------------------------------------------------------------------------------
    @property
    def address(self) -> str:
        if self.device is not None:
            return self.device.address
        return str(CHAT) if self.telegram is not None else HER_NUMBER

    async def enrolled(self, *, locale: str = "en", country: str = "GB", **fields: Any) -> tuple[int, int]:
        """An active survivor on this phone, onboarded (PIN and duress PIN set), at her menu."""
        if self.telegram is not None:
            self.telegram.chat(CHAT)  # she has opened the chat with the bot before (it exists)
        hasher = self.svc.pin_hasher
        values: dict[str, Any] = {
            "locale": locale, "country": country, "persona": "garden", "contact_windows": ALL_DAY,
            "pin_hash": hasher.hash(PIN), "duress_pin_hash": hasher.hash(DURESS),
            "state": {"flow": "menu", "step": "main"}, **fields,
        }
        ids = await enrolled(self.svc.db, self.svc.keyring, channel=self.channel, address=self.address,
                             pseudonym=f"ps-her-{self.channel}", **values)
        async with self.svc.db.transaction() as s:
            from bot.storage.models import ConsentRecord

            for kind in ("information", "checkins"):
                s.add(ConsentRecord(survivor_id=ids[0], kind=kind, granted=True, text_version="test-1",
                                    channel=self.channel))
        return ids

    async def invitation(self, locale: str = "en", country: str = "GB") -> Reply:
        """A worker invites her; returns what the invitation put on her phone (to her number: the
        opt-in), or what she got after following the link (deep links) or sending the code."""
        caps = self.caps
        async with self.svc.db.transaction() as s:
            created = await create_invitation(
                s, self.svc.keyring, channel=self.channel, locale=locale, country=country, created_by="worker-1",
                now=self.clock(), phone=HER_NUMBER if caps.phone_address else None,
                bot_username=self.svc.settings.telegram_bot_username)
        if caps.deep_link:
            return await self.send(f"/start {created.code}")
        if not caps.phone_address:
            return await self.send(created.display_code)
        before = len(self.bot_messages())
        self.svc.dispatcher.wake()
        return await self._arrived(before)


def _telegram_env(settings_env: dict[str, object], fake: FakeTelegram) -> dict[str, object]:
    return {**running.telegram_env(settings_env, fake, SECRET), "TELEGRAM_BOT_USERNAME": "GardenTipsBot"}


class SimulatorDevice:
    """Her phone in the simulator, through its web API (as its chat page uses it)."""

    def __init__(self, channel: SimulatorChannel, http: aiohttp.ClientSession, base: str) -> None:
        self.channel, self.http, self.base = channel, http, base
        self.address = "her-simulated-phone"

    async def _post(self, body: dict[str, Any]) -> None:
        async with self.http.post(f"{self.base}/simulator/api/messages", json={"user": self.address, **body}) as r:
            assert r.status == 200, await r.text()

    async def send(self, text: str) -> None:
        await self._post({"text": text})

    async def press(self, message_id: int, payload: str) -> None:
        await self._post({"button": payload, "message": message_id})

    def bot_messages(self) -> list[dict[str, Any]]:
        return [{**m, "message_id": m["id"]} for m in self.channel.transcript(self.address) if m["from"] == "bot"]

    def screen_texts(self) -> list[str]:
        return [str(m["text"]) for m in self.channel.transcript(self.address)]


@asynccontextmanager
async def simulator_service(settings_env: dict[str, object], keyring: KeyRing, clock: ManualClock,
                            http: aiohttp.ClientSession) -> AsyncIterator[tuple[Service, str, SimulatorDevice]]:
    svc = create_service(load_settings(**{**settings_env, "LIAISON_SIMULATOR": True}), keyring=keyring, clock=clock)
    async with serve_app(svc.web_app()) as base:
        channel = svc.channels["simulator"]
        assert isinstance(channel, SimulatorChannel)
        yield svc, base, SimulatorDevice(channel, http, base)


# her phone on each channel that is not driven through a fake of a real provider: one line per channel
PhoneService = Callable[[dict[str, object], KeyRing, ManualClock, aiohttp.ClientSession],
                        AbstractAsyncContextManager[tuple[Service, str, Any]]]
PHONES: dict[str, PhoneService] = {
    "simulator": simulator_service,
    "plain": plain_service,  # the test-only channel (tests/support/plain_channel/)
}
EVERY_CHANNEL = ("telegram", "sms", *PHONES)


@asynccontextmanager
async def her_phone(channel: str, settings_env: dict[str, object], keyring: KeyRing, *,
                    start: datetime | None = None) -> AsyncIterator[HerPhone]:
    """The service on `channel` (any of EVERY_CHANNEL) against its fake provider, on a ManualClock that
    starts now: column defaults (the outbox's next attempt) still read the wall clock at this
    commit, so a clock set in the past would leave replies never due. Her windows are all day,
    so the hour does not matter; tests that need another time move the clock forward."""
    clock = ManualClock(start or datetime.now(UTC), tick=True)
    async with aiohttp.ClientSession() as http:
        if channel in PHONES:
            async with PHONES[channel](settings_env, keyring, clock, http) as (svc, base, device):
                yield HerPhone(channel, svc, clock, http, base, device=device)
            return
        if channel == "telegram":
            async with FakeTelegram(TOKEN) as fake:
                svc = create_service(load_settings(**_telegram_env(settings_env, fake)), keyring=keyring, clock=clock)
                async with serve_app(svc.web_app()) as base:
                    yield HerPhone(channel, svc, clock, http, base, telegram=fake)
            return
        async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER) as twilio:
            env = running.twilio_env(settings_env, twilio, PUBLIC, send_timeout=3, sms_rate=1000)
            svc = create_service(load_settings(**env), keyring=keyring, clock=clock)
            async with serve_app(svc.web_app()) as base:
                twilio.route_public(PUBLIC, base)
                yield HerPhone(channel, svc, clock, http, base, twilio=twilio)
