"""The SMS channel end to end: the real twilio client against a fake Twilio, signed webhooks
into the running service, and what her phone's thread and Twilio's records end up holding.

The service's public URL differs from where it listens (a reverse proxy in front), so the tests
also show that signatures are checked against the URL Twilio called. All numbers are fictional
(Ofcom's drama range, +44 7700 900xxx).
"""

from __future__ import annotations

import logging
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot import catalog
from bot.channels.base import Button, OutgoingMessage, SendError
from bot.channels.sms.channel import (
    SmsChannel,
    TwilioHttp,
    classify,
    parse_retry_after,
    render_numbered,
)
from bot.channels.sms.webhook import channel_from_settings
from bot.service import Service
from bot.settings import load_settings
from bot.storage.models import ChannelIdentity, Escalation, InboundMessage, OutboundMessage, Survivor
from flows.state import FlowState, map_number
from safety.crypto import KeyRing
from tests.support.fake_twilio import Delivery, FakeTwilio, Fault
from tests.support.running import outbox, serving, twilio_env, wait_until

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-not-a-secret-0001"
OUR_NUMBER = "+447700900000"
HER = "+447700900123"
OTHER = "+447700900456"
PUBLIC = "https://liaison.example.org"
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
NEUTRAL = catalog.text("en", "stranger.neutral")


@dataclass
class World:
    service: Service
    fake: FakeTwilio
    local: str  # where the service listens; Twilio only knows PUBLIC

    async def text_from(self, number: str, body: str) -> tuple[dict[str, str], Delivery]:
        form = self.fake.user_sends(number, body)
        return form, await self.fake.deliver(form, self.local + SMS_PATH, PUBLIC + SMS_PATH)

    async def outbox(self) -> list[OutboundMessage]:
        return await outbox(self.service)

    async def count(self, model: type[Any]) -> int:
        async with self.service.db.sessions() as s:
            return int(await s.scalar(select(func.count()).select_from(model)) or 0)

    async def get(self, model: type[Any], row_id: int) -> Any:
        async with self.service.db.sessions() as s:
            return await s.get(model, row_id)


async def row_in(world: World, *statuses: str) -> OutboundMessage | None:
    rows = await world.outbox()
    return rows[0] if rows and rows[0].status in statuses else None


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER) as f:
        yield f


@pytest.fixture
async def world(settings_env: dict[str, object], keyring: KeyRing, fake: FakeTwilio) -> AsyncIterator[World]:
    # a high SMS rate for fast tests; the 429 test shows Retry-After is what waits
    # the send timeout leaves room for a loaded CI machine; the hang tests hang longer than it
    env = twilio_env(settings_env, fake, PUBLIC, send_timeout=2.0, sms_rate=100)
    async with serving(env, keyring) as (svc, local):
        fake.route_public(PUBLIC, local)
        yield World(svc, fake, local)


async def enrol(world: World, keyring: KeyRing, number: str) -> tuple[int, int]:
    """A survivor and her active SMS identity, written directly (enrolment is another issue)."""
    async with world.service.db.transaction() as s:
        survivor = Survivor(pseudonym="p" + secrets.token_hex(8), status="active")
        s.add(survivor)
        await s.flush()
        identity = ChannelIdentity(channel="sms", address_index=keyring.blind_index("sms", number),
                                   address=number, status="active", survivor_id=survivor.id)
        s.add(identity)
        await s.flush()
        return survivor.id, identity.id


# --- webhooks ------------------------------------------------------------------------------------

async def test_forged_webhooks_are_refused_and_nothing_is_stored(world: World) -> None:
    fake, sms_local = world.fake, world.local + SMS_PATH
    form = fake.user_sends(HER, "hello")
    tampered = {**form, "Body": "something else"}
    attempts = [
        await fake.post_form(sms_local, form, None),  # no signature
        await fake.post_form(sms_local, form, "bm90IGEgc2lnbmF0dXJl"),  # a wrong one
        await fake.deliver(form, sms_local),  # signed for the local URL, not the public one
        await fake.post_form(sms_local, form,  # signed with another account's token
                             RequestValidator("another-token").compute_signature(PUBLIC + SMS_PATH, form)),
        await fake.post_form(sms_local, tampered, fake.sign(PUBLIC + SMS_PATH, form)),  # body changed
        await fake.post_form(world.local + STATUS_PATH + "?k=x", {"MessageSid": "SM1", "MessageStatus": "sent"},
                             "bm90IGEgc2lnbmF0dXJl"),
    ]
    assert [a.status for a in attempts] == [403] * len(attempts)
    await world.service.dispatcher.passes()
    assert await world.count(InboundMessage) == 0
    assert await world.count(OutboundMessage) == 0
    assert fake.creates() == []


async def test_a_strangers_text_gets_exactly_one_neutral_reply_through_the_real_client(world: World) -> None:
    form, answer = await world.text_from(HER, "hello?")
    assert (answer.status, answer.content_type) == (200, "text/xml")
    assert "<Response/>" in answer.text
    assert await world.count(InboundMessage) == 1  # committed before Twilio got its answer

    row = await wait_until(lambda: row_in(world, "sent"))
    thread = world.fake.thread(HER)
    assert [(e.direction, e.body) for e in thread] == [("from_her", "hello?"), ("to_her", NEUTRAL)]
    assert row.provider_message_id == thread[1].sid
    [create] = world.fake.creates()
    assert create.authenticated and create.user_agent.startswith("twilio-python/")
    assert create.form["From"] == OUR_NUMBER and create.form["To"] == HER
    assert create.form["StatusCallback"] == f"{PUBLIC}{STATUS_PATH}?k={row.idempotency_key}"
    async with world.service.db.sessions() as s:
        inbound = (await s.scalars(select(InboundMessage))).one()
    assert inbound.provider_message_id == form["MessageSid"]  # kept, to delete her message's record


async def test_a_replayed_message_sid_is_processed_and_answered_once(world: World) -> None:
    form = world.fake.user_sends(HER, "hi")
    for _ in range(3):
        answer = await world.fake.deliver(form, world.local + SMS_PATH, PUBLIC + SMS_PATH)
        assert answer.status == 200
    await wait_until(lambda: row_in(world, "sent"))
    await world.service.dispatcher.passes()
    assert world.fake.texts_to(HER) == [NEUTRAL]
    assert await world.count(InboundMessage) == 1
    assert await world.count(OutboundMessage) == 1


# --- sending: retries, opt-out, in doubt ---------------------------------------------------------

async def test_a_rate_limited_send_waits_for_retry_after_and_goes_out_once(world: World) -> None:
    world.fake.inject("create", Fault.too_many_requests(retry_after="1"))
    await world.text_from(HER, "hi")
    row = await wait_until(lambda: row_in(world, "sent"))
    first, second = world.fake.creates()
    assert second.at - first.at >= 0.9  # Retry-After honoured, not only our short backoff
    assert row.attempts == 2
    assert world.fake.texts_to(HER) == [NEUTRAL]


async def test_a_provider_error_is_retried_and_the_text_goes_out_once(world: World) -> None:
    world.fake.inject("create", Fault.server_error())
    await world.text_from(HER, "hi")
    await wait_until(lambda: row_in(world, "sent"))
    assert len(world.fake.creates()) == 2
    assert world.fake.texts_to(HER) == [NEUTRAL]


async def test_an_opted_out_number_fails_the_row_and_stops_her_identity(world: World, keyring: KeyRing) -> None:
    survivor_id, identity_id = await enrol(world, keyring, HER)
    world.fake.opt_out(HER)  # she replied STOP at some point: Twilio refuses with 21610
    await world.text_from(HER, "hi")
    row = await wait_until(lambda: row_in(world, "failed"))
    assert "21610" in (row.last_error or "")
    assert len(world.fake.creates()) == 1  # permanent: not retried
    assert (await world.get(ChannelIdentity, identity_id)).status == "stopped"
    assert (await world.get(Survivor, survivor_id)).status == "stopped"
    async with world.service.db.sessions() as s:
        reasons = (await s.scalars(select(Escalation.reason))).all()
    assert reasons == ["recipient_gone"]
    assert world.fake.texts_to(HER) == []


async def test_a_send_that_times_out_is_in_doubt_never_resent_until_its_status_callback_settles_it(
    world: World,
) -> None:
    world.fake.inject("create", Fault.hang(5.0))  # Twilio takes it, the answer never comes in time
    await world.text_from(HER, "hi")
    row = await wait_until(lambda: row_in(world, "in_doubt"))
    assert row.provider_message_id is None
    await world.service.dispatcher.passes(3)
    assert await world.service.dispatcher.dispatch_due() == 0
    assert len(world.fake.creates()) == 1
    assert world.fake.texts_to(HER) == [NEUTRAL]

    sid = world.fake.thread(HER)[-1].sid
    answer = await world.fake.status_callback(sid, "sent")
    assert answer.status == 200
    row = await world.get(OutboundMessage, row.id)
    assert (row.status, row.provider_message_id, row.delivery_status) == ("sent", sid, "sent")
    assert len(world.fake.creates()) == 1


async def test_delivery_status_callbacks_update_delivery_status_and_never_go_back(world: World) -> None:
    await world.text_from(HER, "hi")
    row = await wait_until(lambda: row_in(world, "sent"))
    for status, expected in (("sent", "sent"), ("delivered", "delivered"), ("sent", "delivered")):
        assert (await world.fake.status_callback(row.provider_message_id, status)).status == 200
        assert (await world.get(OutboundMessage, row.id)).delivery_status == expected


async def test_a_failed_delivery_with_21610_stops_her_identity(world: World, keyring: KeyRing) -> None:
    survivor_id, identity_id = await enrol(world, keyring, HER)
    await world.text_from(HER, "hi")
    row = await wait_until(lambda: row_in(world, "sent"))
    await world.fake.status_callback(row.provider_message_id, "failed", error_code=21610)
    row = await world.get(OutboundMessage, row.id)
    assert (row.status, row.delivery_status) == ("sent", "failed")
    assert (await world.get(ChannelIdentity, identity_id)).status == "stopped"
    assert (await world.get(Survivor, survivor_id)).status == "stopped"


# --- deleting records ------------------------------------------------------------------------------

async def test_message_records_are_deleted_at_twilio_and_her_phone_keeps_its_copy(world: World) -> None:
    form, _ = await world.text_from(HER, "hi")
    row = await wait_until(lambda: row_in(world, "sent"))
    sids = [form["MessageSid"], row.provider_message_id]
    channel = world.service.channels["sms"]

    await channel.delete(HER, sids)
    assert sorted(world.fake.deleted) == sorted(sids)
    assert not set(sids) & set(world.fake.records)
    deletes = [r for r in world.fake.requests if r.method == "DELETE"]
    assert len(deletes) == 2 and all(r.authenticated for r in deletes)
    assert len(world.fake.thread(HER)) == 2  # an SMS cannot be unsent

    await channel.delete(HER, sids)  # already gone (404): fine, so a batch can be retried
    world.fake.inject("delete", Fault.server_error())
    with pytest.raises(SendError) as failed:
        await channel.delete(HER, ["SM" + "f" * 32])
    assert failed.value.retryable


# --- configuration ---------------------------------------------------------------------------------

async def test_twilio_api_base_is_honoured_and_twilio_itself_is_the_default(world: World) -> None:
    uri = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert TwilioHttp(1.0)._to_api_base(uri) == uri
    proxied = TwilioHttp(1.0, "http://127.0.0.1:9/twilio/")
    assert proxied._to_api_base(uri) == f"http://127.0.0.1:9/twilio/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"

    await world.text_from(HER, "hi")
    await wait_until(lambda: row_in(world, "sent"))
    assert [r.path for r in world.fake.creates()] == [f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"]


def test_sms_is_off_without_twilio_settings() -> None:
    assert channel_from_settings(load_settings(LIAISON_ENV="test")) is None


async def test_a_connection_refused_before_sending_is_retryable_not_in_doubt() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    channel = SmsChannel(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, public_url=PUBLIC, sender=OUR_NUMBER,
                         api_base=f"http://127.0.0.1:{port}", timeout=1.0)
    try:
        with pytest.raises(SendError) as failed:
            await channel.send(OutgoingMessage(HER, "hi", "k1"))
    finally:
        await channel.close()
    assert failed.value.retryable and not failed.value.in_doubt
    assert HER not in str(failed.value)


async def test_sms_cannot_edit() -> None:
    channel = SmsChannel(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, public_url=PUBLIC, sender=OUR_NUMBER)
    with pytest.raises(SendError) as failed:
        await channel.edit(HER, "SM1", "new text")
    assert not (failed.value.retryable or failed.value.in_doubt)
    await channel.close()


def test_twilio_errors_map_to_retry_decisions() -> None:
    limited = classify(429, 20429, 2.0)
    assert limited.retryable and limited.retry_after == 2.0
    assert classify(500, 20500).retryable and classify(503, None).retryable
    gone = classify(400, 21610)
    assert gone.recipient_gone and not gone.retryable
    for code in (21211, 21614, 21602):
        err = classify(400, code)
        assert not (err.retryable or err.in_doubt or err.recipient_gone)
    assert parse_retry_after("3") == 3.0 and parse_retry_after(None) is None
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 00:00:10 GMT", now) == 10.0
    assert parse_retry_after("soon") is None
    assert timedelta(seconds=parse_retry_after("0") or 0) == timedelta(0)


def test_buttons_become_numbered_lines_and_a_number_maps_back() -> None:
    buttons = (Button("yes", "Yes please"), Button("later", "Not now"))
    assert render_numbered("Shall we?", buttons) == "Shall we?\n1 Yes please\n2 Not now"
    assert render_numbered("Plain", ()) == "Plain"
    shown = FlowState(options=tuple(b.payload for b in buttons))  # what her state keeps of the options offered
    assert map_number(shown, "2") == "later"
    assert map_number(shown, " 1. ") == "yes"
    assert map_number(shown, "3") is None
    assert map_number(shown, "yes") is None


# --- logs ------------------------------------------------------------------------------------------

async def test_logs_hold_no_phone_number_or_message_text(world: World, keyring: KeyRing,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "he took my keys again"
    await enrol(world, keyring, OTHER)
    world.fake.inject("create", Fault.server_error())
    form, _ = await world.text_from(HER, secret)
    row = await wait_until(lambda: row_in(world, "sent"))
    await world.fake.status_callback(row.provider_message_id, "delivered")
    await world.fake.post_form(world.local + SMS_PATH, world.fake.user_sends(OTHER, secret), "forged")
    world.fake.opt_out(OTHER)
    await world.text_from(OTHER, secret)
    await wait_until(lambda: _has_failed(world))
    await world.service.channels["sms"].delete(HER, [form["MessageSid"], row.provider_message_id])

    assert caplog.records
    seen = "\n".join(
        f"{r.getMessage()} {getattr(r, 'fields', '')} {r.exc_text or ''}" for r in caplog.records
    )
    assert "outbox.retry" in seen and "Twilio API Request" in seen  # ours and twilio's own logs
    for leak in (HER, OTHER, OUR_NUMBER, HER[1:], HER[3:], OTHER[3:], secret, NEUTRAL):
        assert leak not in seen


async def _has_failed(world: World) -> bool:
    return any(r.status == "failed" for r in await world.outbox())
