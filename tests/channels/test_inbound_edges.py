"""Text no database can hold is stopped at the edge: a lone surrogate, invalid UTF-8 or a NUL in
her words is stored with U+FFFD and the row marked; a NUL in an identifier is refused with 400.
Never a 500, which the provider would answer by delivering the same thing again for ever."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import aiohttp
import pytest

from bot.channels.telegram.webhook import WEBHOOK_PATH
from bot.channels.text_guard import InvalidInbound, checked, repair
from tests.support.fake_telegram import FakeTelegram, deliver
from tests.support.fake_twilio import FakeTwilio
from tests.support.running import inbound, serving, telegram_env, twilio_env, wait_until

TOKEN = "123456:TEST-token-not-real"
SECRET = "webhook_secret-for-tests_0123456789"
ACCOUNT_SID = "AC" + "0" * 31 + "2"
AUTH_TOKEN = "test-auth-token-not-a-secret-0002"
PUBLIC = "https://liaison.example.org"
HER = "+447700900123"


def test_bad_characters_in_her_words_are_replaced_and_reported() -> None:
    assert repair("hi \ud800 there\x00!") == ("hi \ufffd there\ufffd!", True)
    assert repair("line one\nline\ttwo") == ("line one\nline\ttwo", False)
    assert repair(None) == (None, False)


def test_a_bad_identifier_is_refused_not_repaired() -> None:
    from datetime import UTC, datetime

    from bot.channels.base import InboundEvent

    event = InboundEvent(channel="sms", provider_id="SM1", address="+447700900123",
                         received_at=datetime(2026, 11, 30, tzinfo=UTC), text="ok")
    for bad in ({"provider_id": "SM\x001"}, {"address": "+44\x007700"}, {"provider_id": "S" * 65},
                {"address": "\udc80"}):
        with pytest.raises(InvalidInbound):
            checked(event.__class__(**{**event.__dict__, **bad}))


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


async def test_a_lone_surrogate_in_a_telegram_text_is_stored_replaced_and_answered(
        settings_env, keyring, telegram) -> None:
    async with serving(telegram_env(settings_env, telegram, SECRET), keyring) as (svc, base):
        status = await deliver(telegram.user_sends(5550101, "hello \ud83d"), base + WEBHOOK_PATH, SECRET)
        assert status == 200
        (row,) = await inbound(svc)
        assert row.text_repaired and row.body == "hello \ufffd"
        await wait_until(lambda: telegram.bot_texts(5550101))


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, "+447700900000") as f:
        yield f


async def _post_raw(twilio: FakeTwilio, url: str, public: str, raw: str, decoded: dict[str, str]) -> int:
    """A form whose bytes are `raw`, signed over the values the server will decode from them."""
    headers = {"X-Twilio-Signature": twilio.sign(public, decoded),
               "Content-Type": "application/x-www-form-urlencoded"}
    async with aiohttp.ClientSession() as http, http.post(url, data=raw.encode("ascii"), headers=headers) as r:
        return r.status


async def test_sms_with_nul_or_invalid_utf8_in_the_body_is_stored_replaced(settings_env, keyring, twilio) -> None:
    env = twilio_env(settings_env, twilio, PUBLIC, send_timeout=1, sms_rate=100)
    async with serving(env, keyring) as (svc, local):
        twilio.route_public(PUBLIC, local)
        form = twilio.user_sends(HER, "help\x00me")
        assert (await twilio.deliver(form, local + "/webhooks/twilio/sms", PUBLIC + "/webhooks/twilio/sms")).status \
            == 200
        form2 = twilio.user_sends(HER, "x")
        raw = "&".join(f"{quote(k)}={quote(v)}" for k, v in form2.items() if k != "Body") + "&Body=caf%FF"
        decoded = {**form2, "Body": "caf\ufffd"}
        assert await _post_raw(twilio, local + "/webhooks/twilio/sms", PUBLIC + "/webhooks/twilio/sms",
                               raw, decoded) == 200
        rows = await inbound(svc)
        assert [r.body for r in rows] == ["help\ufffdme", "caf\ufffd"]
        assert rows[0].text_repaired


async def test_sms_with_a_nul_in_the_sid_or_the_number_is_refused_with_400(settings_env, keyring, twilio) -> None:
    env = twilio_env(settings_env, twilio, PUBLIC, send_timeout=1, sms_rate=100)
    async with serving(env, keyring) as (svc, local):
        twilio.route_public(PUBLIC, local)
        for field in ("MessageSid", "From"):
            form = twilio.user_sends(HER, "hello")
            form[field] = form[field][:5] + "\x00" + form[field][5:]
            delivery = await twilio.deliver(form, local + "/webhooks/twilio/sms", PUBLIC + "/webhooks/twilio/sms")
            assert delivery.status == 400, field
        form = {"MessageSid": "SM\x00bad", "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}
        delivery = await twilio.deliver(form, local + "/webhooks/twilio/status", PUBLIC + "/webhooks/twilio/status")
        assert delivery.status == 400
        assert await inbound(svc) == []


async def test_the_simulator_repairs_bad_text_and_refuses_a_bad_user(settings_env, keyring) -> None:
    async with serving(settings_env, keyring) as (svc, base), aiohttp.ClientSession() as http:
        body = '{"user": "u1", "text": "hi \\ud800 \\u0000"}'
        async with http.post(f"{base}/simulator/api/messages", data=body,
                             headers={"Content-Type": "application/json"}) as r:
            assert r.status == 200
        async with http.post(f"{base}/simulator/api/messages", json={"user": "u\x002", "text": "hi"}) as r:
            assert r.status == 400
        (row,) = await inbound(svc)
        assert row.body == "hi \ufffd \ufffd" and row.text_repaired


# -- limits before anything else: encoding, nesting depth, size (bot/request_bodies.py) ----------------------
DEEP = b"[" * 50_000


async def _raw_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
        return r.status


async def test_a_twilio_body_that_is_not_utf8_and_unsigned_is_a_400_not_a_500(settings_env, keyring, twilio) -> None:
    env = twilio_env(settings_env, twilio, PUBLIC, send_timeout=1, sms_rate=100)
    async with serving(env, keyring) as (svc, local):
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for path in ("/webhooks/twilio/sms", "/webhooks/twilio/status"):
            status = await _raw_post(local + path, b"MessageSid=SM1&From=%2B447700900123&Body=caf\xff", form)
            assert status == 400, path
        assert await _raw_post(local + "/webhooks/twilio/sms", b"x" * 300_000, form) == 413
        assert await inbound(svc) == []


async def test_a_telegram_body_of_50000_nested_brackets_is_a_400_not_a_500(settings_env, keyring, telegram) -> None:
    async with serving(telegram_env(settings_env, telegram, SECRET), keyring) as (svc, base):
        json_type = {"Content-Type": "application/json"}
        assert await _raw_post(base + WEBHOOK_PATH, DEEP, {**json_type, "X-Telegram-Bot-Api-Secret-Token": SECRET}) \
            == 400
        assert await _raw_post(base + WEBHOOK_PATH, DEEP, json_type) == 400  # unauthenticated: the same
        assert await _raw_post(base + WEBHOOK_PATH, b'{"update_id": "caf\xff"}',
                               {**json_type, "X-Telegram-Bot-Api-Secret-Token": SECRET}) == 400
        assert await inbound(svc) == []


async def test_the_simulator_and_the_programme_api_refuse_deep_json_with_4xx(settings_env, keyring) -> None:
    async with serving(settings_env, keyring) as (_svc, base):
        json_type = {"Content-Type": "application/json"}
        assert await _raw_post(f"{base}/simulator/api/messages", DEEP, json_type) == 400
        status = await _raw_post(f"{base}/api/programme-events", DEEP[:10_000],
                                 {**json_type, "Authorization": "Bearer plt_unknown"})
        assert 400 <= status < 500


def test_json_nested_inside_strings_does_not_count_as_depth() -> None:
    from bot.request_bodies import BadBody, nesting_depth, parse_json

    assert nesting_depth('{"a": "[[[[[[", "b": [{"c": "\\"]]"}]}') == 3
    assert isinstance(parse_json(b"[" * 33 + b"]" * 33), BadBody)
    assert parse_json(b"[" * 32 + b"]" * 32) is not None
