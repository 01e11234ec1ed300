"""Conversation scripts: a person's phone talking to the running service through the simulator API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from bot.enrolment import create_invitation
from tests.support.http import serve_app


class Reply:
    """The bot's messages that arrived on her phone after one thing she did."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages

    @property
    def texts(self) -> list[str]:
        return [str(m["text"]) for m in self.messages]

    @property
    def text(self) -> str:
        return "\n---\n".join(self.texts)

    @property
    def buttons(self) -> list[list[str]]:
        return [b for m in self.messages for b in m["buttons"]]

    def says(self, fragment: str) -> bool:
        return fragment.casefold() in self.text.casefold()

    def __repr__(self) -> str:
        return f"Reply({self.texts!r})"


class Phone:
    """One simulated phone: send text, tap buttons, read what arrived."""

    def __init__(self, chat: Chat, user: str) -> None:
        self.chat, self.user = chat, user
        self.seen: set[int] = set()
        self.last = Reply([])
        self.screen: list[dict[str, Any]] = []

    async def _post(self, body: dict[str, Any]) -> Reply:
        async with self.chat.http.post(f"{self.chat.base}/simulator/api/messages",
                                       json={"user": self.user, **body}) as resp:
            assert resp.status == 200, await resp.text()
            data = await resp.json()
        self.screen = data["messages"]
        new = [m for m in self.screen if m["from"] == "bot" and m["id"] not in self.seen]
        self.seen.update(m["id"] for m in self.screen)
        self.last = Reply(new)
        return self.last

    async def send(self, text: str) -> Reply:
        return await self._post({"text": text})

    async def press(self, payload: str) -> Reply:
        return await self._post({"button": payload})

    async def tap(self, label: str) -> Reply:
        """Tap the button on the latest message whose label contains `label`."""
        for msg in reversed([m for m in self.screen if m["from"] == "bot"]):
            for payload, text in msg["buttons"]:
                if label.casefold() in text.casefold():
                    return await self.press(payload)
        raise AssertionError(f"no button {label!r} on screen; last reply: {self.last!r}")


class Chat:
    def __init__(self, service: Any, http: aiohttp.ClientSession, base: str) -> None:
        self.service, self.http, self.base = service, http, base

    def phone(self, user: str = "her-phone") -> Phone:
        return Phone(self, user)

    async def invite(self, locale: str = "en", country: str = "GB", valid_for: timedelta = timedelta(hours=72),
                     channel: str = "simulator") -> str:
        async with self.service.db.transaction() as s:
            created = await create_invitation(s, self.service.keyring, channel=channel, locale=locale,
                                              country=country, created_by="worker-1", now=self.service.clock(),
                                              valid_for=valid_for)
        return created.display_code

    def clock(self, offset: timedelta) -> None:
        """Move the service's idea of 'now' (flow timeouts, unlock periods, PIN lockout)."""
        self.service.clock.offset = offset


@pytest.fixture
async def chat(service: Any) -> AsyncIterator[Chat]:
    async with serve_app(service.web_app()) as base, aiohttp.ClientSession() as http:
        yield Chat(service, http, base)


async def enrol(phone: Phone, code: str, *, persona: str = "Green Thumbs", pin: str = "4821",
                duress: str = "7395", consents: tuple[str, str, str] = ("Yes", "Yes", "Yes")) -> Reply:
    """The whole onboarding, answered the usual way (used by scripts that test what comes after)."""
    await phone.send(code)
    await phone.tap("Continue")
    await phone.tap("Continue")
    for answer in consents:
        await phone.tap(answer)
    await phone.tap(persona)
    await phone.send(pin)
    await phone.send(pin)
    await phone.send(duress)
    await phone.send(duress)
    return await phone.tap("Later")


async def enrol_in_german(phone: Phone, chat: Chat) -> Reply:
    """The whole onboarding in German (invited with locale de, country DE), answered the usual way."""
    await phone.send(await chat.invite(locale="de", country="DE"))
    await phone.tap("Weiter")
    await phone.tap("Weiter")
    for answer in ("ja", "ja", "ja"):
        await phone.send(answer)
    await phone.tap("Gartenfreunde")
    for pin in ("4821", "4821", "7395", "7395"):
        await phone.send(pin)
    return await phone.tap("Mo–Fr 17:00–20:00")
