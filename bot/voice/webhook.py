"""Twilio's requests during a call (`POST /webhooks/twilio/voice/{step}?c=<call token>`), each signed
(X-Twilio-Signature checked with twilio's RequestValidator against LIAISON_PUBLIC_URL + path + query,
and the AccountSid ours, as for the SMS webhooks); anything unsigned gets 403 and changes nothing.

The steps, in order (the TwiML of each: bot/voice/twiml.py):
- `worker`: the worker's own phone was answered: a machine gets <Hangup/> (their voicemail never hears
  of her); a person is asked to press 1 (<Gather numDigits=1>);
- `ready`: the worker's 1: the whisper, then <Dial><Number> to her from the service's number, with
  answering machine detection and `her` as the check run before any bridge; no 1: <Hangup/>;
- `her`: her phone was answered: a machine gets <Hangup/> at once; a person hears her cover's
  neutral line in a <Gather numDigits=1>;
- `key`: her key: "1" gets an empty <Response/> (the bridge); no key or another key <Hangup/>;
- `dial-done`: the <Dial> ended: the worker hears what happened, then <Hangup/>;
- `status?leg=worker|her`: call progress (durations, AnsweredBy, final statuses); the worker leg's
  end ends the call record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from aiohttp import web
from multidict import MultiDict
from sqlalchemy.ext.asyncio import AsyncSession
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from bot import catalog
from bot.channels.text_guard import valid_identifier
from bot.logs import log_event
from bot.request_bodies import BadBody, form_body
from bot.storage.models import PhoneCall, Survivor
from bot.voice import calls, twiml
from bot.voice.client import VOICE_PATH, VoiceClient
from flows.phone_call import CONFIRM_KEY, OUTCOME_LABELS, is_machine, whisper
from safety.disguise import Disguise

if TYPE_CHECKING:
    from datetime import datetime

    from bot.channels.host import ServiceCore

    class VoiceHost(ServiceCore, Protocol):
        """What a call's webhooks need of the service: the core and its clock."""

        def clock(self) -> datetime: ...

Step = Callable[[AsyncSession, PhoneCall, MultiDict[str], web.Request], Awaitable[str]]


def _xml(body: str, status: int = 200) -> web.Response:
    return web.Response(status=status, text=body, content_type="text/xml")


def spoken_title(locale: str, persona: str | None, plain: bool) -> str:
    """Her cover's name as a voice says it (the title without its emoji)."""
    title = catalog.title(locale, Disguise.of(persona, plain))
    return "".join(ch for ch in title if ch.isalnum() or ch in " '-&").strip()


def check_line(survivor: Survivor | None) -> tuple[str, str]:
    """(the neutral line she hears, her locale): her cover persona's name and the key prompt."""
    locale = survivor.locale if survivor is not None else "en"
    persona = survivor.persona if survivor is not None else None
    plain = bool(survivor.plain_mode) if survivor is not None else False
    return catalog.text(locale, "call.check", persona_name=spoken_title(locale, persona, plain)), locale


def routes(service: VoiceHost, voice: VoiceClient) -> list[web.RouteDef]:
    settings = service.settings
    validator = RequestValidator(voice.config.auth_token)
    public_base = settings.public_url.rstrip("/")
    account_sid = voice.config.account_sid

    async def signed(request: web.Request) -> MultiDict[str] | web.Response:
        fields = await form_body(request)
        if isinstance(fields, BadBody):
            log_event("voice.webhook_bad_body", status=fields.status)
            return web.Response(status=fields.status, text=fields.reason)
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if (not signature or not validator.validate(public_base + request.raw_path, fields, signature)
                or fields.get("AccountSid") != account_sid):
            log_event("voice.webhook_rejected", signed=bool(signature))
            return web.Response(status=403, text="forbidden")
        return fields

    def step(name: str, handle: Step) -> web.RouteDef:
        async def handler(request: web.Request) -> web.Response:
            form = await signed(request)
            if isinstance(form, web.Response):
                return form
            token = request.query.get("c", "")
            if not token or not valid_identifier(token) or len(token) > 64:
                return _xml(twiml.end_silently(), 400)
            async with service.db.transaction() as s:
                call = await calls.call_by_token(s, token)
                if call is None:
                    log_event("voice.unknown_call", step=name)
                    return _xml(twiml.end_silently())
                body = await handle(s, call, form, request)
            log_event("voice.step", step=name, stage=call.stage, outcome=call.outcome)
            return _xml(body)
        return web.post(f"{VOICE_PATH}/{name}", handler)

    async def worker(_s: AsyncSession, call: PhoneCall, form: MultiDict[str], _request: web.Request) -> str:
        if call.ended_at is not None or not call.her_number or is_machine(form.get("AnsweredBy")):
            return twiml.end_silently()
        return twiml.worker_ready(voice.url("ready", call.token))

    async def ready(s: AsyncSession, call: PhoneCall, form: MultiDict[str], _request: web.Request) -> str:
        if call.ended_at is not None or not call.her_number or call.stage != "ringing_worker" \
                or form.get("Digits") != CONFIRM_KEY:
            return twiml.end_silently()
        calls.worker_answered(call)
        name, pseudonym, safe_word, reason = await calls.whisper_facts(s, call)
        return twiml.worker_leg(whisper(name, pseudonym, safe_word, reason), call.her_number, voice.config.number,
                                voice.url("her", call.token), voice.url("status", call.token, leg="her"),
                                voice.url("dial-done", call.token))

    async def her(s: AsyncSession, call: PhoneCall, form: MultiDict[str], _request: web.Request) -> str:
        if call.ended_at is not None or not calls.her_answered(call, form.get("AnsweredBy"), form.get("CallSid")):
            return twiml.end_silently()
        survivor = await s.get(Survivor, call.survivor_id) if call.survivor_id else None
        line, locale = check_line(survivor)
        return twiml.ask_her(line, locale, voice.url("key", call.token))

    async def key(_s: AsyncSession, call: PhoneCall, form: MultiDict[str], _request: web.Request) -> str:
        if call.ended_at is None and call.stage == "asking" and calls.her_pressed(call, form.get("Digits")):
            return twiml.bridge()
        return twiml.end_silently()

    async def dial_done(_s: AsyncSession, call: PhoneCall, form: MultiDict[str], _request: web.Request) -> str:
        calls.dial_ended(call, (form.get("DialCallStatus") or "").lower())
        label = OUTCOME_LABELS.get(call.outcome, "ended") if call.outcome else "ended"  # type: ignore[call-overload]
        return twiml.worker_after(f"The call has ended: {label}.")

    async def status(s: AsyncSession, call: PhoneCall, form: MultiDict[str], request: web.Request) -> str:
        leg = request.query.get("leg", "")
        if leg in ("worker", "her"):
            await calls.leg_status(s, call, leg, (form.get("CallStatus") or "").lower(),
                                   form.get("CallDuration"), form.get("AnsweredBy"), form.get("CallSid"),
                                   service.clock())
        return twiml.empty()  # a status callback needs no instructions

    return [step("worker", worker), step("ready", ready), step("her", her), step("key", key),
            step("dial-done", dial_done), step("status", status)]
