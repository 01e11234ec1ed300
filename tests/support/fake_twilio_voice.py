"""A fake Twilio Voice for tests, on top of the fake SMS API (tests/support/fake_twilio.py): the same
server also takes `POST /2010-04-01/Accounts/{AccountSid}/Calls.json` as twilio's `Client.calls.create`
sends it, then plays the call as Twilio would, over the wire:

- rings `To` (status callbacks `initiated`, `ringing`, `answered`, `completed` to StatusCallback, as
  far as StatusCallbackEvent asks, signed); a phone may not answer, be busy, or be a machine;
- on answer fetches the call's TwiML (`Url`, POSTed and signed for the public URL, or `Twiml`) and
  runs it: <Say> is heard by the phone (and left on a machine: a voicemail), <Gather> takes the
  phone's key presses and POSTs `Digits` to its action (also empty, with actionOnEmptyResult),
  <Dial><Number> rings the number from `callerId` with answering machine detection (`AnsweredBy`),
  runs the Number's `url` on that leg before any bridge, bridges unless that leg hung up, then POSTs
  the Dial's action (DialCallStatus, DialCallDuration); <Hangup/> ends the leg. <Record> or any
  recording attribute is noted in `forbidden`.

Tests set phones with `fake.phone(number, answers=..., busy=..., machine=..., presses=...)`, wait
for every call to end with `await fake.calls_done()`, and read `phone.heard`, `phone.left`,
`phone.bridged_with`, `phone.caller_ids`, and `fake.twiml` (every TwiML document the service returned,
with the step it answered).
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.fake_twilio import API, E164, FakeTwilio, new_sid

RECORDING = ("record", "recordingStatusCallback", "transcribe", "transcribeCallback")


@dataclass
class Phone:
    number: str
    answers: bool = True
    busy: bool = False
    machine: bool = False
    presses: str = "1"  # the keys pressed at a <Gather> (a worker's phone takes the call with 1)
    talk_seconds: int = 42
    hold: asyncio.Event | None = None  # set: it rings until the test sets the event (a slow pick-up)
    rang: int = 0
    caller_ids: list[str] = field(default_factory=list)  # the number each call showed
    heard: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # words said to a machine: a voicemail
    bridged_with: list[str] = field(default_factory=list)


@dataclass
class CallRecord:
    sid: str
    to: str
    from_: str
    status: str = "queued"
    parent_sid: str | None = None
    direction: str = "outbound-api"
    duration: int = 0
    answered_by: str | None = None

    def as_json(self, account_sid: str) -> dict[str, Any]:
        return {"sid": self.sid, "account_sid": account_sid, "to": self.to, "from": self.from_,
                "status": self.status, "direction": self.direction, "api_version": "2010-04-01",
                "parent_call_sid": self.parent_sid, "duration": None, "answered_by": None,
                "uri": f"{API.format(account=account_sid)}/Calls/{self.sid}.json"}


@dataclass(frozen=True)
class Served:
    """One TwiML document our service returned, and the path of the step that returned it."""

    step: str
    twiml: str


class FakeTwilioVoice(FakeTwilio):
    def __init__(self, account_sid: str, auth_token: str, number: str = "+447700900000") -> None:
        super().__init__(account_sid, auth_token, number)
        self.phones: dict[str, Phone] = {}
        self.calls: dict[str, CallRecord] = {}
        self.twiml: list[Served] = []
        self.forbidden: list[str] = []
        self.callbacks: list[tuple[str, dict[str, str]]] = []  # (leg, form) of status callbacks sent
        self._tasks: set[asyncio.Task[None]] = set()

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_post(f"{API.format(account='{account}')}/Calls.json", self._create_call)
        return app

    def phone(self, number: str, **behaviour: Any) -> Phone:
        phone = self.phones.setdefault(number, Phone(number))
        for k, v in behaviour.items():
            setattr(phone, k, v)
        return phone

    async def calls_done(self, within: float = 60.0) -> None:
        """Wait until every call placed so far (and those they placed) has ended."""
        async with asyncio.timeout(within):
            while self._tasks:
                await asyncio.gather(*list(self._tasks))

    # --- the REST API ------------------------------------------------------------------------

    async def _create_call(self, request: web.Request) -> web.Response:
        early, _fault, form = await self._begin(request, "create")
        if early is not None:
            return early
        multi = await request.post()
        to, from_ = form.get("To", ""), form.get("From", "")
        if not E164.fullmatch(to):
            return self._bad(21211, "Invalid 'To' Phone Number")
        if not from_:
            return self._bad(21603, "A 'From' phone number is required.")
        if not (form.get("Url") or form.get("Twiml")):
            return self._bad(21205, "Url or Twiml is required")
        for name in RECORDING:
            if name.lower() in {k.lower() for k in form}:
                self.forbidden.append(name)
        record = CallRecord(new_sid("CA"), to, from_)
        self.calls[record.sid] = record
        events = [str(v) for v in multi.getall("StatusCallbackEvent", [])] or ["completed"]
        task = asyncio.create_task(self._run(record, form, events))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response(record.as_json(self.account_sid), status=201)

    # --- playing a call ----------------------------------------------------------------------

    def _params(self, call: CallRecord) -> dict[str, str]:
        params = {"CallSid": call.sid, "AccountSid": self.account_sid, "From": call.from_, "To": call.to,
                  "CallStatus": call.status, "Direction": call.direction, "ApiVersion": "2010-04-01"}
        if call.parent_sid:
            params["ParentCallSid"] = call.parent_sid
        if call.answered_by:
            params["AnsweredBy"] = call.answered_by
        return params

    async def _post(self, url: str, form: dict[str, str]) -> str:
        reply = await self.deliver(form, self._local(url), url)
        assert reply.status == 200, f"our service answered {reply.status} to {url}"
        return reply.text

    async def _fetch(self, url: str, form: dict[str, str]) -> ET.Element:
        text = await self._post(url, form)
        self.twiml.append(Served(url.split("?")[0].rsplit("/", 1)[-1], text))
        root = ET.fromstring(text)
        assert root.tag == "Response", text
        return root

    async def _progress(self, call: CallRecord, url: str | None, events: list[str], event: str,
                        leg: str) -> None:
        if not url or event not in events:
            return
        form = {**self._params(call), "CallbackSource": "call-progress-events", "SequenceNumber": "0"}
        if event == "completed":
            form["CallDuration"] = str(call.duration)
        self.callbacks.append((leg, form))
        await self._post(url, form)

    async def _ring(self, call: CallRecord, phone: Phone, amd: bool, status_url: str | None,
                    events: list[str], leg: str) -> bool:
        """Ring `phone`: True when answered (its AnsweredBy set with detection on), else the call ends."""
        phone.rang += 1
        phone.caller_ids.append(call.from_)
        call.status = "initiated"
        await self._progress(call, status_url, events, "initiated", leg)
        call.status = "ringing"
        await self._progress(call, status_url, events, "ringing", leg)
        if phone.hold is not None:
            await phone.hold.wait()
        if phone.busy or not phone.answers:
            call.status = "busy" if phone.busy else "no-answer"
            await self._progress(call, status_url, events, "completed", leg)
            return False
        call.status = "in-progress"
        if amd:
            call.answered_by = "machine_start" if phone.machine else "human"
        await self._progress(call, status_url, events, "answered", leg)
        return True

    async def _run(self, call: CallRecord, form: dict[str, str], events: list[str]) -> None:
        phone = self.phone(call.to)
        status_url = form.get("StatusCallback")
        if not await self._ring(call, phone, form.get("MachineDetection") in ("Enable", "DetectMessageEnd"),
                                status_url, events, "parent"):
            return
        if form.get("Twiml"):
            doc = ET.fromstring(form["Twiml"])
        else:
            doc = await self._fetch(form["Url"], self._params(call))
        await self._execute(doc, call, phone)
        call.status = "completed"
        call.duration = max(call.duration, 5)
        await self._progress(call, status_url, events, "completed", "parent")

    async def _execute(self, doc: ET.Element, call: CallRecord, phone: Phone) -> str:
        """Run one TwiML document on one leg; returns "hangup" or "end"."""
        for verb in doc:
            if any(a in verb.attrib for a in RECORDING) or verb.tag in ("Record", "Transcription"):
                self.forbidden.append(verb.tag)
            if verb.tag == "Say":
                self._say(phone, verb.text or "")
            elif verb.tag == "Hangup":
                return "hangup"
            elif verb.tag == "Gather":
                for inner in verb:
                    if inner.tag == "Say":
                        self._say(phone, inner.text or "")
                keys = "" if phone.machine else phone.presses[: int(verb.attrib.get("numDigits", "1"))]
                if keys or verb.attrib.get("actionOnEmptyResult") == "true":
                    action = verb.attrib["action"]
                    then = await self._fetch(action, {**self._params(call), "Digits": keys,
                                                      "FinishedOnKey": ""})
                    return await self._execute(then, call, phone)
            elif verb.tag == "Dial":
                return await self._dial(verb, call, phone)
        return "end"

    def _say(self, phone: Phone, words: str) -> None:
        phone.heard.append(words)
        if phone.machine:
            phone.left.append(words)

    async def _dial(self, dial: ET.Element, parent: CallRecord, parent_phone: Phone) -> str:
        (number,) = [n for n in dial if n.tag == "Number"]
        child = CallRecord(new_sid("CA"), (number.text or "").strip(), dial.attrib.get("callerId", parent.from_),
                           parent_sid=parent.sid, direction="outbound-dial")
        self.calls[child.sid] = child
        her = self.phone(child.to)
        status_url = number.attrib.get("statusCallback")
        events = number.attrib.get("statusCallbackEvent", "completed").split()
        bridged = False
        if await self._ring(child, her, number.attrib.get("machineDetection") in ("Enable", "DetectMessageEnd"),
                            status_url, events, "child"):
            outcome = "end"
            if number.attrib.get("url"):
                whisper = await self._fetch(number.attrib["url"], self._params(child))
                outcome = await self._execute(whisper, child, her)
            if outcome != "hangup":
                bridged = True
                parent_phone.bridged_with.append(her.number)
                her.bridged_with.append(parent_phone.number)
            child.status, child.duration = "completed", her.talk_seconds if bridged else 6
            await self._progress(child, status_url, events, "completed", "child")
        dial_status = child.status if child.status in ("busy", "no-answer", "failed") else "completed"
        parent.duration += child.duration + 10
        if dial.attrib.get("action"):
            then = await self._fetch(dial.attrib["action"], {
                **self._params(parent), "DialCallStatus": dial_status, "DialCallSid": child.sid,
                "DialCallDuration": str(child.duration if bridged else 0), "DialBridged": str(bridged).lower()})
            return await self._execute(then, parent, parent_phone)
        return "end"
