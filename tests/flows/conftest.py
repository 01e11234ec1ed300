"""Pure flow tests: a context without a database, and PINs without argon2."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.registry import capabilities
from flows.types import Context, Profile
from safety.pin import PinMatch

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)  # a Monday
PIN, DURESS = "4821", "7395"


class FakePins:
    """Stands in for safety.pin.SurvivorPins: same contract, no cost."""

    def __init__(self, pin: str | None = PIN, duress: str | None = DURESS) -> None:
        self.pin, self.duress = pin, duress

    def hash(self, pin: str) -> str:
        return "h:" + pin

    def matches(self, pin_hash: str, pin: str) -> bool:
        return pin_hash == "h:" + pin

    def check(self, pin: str) -> PinMatch:
        return "duress" if pin == self.duress else "pin" if pin == self.pin else "wrong"


def profile(**changes: Any) -> Profile:
    base = Profile(status="active", locale="en", country="GB", timezone="Europe/London", persona="garden",
                   plain_mode=False, contact_windows=[], expiry_minutes=60, unlock_minutes=10, has_pin=True,
                   consents={"information": True, "checkins": True, "evaluation": True})
    return replace(base, **changes)


def context(channel: str = "simulator", now: datetime = NOW, pins: FakePins | None = None, **changes: Any) -> Context:
    return Context(now=now, channel=channel, caps=capabilities(channel), profile=profile(**changes),
                   pins=pins or FakePins(),
                   consent_versions={"information": "v1", "checkins": "v1", "evaluation": "v1"},
                   timezones=frozenset({"Europe/London", "Europe/Paris"}))


@pytest.fixture
def ctx() -> Context:
    return context()
