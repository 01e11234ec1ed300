"""The simulator's "phone call" panel: a stand-in for Twilio Voice, so `make demo` shows a whole "Call
her now" with no Twilio account (its account: voice_account.py). It takes twilio's `Calls.json` create
as the real API does (the service's voice client points at it: bot/voice/client.py, `simulated`), then
plays the call over the service's own signed webhooks, stopping where a person decides: the worker
answers or not; her phone is answered by her, by a machine, not at all, or is busy; she presses 1,
another key or nothing. The panel (/simulator/phone) shows what each phone heard and how the call ended.

A demonstration only: production refuses the simulator (bot/startup_checks.py).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.channels.simulator.voice_account import SIMULATED, SIMULATED_API
from bot.request_bodies import BadBody, json_body

PAGE = Path(__file__).parent / "phone.html"
SCRIPT = Path(__file__).parent / "phone.js"
CHOICES = {
    "worker": ("answer", "voicemail", "decline"),
    "worker_key": ("press_1", "no_key"),
    "her": ("answer", "machine", "no_answer", "busy"),
    "key": ("1", "2", "none"),
}
WAIT_SECONDS = 300  # a decision nobody makes ends the call as unanswered


@dataclass
class SimCall:
    sid: str
    to: str
    from_: str
    lines: list[str] = field(default_factory=list)  # what happened, in order, as the panel shows it
    waiting: str | None = None  # "worker", "her" or "key": the decision the call waits for
    ended: bool = False
    decision: asyncio.Future[str] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"sid": self.sid, "lines": self.lines, "waiting": self.waiting,
                "choices": list(CHOICES.get(self.waiting or "", ())), "ended": self.ended}


class SimulatedVoice:
    def __init__(self) -> None:
        self.calls: dict[str, SimCall] = {}
        self.validator = RequestValidator(SIMULATED.auth_token)
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None

    # --- the REST API as twilio's client calls it ---------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        expected = base64.b64encode(f"{SIMULATED.account_sid}:{SIMULATED.auth_token}".encode()).decode()
        if not hmac.compare_digest(request.headers.get("Authorization", ""), f"Basic {expected}"):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        form = await request.post()
        fields = {k: str(v) for k, v in form.items()}
        call = SimCall("CA" + secrets.token_hex(16), fields.get("To", ""), fields.get("From", ""))
        self.calls[call.sid] = call
        task = asyncio.create_task(self._run(call, fields, [str(v) for v in form.getall("StatusCallbackEvent", [])]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({"sid": call.sid, "account_sid": SIMULATED.account_sid, "to": call.to,
                                  "from": call.from_, "status": "queued", "direction": "outbound-api",
                                  "api_version": "2010-04-01"}, status=201)

    # --- the panel -----------------------------------------------------------------------------

    async def decide(self, sid: str, choice: str) -> bool:
        call = self.calls.get(sid)
        if call is None or call.decision is None or call.decision.done() or \
                choice not in CHOICES.get(call.waiting or "", ()):
            return False
        call.decision.set_result(choice)
        return True

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._http is not None:
            await self._http.close()

    # --- playing the call ------------------------------------------------------------------------

    async def _ask(self, call: SimCall, what: str) -> str:
        call.waiting, call.decision = what, asyncio.get_running_loop().create_future()
        try:
            return await asyncio.wait_for(call.decision, WAIT_SECONDS)
        except TimeoutError:
            return CHOICES[what][-1]
        finally:
            call.waiting, call.decision = None, None

    async def _post(self, url: str, form: dict[str, str]) -> str:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, form)}
        async with self._http.post(url, data=form, headers=headers) as resp:
            return await resp.text()

    def _params(self, sid: str, to: str, from_: str, status: str, **extra: str) -> dict[str, str]:
        return {"CallSid": sid, "AccountSid": SIMULATED.account_sid, "From": from_, "To": to,
                "CallStatus": status, "ApiVersion": "2010-04-01", **extra}

    async def _status(self, url: str | None, events: list[str], event: str, form: dict[str, str]) -> None:
        if url and event in (events or ["completed"]):
            await self._post(url, form)

    async def _run(self, call: SimCall, fields: dict[str, str], events: list[str]) -> None:
        status_url = fields.get("StatusCallback")
        try:
            call.lines.append(f"The worker's phone ({call.to}) rings, showing {call.from_}.")
            await self._status(status_url, events, "ringing", self._params(call.sid, call.to, call.from_, "ringing"))
            answer = await self._ask(call, "worker")
            if answer == "decline":
                call.lines.append("The worker did not answer: she is not rung.")
                await self._status(status_url, events, "completed",
                                   self._params(call.sid, call.to, call.from_, "no-answer", CallDuration="0"))
                return
            machine = answer == "voicemail"
            call.lines.append("The worker's voicemail picks up." if machine else "The worker answers.")
            amd = {"AnsweredBy": "machine_start" if machine else "human"} if fields.get("MachineDetection") else {}
            await self._status(status_url, events, "answered",
                               self._params(call.sid, call.to, call.from_, "in-progress", **amd))
            if fields.get("Twiml"):
                doc = ET.fromstring(fields["Twiml"])
            else:
                doc = ET.fromstring(await self._post(fields["Url"], self._params(call.sid, call.to, call.from_,
                                                                                  "in-progress", **amd)))
            await self._execute(call, doc, "worker", call.sid, call.to, call.from_, machine=machine)
            await self._status(status_url, events, "completed",
                               self._params(call.sid, call.to, call.from_, "completed", CallDuration="60"))
        finally:
            call.ended = True
            call.lines.append("The call has ended.")

    async def _execute(self, call: SimCall, doc: ET.Element, who: str, sid: str, to: str, from_: str,
                       machine: bool) -> str:
        for verb in doc:
            if verb.tag == "Say":
                self._heard(call, who, verb.text or "", machine)
            elif verb.tag == "Hangup":
                call.lines.append(f"The service hangs up on {'her phone' if who == 'her' else 'the worker'}.")
                return "hangup"
            elif verb.tag == "Gather":
                for inner in verb:
                    if inner.tag == "Say":
                        self._heard(call, who, inner.text or "", machine)
                if who == "worker":
                    key = "none" if machine else await self._ask(call, "worker_key")
                    digits = "1" if key == "press_1" else ""
                    call.lines.append("The worker presses 1." if digits else "The worker presses nothing.")
                else:
                    key = "none" if machine else await self._ask(call, "key")
                    digits = "" if key == "none" else key
                    call.lines.append(f"She presses {digits}." if digits else "She presses nothing.")
                if digits or verb.attrib.get("actionOnEmptyResult") == "true":
                    then = await self._post(verb.attrib["action"], self._params(sid, to, from_, "in-progress",
                                                                                Digits=digits))
                    return await self._execute(call, ET.fromstring(then), who, sid, to, from_, machine)
            elif verb.tag == "Dial":
                return await self._dial(call, verb, sid, to, from_)
        return "end"

    def _heard(self, call: SimCall, who: str, words: str, machine: bool) -> None:
        if machine:
            whose = "HER" if who == "her" else "THE WORKER'S"
            call.lines.append(f"LEFT ON {whose} VOICEMAIL: \u201c{words}\u201d")
        else:
            call.lines.append(f"{'She' if who == 'her' else 'The worker'} hears: \u201c{words}\u201d")

    async def _dial(self, call: SimCall, dial: ET.Element, parent_sid: str, parent_to: str, parent_from: str) -> str:
        number = next(n for n in dial if n.tag == "Number")
        her, caller = (number.text or "").strip(), dial.attrib.get("callerId", parent_from)
        sid = "CA" + secrets.token_hex(16)
        status_url = number.attrib.get("statusCallback")
        events = number.attrib.get("statusCallbackEvent", "completed").split()
        call.lines.append(f"Her phone ({her}) rings, showing {caller}.")
        answer = await self._ask(call, "her")
        bridged, dial_status = False, "completed"
        if answer in ("no_answer", "busy"):
            dial_status = "no-answer" if answer == "no_answer" else "busy"
            call.lines.append("Her phone is busy." if answer == "busy" else "Nobody answers her phone.")
            await self._status(status_url, events, "completed", self._params(sid, her, caller, dial_status,
                                                                             ParentCallSid=parent_sid))
        else:
            machine = answer == "machine"
            answered_by = "machine_start" if machine else "human"
            call.lines.append("Her voicemail picks up." if machine else "She answers.")
            await self._status(status_url, events, "answered", self._params(
                sid, her, caller, "in-progress", ParentCallSid=parent_sid, AnsweredBy=answered_by))
            outcome = "end"
            if number.attrib.get("url"):
                doc = await self._post(number.attrib["url"], self._params(
                    sid, her, caller, "in-progress", ParentCallSid=parent_sid, AnsweredBy=answered_by))
                outcome = await self._execute(call, ET.fromstring(doc), "her", sid, her, caller, machine)
            bridged = outcome != "hangup"
            if bridged:
                call.lines.append("Connected: the worker and she talk (nothing is recorded).")
            await self._status(status_url, events, "completed", self._params(
                sid, her, caller, "completed", ParentCallSid=parent_sid, CallDuration="45" if bridged else "6"))
        if dial.attrib.get("action"):
            then = await self._post(dial.attrib["action"], self._params(
                parent_sid, parent_to, parent_from, "in-progress", DialCallStatus=dial_status, DialCallSid=sid,
                DialCallDuration="45" if bridged else "0"))
            return await self._execute(call, ET.fromstring(then), "worker", parent_sid, parent_to, parent_from,
                                       machine=False)
        return "end"


def phone_routes(voice: SimulatedVoice) -> list[web.RouteDef]:
    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=PAGE.read_text(encoding="utf-8"), content_type="text/html")

    async def script(_request: web.Request) -> web.Response:
        return web.Response(text=SCRIPT.read_text(encoding="utf-8"), content_type="application/javascript")

    async def calls(_request: web.Request) -> web.Response:
        return web.json_response({"calls": [c.as_json() for c in reversed(list(voice.calls.values()))][:10]})

    async def act(request: web.Request) -> web.Response:
        data = await json_body(request)
        if isinstance(data, BadBody) or not isinstance(data, dict):
            return web.json_response({"error": "a JSON object with 'choice'"}, status=400)
        ok = await voice.decide(request.match_info["sid"], str(data.get("choice", "")))
        return web.json_response({"ok": ok}, status=200 if ok else 409)

    return [
        web.get("/simulator/phone", page),
        web.get("/simulator/phone.js", script),
        web.get("/simulator/api/calls", calls),
        web.post("/simulator/api/calls/{sid}", act),
        web.post(SIMULATED_API + "/2010-04-01/Accounts/{account}/Calls.json", voice.create),
    ]
