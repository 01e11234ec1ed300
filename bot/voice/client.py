"""Placing calls through twilio's own `Client.calls.create_async`, over the SMS channel's HTTP client
(bot/channels/sms/channel.py: a timeout on every request, TWILIO_API_BASE for a fake Twilio in tests,
no copy of the request kept), so nothing blocks the event loop. Errors carry status and code only:
Twilio's messages can echo a number."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException

from bot.channels.simulator.voice_account import SIMULATED, SIMULATED_API
from bot.settings import Settings

VOICE_PATH = "/webhooks/twilio/voice"


class CallError(Exception):
    """Twilio did not place the call (status and code only, never its message)."""


@dataclass(frozen=True)
class VoiceSettings:
    account_sid: str
    auth_token: str
    number: str  # the service's number: the only one she or the worker ever sees
    public_url: str
    api_base: str
    timeout: float


class VoiceClient:
    def __init__(self, config: VoiceSettings) -> None:
        # twilio's HTTP stack (requests and its kin, about 5 MB resident) is imported only where a call
        # can be placed: a service with Telegram alone never loads it (tests/liaison/test_light_imports.py)
        from twilio.rest import Client

        from bot.channels.sms.channel import TwilioHttp

        self.config = config
        self.http = TwilioHttp(config.timeout, config.api_base)
        self.client = Client(config.account_sid, config.auth_token, http_client=self.http)

    @classmethod
    def from_settings(cls, settings: Settings) -> VoiceClient | None:
        number = settings.twilio_voice_from or settings.twilio_from
        if not (settings.twilio_account_sid and settings.twilio_auth_token and number):
            return cls.simulated(settings) if settings.simulator_enabled else None
        return cls(VoiceSettings(settings.twilio_account_sid, settings.twilio_auth_token, number,
                                 settings.public_url.rstrip("/"), settings.twilio_api_base, settings.send_timeout))

    @classmethod
    def simulated(cls, settings: Settings) -> VoiceClient:
        """Calls played by the simulator's phone panel, on this service's own address (no Twilio account)."""
        base = settings.public_url.rstrip("/")
        return cls(VoiceSettings(SIMULATED.account_sid, SIMULATED.auth_token, SIMULATED.number, base,
                                 base + SIMULATED_API, settings.send_timeout))

    def url(self, step: str, token: str, **query: str) -> str:
        extra = "".join(f"&{k}={v}" for k, v in query.items())
        return f"{self.config.public_url}{VOICE_PATH}/{step}?c={token}{extra}"

    async def ring_worker(self, worker_number: str, token: str) -> str:
        """Ring the worker's own phone; when they answer, Twilio fetches the worker step. Returns the sid."""
        return await self._create(
            to=worker_number, from_=self.config.number, url=self.url("worker", token), method="POST",
            status_callback=self.url("status", token, leg="worker"), status_callback_method="POST",
            status_callback_event=["initiated", "ringing", "answered", "completed"], timeout=30,
            machine_detection="Enable")

    async def say_code(self, number: str, twiml: str) -> str:
        """Ring a worker's phone to say their verification code (the TwiML travels with the request)."""
        return await self._create(to=number, from_=self.config.number, twiml=twiml, timeout=30)

    async def _create(self, **params: object) -> str:
        try:
            call = await self.client.calls.create_async(**params)  # type: ignore[arg-type]
        except TwilioRestException as exc:
            raise CallError(f"twilio http {exc.status} code {exc.code}") from None
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError, TwilioException) as exc:
            raise CallError(f"twilio call request failed ({type(exc).__name__})") from None
        if not call.sid:
            raise CallError("twilio accepted the call without a sid")
        return str(call.sid)

    async def close(self) -> None:
        await self.http.close()
