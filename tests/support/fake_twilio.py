"""A fake Twilio for tests: its REST API, as the official twilio library calls it, and Twilio's
side of the webhooks (her texts, delivery status callbacks), signed as Twilio signs them.

Serve it with `async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:` and point
TWILIO_API_BASE at `fake.base_url`. What tests assert on (quick exit deletes message records,
pausing outbound holds texts, and so on):

- `fake.thread(number)`: her phone's SMS thread with us, oldest first: what someone holding her
  phone would see. Deleting provider records does not touch it: an SMS cannot be unsent.
- `fake.records`: the message records Twilio holds (sid -> `MessageRecord`), hers and ours;
  `fake.deleted`: sids removed by `DELETE .../Messages/{sid}.json`, in order.
- `fake.requests`: every REST request (method, path, form, whether authenticated), so a test
  can check what the provider actually received, not only what our code meant to send.

The wire format is Twilio's 2010-04-01 API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
(form-encoded, HTTP basic auth with account sid and auth token) answers 201 with a Message
resource (sid "SM" + 32 hex, status "queued"); `GET`/`DELETE .../Messages/{MessageSid}.json`
answer 200 / 204, or 404 with Twilio's error shape {"code", "message", "more_info", "status"}.

Faults: `fake.inject(route, fault, times=n)` queues `n` answers for a route ("create", "fetch",
"delete"): `Fault.too_many_requests(retry_after)`, `Fault.server_error()`, `Fault.opted_out()`
(400, code 21610), `Fault.invalid_number()`, `Fault.slow(seconds)` (answers normally, late) and
`Fault.hang(seconds)` (the message is created and goes to her phone, then the answer is held
longer than the client's timeout: the in-doubt case). `fake.latency` adds a delay to every call;
`fake.opt_out(number)` makes every later send to that number fail with 21610, as after STOP.

Twilio's side: `user_sends(number, body)` records her text and returns the form Twilio would
post; `deliver(form, url, public_url)` posts it signed for `public_url` (the URL Twilio believes
it calls); `status_callback(sid, status, error_code)` posts to the StatusCallback URL the message
was created with, signed. `route_public(public_base, local_base)` says where that public URL is
served, as a reverse proxy would.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import time
from collections import defaultdict, deque
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from tests.support.http import serve_app

API = "/2010-04-01/Accounts/{account}"
E164 = re.compile(r"\+[1-9]\d{7,14}")
Route = Literal["create", "fetch", "delete"]


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


def _rfc2822(when: datetime) -> str:
    return format_datetime(when)


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


@dataclass(frozen=True)
class Fault:
    """One queued answer for a route. `status` >= 400: an error and nothing happens. Otherwise the
    request is handled normally after `delay`, and its answer held back `hold` seconds."""

    status: int = 200
    code: int | None = None
    message: str = ""
    retry_after: str | None = None
    delay: float = 0.0
    hold: float = 0.0

    @classmethod
    def too_many_requests(cls, retry_after: str | None = "1") -> Fault:
        return cls(429, 20429, "Too Many Requests", retry_after=retry_after)

    @classmethod
    def server_error(cls) -> Fault:
        return cls(500, 20500, "Internal Server Error")

    @classmethod
    def opted_out(cls) -> Fault:
        return cls(400, 21610, "Attempt to send to unsubscribed recipient")

    @classmethod
    def invalid_number(cls) -> Fault:
        return cls(400, 21211, "Invalid 'To' Phone Number")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls(delay=seconds)

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        return cls(hold=seconds)


@dataclass
class MessageRecord:
    """A Message resource as Twilio stores it (plus the StatusCallback it was created with)."""

    sid: str
    account_sid: str
    direction: str  # "outbound-api" or "inbound"
    from_: str | None
    to: str
    body: str
    status: str
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    error_code: int | None = None
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_json(self) -> dict[str, Any]:
        uri = f"{API.format(account=self.account_sid)}/Messages/{self.sid}.json"
        return {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": self.body,
            "date_created": _rfc2822(self.created), "date_updated": _rfc2822(self.created),
            "date_sent": None, "direction": self.direction, "error_code": self.error_code,
            "error_message": None, "from": self.from_, "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0", "num_segments": str(max(1, -(-len(self.body) // 153))), "price": None,
            "price_unit": "USD", "sid": self.sid, "status": self.status,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")}, "to": self.to, "uri": uri,
        }


@dataclass(frozen=True)
class SmsEntry:
    """One text in her phone's thread with us."""

    sid: str
    direction: Literal["to_her", "from_her"]
    body: str


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    form: dict[str, str]
    authenticated: bool
    user_agent: str
    at: float  # time.monotonic() when it arrived


@dataclass(frozen=True)
class Delivery:
    """What our service answered to a webhook."""

    status: int
    text: str
    content_type: str


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str, number: str = "+447700900000") -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.number = number  # our Twilio number, the `To` of her texts
        self.validator = RequestValidator(auth_token)
        self.records: dict[str, MessageRecord] = {}
        self.deleted: list[str] = []
        self.requests: list[ApiRequest] = []
        self.latency = 0.0
        self.base_url = ""
        self._threads: dict[str, list[SmsEntry]] = defaultdict(list)
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._opted_out: set[str] = set()
        self._public: dict[str, str] = {}
        self._closing = asyncio.Event()
        self._stack = AsyncExitStack()
        self._http: aiohttp.ClientSession | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeTwilio:
        self.base_url = await self._stack.enter_async_context(serve_app(self.app()))
        self._http = await self._stack.enter_async_context(aiohttp.ClientSession())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._closing.set()  # release hanging answers so the server can stop
        await self._stack.aclose()

    def app(self) -> web.Application:
        app = web.Application()
        base = API.format(account="{account}")
        app.add_routes([
            web.post(f"{base}/Messages.json", self._create),
            web.get(f"{base}/Messages/{{sid}}.json", self._fetch),
            web.delete(f"{base}/Messages/{{sid}}.json", self._delete),
        ])
        return app

    # --- what tests look at --------------------------------------------------------------------

    def thread(self, number: str) -> list[SmsEntry]:
        return list(self._threads.get(number, []))

    def texts_to(self, number: str) -> list[str]:
        return [e.body for e in self._threads.get(number, []) if e.direction == "to_her"]

    def creates(self) -> list[ApiRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/Messages.json")]

    # --- fault injection ---------------------------------------------------------------------

    def inject(self, route: Route, fault: Fault, times: int = 1) -> None:
        self._faults[route].extend([fault] * times)

    def opt_out(self, number: str) -> None:
        self._opted_out.add(number)

    # --- the REST API ------------------------------------------------------------------------

    def _authenticated(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return secrets.compare_digest(request.headers.get("Authorization", ""), f"Basic {expected}")

    async def _begin(self, request: web.Request,
                     route: Route) -> tuple[web.Response | None, Fault | None, dict[str, str]]:
        """Log the request, check auth, apply latency and a queued fault."""
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        authed = self._authenticated(request)
        self.requests.append(ApiRequest(request.method, request.path, form, authed,
                                        request.headers.get("User-Agent", ""), time.monotonic()))
        if not authed:
            return web.json_response(twilio_error(401, 20003, "Authenticate"), status=401), None, form
        if request.match_info["account"] != self.account_sid:
            return self._not_found(request), None, form
        fault = self._faults[route].popleft() if self._faults[route] else None
        delay = self.latency + (fault.delay if fault else 0.0)
        if delay:
            await asyncio.sleep(delay)
        if fault is not None and fault.status >= 400:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            body = twilio_error(fault.status, fault.code or fault.status, fault.message)
            return web.json_response(body, status=fault.status, headers=headers), None, form
        return None, fault, form

    async def _hold(self, fault: Fault | None) -> None:
        if fault is not None and fault.hold:
            try:
                await asyncio.wait_for(self._closing.wait(), fault.hold)
            except TimeoutError:
                pass

    def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(
            twilio_error(404, 20404, f"The requested resource {request.path} was not found"), status=404)

    @staticmethod
    def _bad(code: int, message: str) -> web.Response:
        return web.json_response(twilio_error(400, code, message), status=400)

    async def _create(self, request: web.Request) -> web.Response:
        early, fault, form = await self._begin(request, "create")
        if early is not None:
            return early
        to, body = form.get("To", ""), form.get("Body", "")
        sender, service_sid = form.get("From"), form.get("MessagingServiceSid")
        if not to:
            return self._bad(21604, "A 'To' phone number is required.")
        if not (sender or service_sid):
            return self._bad(21603, "A 'From' phone number is required.")
        if not body:
            return self._bad(21602, "Message body is required.")
        if not E164.fullmatch(to):
            return self._bad(21211, "Invalid 'To' Phone Number")
        if to in self._opted_out:
            return self._bad(21610, "Attempt to send to unsubscribed recipient")
        record = MessageRecord(
            sid=new_sid(), account_sid=self.account_sid, direction="outbound-api", from_=sender, to=to,
            body=body, status="accepted" if service_sid and not sender else "queued",
            messaging_service_sid=service_sid, status_callback=form.get("StatusCallback"),
        )
        self.records[record.sid] = record
        self._threads[to].append(SmsEntry(record.sid, "to_her", body))
        await self._hold(fault)
        return web.json_response(record.as_json(), status=201)

    async def _fetch(self, request: web.Request) -> web.Response:
        early, fault, _form = await self._begin(request, "fetch")
        if early is not None:
            return early
        record = self.records.get(request.match_info["sid"])
        if record is None:
            return self._not_found(request)
        await self._hold(fault)
        return web.json_response(record.as_json())

    async def _delete(self, request: web.Request) -> web.Response:
        early, fault, _form = await self._begin(request, "delete")
        if early is not None:
            return early
        sid = request.match_info["sid"]
        if self.records.pop(sid, None) is None:
            return self._not_found(request)
        self.deleted.append(sid)
        await self._hold(fault)
        return web.Response(status=204)

    # --- Twilio's side of the webhooks -------------------------------------------------------

    def route_public(self, public_base: str, local_base: str) -> None:
        """Callbacks to `public_base...` reach `local_base...` (a reverse proxy in front of us)."""
        self._public[public_base.rstrip("/")] = local_base.rstrip("/")

    def _local(self, url: str) -> str:
        for public, local in self._public.items():
            if url.startswith(public + "/") or url.startswith(public + "?"):
                return local + url[len(public):]
        return url

    def user_sends(self, from_number: str, body: str) -> dict[str, str]:
        """She texts our number: the record and her thread get it; returns Twilio's webhook form."""
        sid = new_sid()
        self.records[sid] = MessageRecord(sid=sid, account_sid=self.account_sid, direction="inbound",
                                          from_=from_number, to=self.number, body=body, status="received")
        self._threads[from_number].append(SmsEntry(sid, "from_her", body))
        return {
            "ToCountry": "GB", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
            "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
            "Body": body, "FromCountry": "GB", "To": self.number, "ToZip": "", "NumSegments": "1",
            "MessageSid": sid, "AccountSid": self.account_sid, "From": from_number, "ApiVersion": "2010-04-01",
        }

    def sign(self, url: str, form: dict[str, str]) -> str:
        """X-Twilio-Signature for a POST of `form` to `url`, as Twilio computes it."""
        return self.validator.compute_signature(url, form)

    async def post_form(self, url: str, form: dict[str, str], signature: str | None) -> Delivery:
        """POST a webhook as Twilio's servers do; `signature` None sends none (for forgery tests)."""
        assert self._http is not None, "use FakeTwilio as an async context manager"
        headers = {"User-Agent": "TwilioProxy/1.1", "I-Twilio-Idempotency-Token": secrets.token_hex(16)}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        async with self._http.post(url, data=form, headers=headers) as resp:
            return Delivery(resp.status, await resp.text(), resp.content_type)

    async def deliver(self, form: dict[str, str], url: str, public_url: str | None = None) -> Delivery:
        """POST `form` to `url`, signed for `public_url` (default `url`): the URL Twilio calls."""
        return await self.post_form(url, form, self.sign(public_url or url, form))

    async def status_callback(self, message_sid: str, status: str, error_code: int | None = None) -> Delivery:
        """Twilio reports a status of one of our messages to its StatusCallback URL, signed."""
        record = self.records[message_sid]
        assert record.status_callback, "message was created without a StatusCallback"
        record.status = status
        record.error_code = error_code
        form = {
            "SmsSid": message_sid, "SmsStatus": status, "MessageStatus": status, "To": record.to,
            "MessageSid": message_sid, "AccountSid": self.account_sid, "From": record.from_ or "",
            "ApiVersion": "2010-04-01",
        }
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        return await self.post_form(self._local(record.status_callback), form,
                                    self.sign(record.status_callback, form))
