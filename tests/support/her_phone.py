"""Her phone on any channel, driven from outside: the whole service against the fake Bot API, the fake
Twilio, the simulator's chat API or a test channel's own fake (PHONES below), on a clock the test sets,
and what her screen or thread shows after each thing she does. Tests ask `her.caps` (the channel's
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
from nlu.service import NluService
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
SIM_USER = "her-simulator-phone"
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
    """Her phone on a channel that exists only in tests (tests/support/plain_channel/)."""

    address: str

    async def send(self, text: str) -> None: ...

    async def press(self, message_id: int, payload: str) -> None: ...

    def bot_messages(self) -> list[dict[str, Any]]: ...  # text, buttons [(payload, label)], message_id

    def screen_texts(self) -> list[str]: ...

    def her_messages(self) -> list[str]: ...


@dataclass
class HerPhone:
    channel: str  # its registry name: telegram / sms / simulator, or a test channel's
    svc: Service
    clock: ManualClock
    http: aiohttp.ClientSession
    base: str
    telegram: FakeTelegram | None = None
    twilio: FakeTwilio | None = None
    simulator: SimulatorChannel | None = None
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
        if self.simulator is not None:
            return [{**m, "message_id": m["id"]} for m in self.simulator.transcript(SIM_USER) if m["from"] == "bot"]
        if self.device is not None:
            return self.device.bot_messages()
        assert self.twilio is not None
        return [{"text": t, "buttons": []} for t in self.twilio.texts_to(HER_NUMBER)]

    def screen_texts(self) -> list[str]:
        """Everything on her screen, hers and ours."""
        if self.telegram is not None:
            return [str(m["text"]) for m in self.telegram.screen(CHAT)]
        if self.simulator is not None:
            return [str(m["text"]) for m in self.simulator.transcript(SIM_USER)]
        if self.device is not None:
            return self.device.screen_texts()
        assert self.twilio is not None
        return [e.body for e in self.twilio.thread(HER_NUMBER)]

    def her_messages(self) -> list[str]:
        """Her own messages still on her screen (Telegram, simulator) or in the thread (SMS)."""
        if self.telegram is not None:
            return [str(m["text"]) for m in self.telegram.screen(CHAT) if m["from"] == "user"]
        if self.simulator is not None:
            return [str(m["text"]) for m in self.simulator.transcript(SIM_USER) if m["from"] == "user"]
        if self.device is not None:
            return self.device.her_messages()
        assert self.twilio is not None
        return [e.body for e in self.twilio.thread(HER_NUMBER) if e.direction != "to_her"]

    # -- what she does -----------------------------------------------------------------------------
    async def send(self, text: str) -> Reply:
        before = len(self.bot_messages())
        if self.telegram is not None:
            status = await deliver(self.telegram.user_sends(CHAT, text), self.base + WEBHOOK_PATH, SECRET,
                                   session=self.http)
        elif self.simulator is not None:
            status = await self._simulator_post({"user": SIM_USER, "text": text})
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
        if self.simulator is not None:
            status = await self._simulator_post({"user": SIM_USER, "button": payload, "message": message_id})
            assert status == 200
            return await self._arrived(before)
        assert self.telegram is not None
        update = self.telegram.user_presses(CHAT, message_id, payload)
        assert await deliver(update, self.base + WEBHOOK_PATH, SECRET, session=self.http) == 200
        return await self._arrived(before)

    async def _simulator_post(self, body: dict[str, Any]) -> int:
        async with self.http.post(self.base + "/simulator/api/messages", json=body) as resp:
            await resp.read()
            return resp.status

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
        screen = [str(m["text"])[:80] for m in self.bot_messages()[-6:]]
        raise AssertionError(f"no option {label!r}; last reply: {self.last.texts!r}; her screen: {screen!r}")

    async def settled(self) -> None:
        await running.wait_until(lambda: running.nothing_due(self.svc), within=60.0)

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
        return str(CHAT) if self.telegram else HER_NUMBER if self.twilio else SIM_USER

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


def _tune(svc: Service, timers: bool, nlu: NluService | None) -> None:
    svc.timers = svc.timers if timers else ()
    if nlu is not None:
        svc.nlu = nlu


# her phone on a channel that lives only in tests: one line per channel (its folder has the rest)
PhoneService = Callable[[dict[str, object], KeyRing, ManualClock, aiohttp.ClientSession, Callable[[Service], None]],
                        AbstractAsyncContextManager[tuple[Service, str, Device]]]
PHONES: dict[str, PhoneService] = {
    "plain": plain_service,  # tests/support/plain_channel/
}
EVERY_CHANNEL = ("telegram", "sms", "simulator", *PHONES)


@asynccontextmanager
async def her_phone(channel: str, settings_env: dict[str, object], keyring: KeyRing, *,
                    start: datetime | None = None, timers: bool = True,
                    nlu: NluService | None = None) -> AsyncIterator[HerPhone]:
    """The service on `channel` (any of EVERY_CHANNEL) against its fake provider, on a
    ManualClock that starts now: column defaults (the outbox's next attempt) still read the wall
    clock at this commit, so a clock set in the past would leave replies never due. Her windows are
    all day, so the hour does not matter; tests that need another time move the clock forward.
    `timers=False`: the scheduler's ticks do not run by themselves (the test runs them when it
    moves the clock, so what arrives when is decided by the test alone). `nlu`: models already loaded,
    shared by many short-lived services (a test that starts one per example)."""
    clock = ManualClock(start or datetime.now(UTC), tick=True)
    async with aiohttp.ClientSession() as http:
        if channel in PHONES:
            tune = lambda svc: _tune(svc, timers, nlu)  # noqa: E731
            async with PHONES[channel](settings_env, keyring, clock, http, tune) as (svc, base, device):
                yield HerPhone(channel, svc, clock, http, base, device=device)
            return
        if channel == "telegram":
            async with FakeTelegram(TOKEN) as fake:
                svc = create_service(load_settings(**_telegram_env(settings_env, fake)), keyring=keyring, clock=clock)
                _tune(svc, timers, nlu)
                async with serve_app(svc.web_app()) as base:
                    yield HerPhone(channel, svc, clock, http, base, telegram=fake)
            return
        if channel == "simulator":
            svc = create_service(load_settings(**{**settings_env, "LIAISON_SIMULATOR": True}), keyring=keyring,
                                 clock=clock)
            _tune(svc, timers, nlu)
            simulator = svc.channels["simulator"]
            assert isinstance(simulator, SimulatorChannel)
            async with serve_app(svc.web_app()) as base:
                yield HerPhone(channel, svc, clock, http, base, simulator=simulator)
            return
        async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER) as twilio:
            env = running.twilio_env(settings_env, twilio, PUBLIC, send_timeout=30, sms_rate=1000)
            svc = create_service(load_settings(**env), keyring=keyring, clock=clock)
            _tune(svc, timers, nlu)
            async with serve_app(svc.web_app()) as base:
                twilio.route_public(PUBLIC, base)
                yield HerPhone(channel, svc, clock, http, base, twilio=twilio)
