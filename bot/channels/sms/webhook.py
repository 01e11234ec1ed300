"""Twilio's webhooks: her SMS (`POST /webhooks/twilio/sms`) and delivery status callbacks
(`POST /webhooks/twilio/status`), plus the channel's entry in the registry.

Both are signed by Twilio (X-Twilio-Signature: an HMAC of the URL it called and the form fields,
keyed with the auth token). We check the signature against LIAISON_PUBLIC_URL + path + query,
because Twilio signs the public URL it called, not the address a proxy forwarded to; anything
unsigned gets 403 and nothing is stored. Her message is acknowledged only after it has been
committed: Twilio retries an unanswered webhook, and the replay is de-duplicated by MessageSid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from multidict import MultiDict
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from bot.channels.base import DeliveryReceipt, InboundEvent
from bot.channels.sms.channel import OPTED_OUT, SmsChannel
from bot.channels.text_guard import InvalidInbound, valid_identifier
from bot.logs import log_event
from bot.request_bodies import BadBody, form_body
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.channels.host import ChannelHost

CHANNEL = "sms"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

# Twilio's message statuses in the order they happen; callbacks can arrive out of order, so a
# later status never goes back to an earlier one.
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "delivered": 4, "undelivered": 4, "failed": 4, "canceled": 4, "read": 5,
}
FAILED = ("failed", "undelivered")
DELIVERED = ("delivered", "read")


def channel_from_settings(settings: Settings) -> SmsChannel | None:
    return SmsChannel.from_settings(settings) if settings.sms_enabled else None


def _twiml(status: int = 200) -> web.Response:
    return web.Response(status=status, text=EMPTY_TWIML, content_type="text/xml")


def receipt_of(key: str | None, sid: str, status: str, error_code: str | None) -> DeliveryReceipt:
    """Twilio's status callback as a delivery receipt. Error 21610 on a failed delivery means she
    opted out: the outbox stops her identity and her survivor record."""
    return DeliveryReceipt(CHANNEL, key, sid, status, STATUS_RANK, delivered=status in DELIVERED,
                           recipient_gone=status in FAILED and error_code == str(OPTED_OUT))


def routes(service: ChannelHost) -> list[web.RouteDef]:
    settings = service.settings
    assert settings.twilio_account_sid and settings.twilio_auth_token
    validator = RequestValidator(settings.twilio_auth_token)
    public_base = settings.public_url.rstrip("/")
    account_sid = settings.twilio_account_sid

    async def signed_form(request: web.Request) -> MultiDict[str] | web.Response:
        """The form fields if Twilio signed this request for our public URL, else the refusal. The body's
        size and encoding are checked first (bot/request_bodies.py): bytes that are not UTF-8 are a 400."""
        fields = await form_body(request)
        if isinstance(fields, BadBody):
            log_event("sms.webhook_bad_body", route=request.path, status=fields.status)
            return web.Response(status=fields.status, text=fields.reason)
        signature = request.headers.get(SIGNATURE_HEADER, "")
        url = public_base + request.raw_path
        if (not signature or not validator.validate(url, fields, signature)
                or fields.get("AccountSid") != account_sid):
            log_event("sms.webhook_rejected", route=request.path, signed=bool(signature))
            return web.Response(status=403, text="forbidden")
        return fields

    async def inbound_sms(request: web.Request) -> web.Response:
        form = await signed_form(request)
        if isinstance(form, web.Response):
            return form
        sid, sender = form.get("MessageSid", ""), form.get("From", "")
        if not sid or len(sid) > 64 or not sender:
            log_event("sms.webhook_incomplete", has_sid=bool(sid), has_sender=bool(sender))
            return _twiml(400)
        event = InboundEvent(
            channel=CHANNEL, provider_id=sid, address=sender, received_at=service.dispatcher.now(),
            text=form.get("Body", ""), provider_message_id=sid,
        )
        try:
            await service.pipeline.accept(event)  # committed before we answer; a replay is a no-op
        except InvalidInbound:  # NUL or invalid characters in MessageSid or From: nothing stored
            log_event("sms.webhook_refused")
            return _twiml(400)
        return _twiml()

    async def status_callback(request: web.Request) -> web.Response:
        form = await signed_form(request)
        if isinstance(form, web.Response):
            return form
        if not all(valid_identifier(v) for v in (form.get("MessageSid") or "x", request.query.get("k") or "x")):
            log_event("sms.status_refused")
            return _twiml(400)
        status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
        error_code = form.get("ErrorCode") or None
        outcome = await service.dispatcher.record_receipt(
            receipt_of(request.query.get("k"), form.get("MessageSid", ""), status, error_code))
        log_event("sms.status", status=status if status in STATUS_RANK else "other",
                  error_code=error_code, outcome=outcome)
        return _twiml()  # an unknown message is answered too: Twilio would only retry it

    return [
        web.post("/webhooks/twilio/sms", inbound_sms),
        web.post("/webhooks/twilio/status", status_callback),
    ]
