"""Sending and deleting SMS through Twilio's official library, without blocking the event loop.

It uses twilio's `Client` as it is (the `*_async` methods), sending through our own `AsyncHttpClient`
(twilio's documented extension point for a custom HTTP client), which does the three things a
duplicate or lost SMS depends on:
- a timeout: twilio's async path passes none to aiohttp, so a hung request would hang the outbox;
- telling "nothing went out" (could not connect: retry) from "it may have gone out" (the request
  was being written, then no answer: in doubt, never resent; a status callback settles it);
- TWILIO_API_BASE, so the real client talks to a fake Twilio in tests (or to a proxy).
Errors become `SendError`s carrying HTTP status and Twilio error code only: Twilio's error
messages can echo her number, so they never reach our exceptions or logs.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.channels.base import Button, ChannelStatus, OutgoingMessage, RateLimits, SendError, SendResult
from bot.logs import log_event
from bot.settings import Settings

DEFAULT_API_BASE = "https://api.twilio.com"
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"

OPTED_OUT = 21610  # she replied STOP (or her carrier blocks us): this number takes no more texts
INVALID_NUMBER = frozenset({21211, 21614})  # not a valid number / not a mobile number
NOT_YET_DELIVERED = 20009  # Twilio will not delete a record while the message is still in flight
DELETE_CONCURRENCY = 5  # deletions in flight at once (Twilio deletes one record per request)

T = TypeVar("T")


# --- numbered replies: the plain-text form of buttons ---------------------------------------

def render_numbered(text: str, buttons: Sequence[Button]) -> str:
    """The text with each button as a numbered line under it ("1 Yes", "2 Not now").

    SMS has no buttons, so options fall back to numbered lines, as Rasa does on plain-text
    channels, and she answers with the number. Nothing extra is stored for this: her conversation
    state keeps the options it offered and maps her answer back (flows/state.py: `map_number`).
    """
    if not buttons:
        return text
    return "\n".join([text, *(f"{i} {b.label}" for i, b in enumerate(buttons, start=1))])


# --- error mapping ---------------------------------------------------------------------------

def classify(status: int, code: int | None, retry_after: float | None = None) -> SendError:
    """Turn Twilio's HTTP status and error code into a retry decision (codes only, no message)."""
    label = f"twilio http {status} code {code}"
    if status == 429:
        return SendError(f"{label}: rate limited", retryable=True, retry_after=retry_after)
    if status >= 500:
        return SendError(f"{label}: provider error", retryable=True, retry_after=retry_after)
    if code == OPTED_OUT:
        return SendError(f"{label}: recipient opted out", recipient_gone=True)
    if code in INVALID_NUMBER:
        return SendError(f"{label}: invalid number")
    if code == NOT_YET_DELIVERED:
        return SendError(f"{label}: still being delivered", retryable=True, retry_after=retry_after)
    return SendError(f"{label}: refused")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# --- the HTTP layer ----------------------------------------------------------------------------

@dataclass
class _Attempt:
    """What one API call did on the wire: seen by the HTTP client, read by the channel."""

    written: bool = False  # a connection was open and the request was being written
    headers: Mapping[str, str] | None = None


_ATTEMPT: contextvars.ContextVar[_Attempt | None] = contextvars.ContextVar("twilio_attempt", default=None)


async def _on_request_headers_sent(_session: object, _ctx: object, _params: object) -> None:
    attempt = _ATTEMPT.get()
    if attempt is not None:
        attempt.written = True


class TwilioHttp(AsyncHttpClient):
    """The HTTP client twilio's `Client` sends through: twilio's documented extension point (a custom
    `AsyncHttpClient` implementing `request`), so the SDK is used as it is. Ours puts a timeout on
    every request, opens its session lazily inside the running loop (the channel is built before the
    loop serves), takes a fresh connection per request (a stale pooled connection would turn a
    harmless failure into an in-doubt send), keeps no copy of a request (it holds her number and the
    text; twilio's log of it never holds the body), notes per request whether it reached the wire,
    and sends to `api_base` when that is not Twilio's own (a fake Twilio in tests, a proxy)."""

    def __init__(self, timeout: float, api_base: str = DEFAULT_API_BASE) -> None:
        super().__init__(logging.getLogger("twilio.http"), is_async=True, timeout=timeout)
        base = api_base.rstrip("/")
        self.api_base = None if base == DEFAULT_API_BASE else urlsplit(base)
        self.session: aiohttp.ClientSession | None = None
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_headers_sent.append(_on_request_headers_sent)

    def _to_api_base(self, url: str) -> str:
        if self.api_base is None:
            return url
        parts = urlsplit(url)
        return urlunsplit((self.api_base.scheme, self.api_base.netloc, self.api_base.path + parts.path,
                           parts.query, parts.fragment))

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - twilio's signature, enforced by aiohttp
        allow_redirects: bool = False,
    ) -> Response:
        if self.session is None:
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True),
                                                 trace_configs=[self.trace])
        if auth is not None:  # as a header: aiohttp deprecates BasicAuth
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers = {**(headers or {}), "Authorization": f"Basic {token}"}
        url = self._to_api_base(uri)
        # twilio's own request log: method, URL, query and headers (never the body, nor the Authorization)
        self.log_request({"method": method.upper(), "url": url, "params": params, "headers": headers})
        async with self.session.request(
            method.upper(), url, params=params, data=data, headers=headers,  # type: ignore[arg-type]
            timeout=aiohttp.ClientTimeout(total=timeout or self.timeout), allow_redirects=allow_redirects,
        ) as answer:
            response = Response(answer.status, await answer.text(), answer.headers)
        self.log_response(answer.status, answer)  # type: ignore[arg-type]
        attempt = _ATTEMPT.get()
        if attempt is not None:
            attempt.headers = dict(answer.headers)
        return response

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None


# --- the channel -------------------------------------------------------------------------------

class SmsChannel:
    """The SMS output channel. A send is at most once: a timeout after the request was written is
    `in_doubt` (the dispatcher never resends it); Twilio's status callback, which carries our
    idempotency key in its URL, later tells us whether it went out."""

    name = "sms"
    max_delete_batch = 100  # what one queued deletion may hand us; see `delete`
    sequential_ids = False

    def __init__(self, *, account_sid: str, auth_token: str, public_url: str,
                 sender: str | None = None, messaging_service_sid: str | None = None,
                 api_base: str = DEFAULT_API_BASE, rate_per_second: float = 1.0,
                 timeout: float = 10.0) -> None:
        if not (sender or messaging_service_sid):
            raise ValueError("an SMS channel needs a sender number or a messaging service sid")
        self.limits = RateLimits(per_second=rate_per_second)
        self.http = TwilioHttp(timeout, api_base)
        self.client = Client(account_sid, auth_token, http_client=self.http)
        self.sender = sender
        self.messaging_service_sid = messaging_service_sid
        self.status_callback_base = public_url.rstrip("/") + STATUS_CALLBACK_PATH

    @classmethod
    def from_settings(cls, settings: Settings) -> SmsChannel:
        assert settings.twilio_account_sid and settings.twilio_auth_token
        return cls(
            account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token,
            public_url=settings.public_url, sender=settings.twilio_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            api_base=settings.twilio_api_base, rate_per_second=settings.sms_rate,
            timeout=settings.send_timeout,
        )

    def status_callback_url(self, idempotency_key: str) -> str:
        """Where Twilio reports delivery; `k` names the outbox row even if we never learnt the sid."""
        return f"{self.status_callback_base}?k={quote(idempotency_key, safe='')}"

    async def send(self, message: OutgoingMessage) -> SendResult:
        params: dict[str, Any] = {
            "to": message.address,
            "body": render_numbered(message.text, message.buttons),
            "status_callback": self.status_callback_url(message.idempotency_key),
        }
        if self.sender:
            params["from_"] = self.sender
        else:
            params["messaging_service_sid"] = self.messaging_service_sid
        created = await self._call("send", functools.partial(self.client.messages.create_async, **params))
        sid = getattr(created, "sid", None)
        if not sid:
            raise SendError("twilio accepted the message without a sid", in_doubt=True)
        return SendResult(str(sid))

    async def edit(self, address: str, provider_message_id: str, text: str,
                   buttons: tuple[Button, ...] = ()) -> None:
        raise SendError("edit unsupported")  # an SMS cannot be changed once sent

    async def delete(self, address: str, provider_message_ids: list[str]) -> None:
        """Delete Twilio's records of these messages (hers and ours), so the provider's log no
        longer holds them. Her phone keeps its own copy: an SMS cannot be unsent. Twilio deletes
        one record per request, so a few run at once; a record already gone (404) counts as
        deleted, so a batch that partly failed can simply be retried."""
        limit = asyncio.Semaphore(DELETE_CONCURRENCY)

        async def delete_one(sid: str) -> bool | None:
            async with limit:
                return await self._call("delete", self.client.messages(sid).delete_async,
                                        idempotent=True, missing_ok=True)

        results = await asyncio.gather(*(delete_one(sid) for sid in provider_message_ids),
                                       return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            log_event("sms.records_delete_failed", count=len(provider_message_ids), failed=len(failures))
            raise next((f for f in failures if not isinstance(f, SendError)), failures[0])
        log_event("sms.records_deleted", count=len(results), already_gone=sum(r is None for r in results))

    async def status(self) -> ChannelStatus:
        return ChannelStatus(self.name, True, "twilio",
                             {"sender": "number" if self.sender else "messaging_service"})

    async def close(self) -> None:
        await self.http.close()

    async def _call(self, what: str, call: Callable[[], Awaitable[T]], *, idempotent: bool = False,
                    missing_ok: bool = False) -> T | None:
        """Run one API call and turn every failure into a `SendError`.

        `idempotent`: repeating it is harmless (a delete), so no answer means "retry", not
        "in doubt". `missing_ok`: a 404 is success (returns None)."""
        attempt = _Attempt()
        token = _ATTEMPT.set(attempt)
        try:
            return await call()
        except (TwilioRestException, TwilioServiceException) as exc:
            if missing_ok and exc.status == 404:
                return None
            headers = {k.lower(): v for k, v in (attempt.headers or {}).items()}
            raise classify(exc.status, exc.code, parse_retry_after(headers.get("retry-after"))) from None
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError, TwilioException) as exc:
            kind = type(exc).__name__
            if attempt.written and not idempotent:
                raise SendError(f"twilio {what}: no usable answer after the request went out ({kind})",
                                in_doubt=True) from None
            raise SendError(f"twilio {what}: request failed ({kind})", retryable=True) from None
        finally:
            _ATTEMPT.reset(token)
