"""The simulator's stand-in for Twilio Voice (bot/channels/simulator/phone.py plays the calls; the voice
client, bot/voice/client.py, points at it when there is no Twilio account)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Simulated:
    """A made-up account and a token new in every process, so only this process can sign its calls'
    webhooks."""

    account_sid: str
    auth_token: str
    number: str


SIMULATED = Simulated("AC" + "5" * 32, secrets.token_hex(16), "+15005550006")
SIMULATED_API = "/simulator/twilio"
