"""Calls to her over HTTP (no browser): what Twilio's signed requests change, the call-back's next
step after each outcome, a worker who does not answer, Twilio refusing the call, the whisper, the
forged request, and every TwiML document the service returns (tests/support/fake_twilio_voice.py
plays the calls as Twilio does, through twilio's own client)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.storage.models import AuditEvent, CallbackRequest, PhoneCall, StaffMember, Survivor
from tests.support.console import ConsoleClient, console_service, make_staff
from tests.support.fake_twilio import Fault
from tests.support.fake_twilio_voice import FakeTwilioVoice
from tests.support.http import serve_app
from tests.support.people import enrolled

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)  # Wednesday
ACCOUNT_SID, AUTH_TOKEN = "AC" + "2" * 32, "voice-test-token"
OUR_NUMBER, HER_PHONE, ANA_PHONE = "+447700900000", "+447700900432", "+447700900551"
CALLBACK_PHONE = "+447700900999"
PUBLIC = "http://127.0.0.1:8080"
WINDOWS = [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]
CHECK = "Hello, this is Green Thumbs Club about your order. Press 1 to continue."


@pytest.fixture
async def setup(settings_env, keyring) -> AsyncIterator[tuple[object, ConsoleClient, FakeTwilioVoice]]:
    async with FakeTwilioVoice(ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER) as fake:
        env = {**settings_env, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "TWILIO_FROM": OUR_NUMBER, "TWILIO_API_BASE": fake.base_url, "LIAISON_PUBLIC_URL": PUBLIC}
        clock = ManualClock(NOW, tick=True)
        svc = console_service(env, keyring, clock)
        async with serve_app(svc.web_app()) as base:
            fake.route_public(PUBLIC, base)
            await enrolled(svc.db, keyring, channel="sms", address=HER_PHONE, pseudonym="ps-call", persona="garden",
                           display_name="Sam", contact_windows=WINDOWS,
                           state={"version": 1, "exit_word": "bluebell"})
            login = await make_staff(svc, "ana", ["liaison"])
            async with svc.db.transaction() as s:
                member = await s.scalar(select(StaffMember).where(StaffMember.name == "ana"))
                member.call_number, member.call_number_verified_at = ANA_PHONE, NOW
            client = ConsoleClient(base)
            assert await client.sign_in(login, clock()) == 303
            try:
                yield svc, client, fake
                await fake.calls_done()
            finally:
                await client.close()
        await svc.stop()


async def a_callback(svc) -> int:
    async with svc.db.transaction() as s:
        her_id = await s.scalar(select(Survivor.id).where(Survivor.pseudonym == "ps-call"))
        cb = CallbackRequest(survivor_id=her_id, phone=CALLBACK_PHONE, windows=WINDOWS, created_at=NOW)
        s.add(cb)
        await s.flush()
        return cb.id


async def the_call(svc) -> PhoneCall:
    async with svc.db.sessions() as s:
        return (await s.scalars(select(PhoneCall).order_by(PhoneCall.id.desc()))).first()


async def test_a_call_back_is_closed_when_she_confirms_and_rings_her_callback_number(setup) -> None:
    svc, client, fake = setup
    cb_id = await a_callback(svc)
    fake.phone(CALLBACK_PHONE, presses="1")
    status, _body, _loc = await client.post(f"/console/callbacks/{cb_id}/call", {"reason": "call-back"})
    assert status == 303
    await fake.calls_done()
    assert fake.phone(CALLBACK_PHONE).bridged_with == [ANA_PHONE] and fake.phone(HER_PHONE).rang == 0
    async with svc.db.sessions() as s:
        cb = await s.get(CallbackRequest, cb_id)
    assert (cb.status, cb.outcome, cb.next_try_at) == ("closed", "done", None)
    _s, page, _l = await client.get("/console/callbacks")
    assert "No open call-backs" in page


async def test_no_answer_moves_the_call_back_to_her_next_safe_slot(setup) -> None:
    svc, client, fake = setup
    cb_id = await a_callback(svc)
    fake.phone(CALLBACK_PHONE, answers=False)
    await client.post(f"/console/callbacks/{cb_id}/call", {"reason": "call-back"})
    await fake.calls_done()
    async with svc.db.sessions() as s:
        cb = await s.get(CallbackRequest, cb_id)
    assert (cb.status, cb.outcome) == ("open", "call_no_answer")
    assert cb.next_try_at == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)  # Thursday 09:00 London (GMT)
    _s, page, _l = await client.get("/console/callbacks")
    assert "no answer &rarr; retry at her next safe slot" in page


async def test_answered_without_her_1_leaves_the_next_step_to_the_worker(setup) -> None:
    svc, client, fake = setup
    cb_id = await a_callback(svc)
    fake.phone(CALLBACK_PHONE, presses="9")
    await client.post(f"/console/callbacks/{cb_id}/call", {"reason": "call-back"})
    await fake.calls_done()
    async with svc.db.sessions() as s:
        cb = await s.get(CallbackRequest, cb_id)
    assert (cb.status, cb.outcome, cb.next_try_at) == ("open", "call_not_confirmed", None)
    assert (await the_call(svc)).her_key == "wrong_key"


async def test_a_worker_who_does_not_answer_means_she_is_never_rung(setup) -> None:
    svc, client, fake = setup
    fake.phone(ANA_PHONE, answers=False)
    await client.post("/console/survivors/ps-call/call", {"reason": "check-in"})
    await fake.calls_done()
    call = await the_call(svc)
    assert (call.outcome, call.active_survivor_id) == ("worker_unreachable", None)
    assert fake.phone(HER_PHONE).rang == 0 and fake.twiml == []


@pytest.mark.parametrize("worker_phone", [{"machine": True}, {"presses": ""}], ids=["voicemail", "no 1"])
async def test_the_worker_s_voicemail_or_a_missing_1_hears_nothing_of_her(setup, worker_phone) -> None:
    svc, client, fake = setup
    worker = fake.phone(ANA_PHONE, **worker_phone)
    await client.post("/console/survivors/ps-call/call", {"reason": "check-in"})
    await fake.calls_done()
    assert (await the_call(svc)).outcome == "worker_unreachable"
    assert fake.phone(HER_PHONE).rang == 0
    assert not any("Sam" in words or "bluebell" in words for words in worker.heard)
    assert worker.left == ([] if worker_phone.get("machine") else worker.left)
    assert [s.step for s in fake.twiml] == (["worker"] if worker_phone.get("machine") else ["worker", "ready"])


async def test_twilio_refusing_the_call_records_failed_and_frees_her(setup) -> None:
    svc, client, fake = setup
    fake.inject("create", Fault.server_error())
    status, _b, location = await client.post("/console/survivors/ps-call/call", {"reason": "check-in"})
    assert status == 303 and location.endswith("/console/survivors/ps-call")
    assert "could not be placed" in (client.flash or "")
    call = await the_call(svc)
    assert (call.outcome, call.active_survivor_id) == ("failed", None)
    fake.phone(HER_PHONE, presses="1")
    await client.post("/console/survivors/ps-call/call", {"reason": "again"})
    await fake.calls_done()
    assert (await the_call(svc)).outcome == "confirmed"


async def test_the_worker_hears_her_name_safe_word_and_reason_and_she_hears_only_her_cover(setup) -> None:
    svc, client, fake = setup
    fake.phone(HER_PHONE, presses="1")
    await client.post("/console/survivors/ps-call/call", {"reason": "notice follow-up"})
    await fake.calls_done()
    ready, whisper = fake.phone(ANA_PHONE).heard[:2]
    assert ready == "A liaison call. Press 1 to start it."
    assert whisper == ("Calling Sam. Her safe word is bluebell. Reason: notice follow-up. "
                       "She must press 1 before you are connected.")
    assert fake.phone(HER_PHONE).heard == [CHECK]
    steps = {served.step: served.twiml for served in fake.twiml}
    # the TwiML of each step, as returned (the closing report lists them)
    assert steps["her"] == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="' + PUBLIC + '/webhooks/twilio/voice/key?c='
        + (await the_call(svc)).token + '" actionOnEmptyResult="true" input="dtmf" method="POST" numDigits="1" '
        'timeout="8"><Say language="en-GB">' + CHECK + '</Say></Gather><Hangup /></Response>')
    assert steps["key"] == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    assert 'machineDetection="Enable"' in steps["ready"] and f'callerId="{OUR_NUMBER}"' in steps["ready"]
    calls_made = [r for r in fake.requests if r.path.endswith("/Calls.json")]
    assert calls_made[-1].form["MachineDetection"] == "Enable"  # on the worker's own leg too
    assert "record" not in "".join(steps.values()).lower()


async def test_a_german_cover_line_is_said_in_german(setup) -> None:
    svc, client, fake = setup
    async with svc.db.transaction() as s:
        survivor = await s.scalar(select(Survivor).where(Survivor.pseudonym == "ps-call"))
        survivor.locale, survivor.persona = "de", "recipes"
    fake.phone(HER_PHONE, presses="")
    await client.post("/console/survivors/ps-call/call", {"reason": "x"})
    await fake.calls_done()
    her_step = next(s.twiml for s in fake.twiml if s.step == "her")
    assert 'language="de-DE"' in her_step
    assert fake.phone(HER_PHONE).heard[0].startswith("Guten Tag, hier ist")


async def test_a_forged_or_unsigned_request_is_refused_and_changes_nothing(setup) -> None:
    svc, client, fake = setup
    fake.phone(ANA_PHONE, answers=False)
    await client.post("/console/survivors/ps-call/call", {"reason": "x"})
    await fake.calls_done()
    call = await the_call(svc)
    url = f"{PUBLIC}/webhooks/twilio/voice/key?c={call.token}"
    form = {"AccountSid": ACCOUNT_SID, "CallSid": "CA" + "0" * 32, "Digits": "1"}
    local = fake._local(url)
    assert (await fake.post_form(local, form, None)).status == 403
    assert (await fake.post_form(local, form, "forged")).status == 403
    other = FakeTwilioVoice(ACCOUNT_SID, "another-token")
    assert (await fake.post_form(local, form, other.sign(url, form))).status == 403
    assert (await the_call(svc)).her_key is None
    async with svc.db.sessions() as s:
        actions = (await s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("call.%")))).all()
    assert actions == ["call.started", "call.ended"]


async def test_erasing_her_erases_her_calls_and_their_numbers(setup) -> None:
    from bot.actions.erasure import erase_survivor

    svc, client, fake = setup
    fake.phone(HER_PHONE, presses="1")
    await client.post("/console/survivors/ps-call/call", {"reason": "x"})
    await fake.calls_done()
    async with svc.db.transaction() as s:
        survivor = await s.scalar(select(Survivor).where(Survivor.pseudonym == "ps-call"))
        await erase_survivor(s, survivor, actor="test", reason="her_request", now=NOW)
    async with svc.db.sessions() as s:
        assert (await s.scalars(select(PhoneCall))).all() == []


async def test_the_queue_shows_her_call_in_progress_then_its_outcome(setup) -> None:
    import asyncio

    from bot.storage.models import Escalation

    svc, client, fake = setup
    async with svc.db.transaction() as s:
        her_id = await s.scalar(select(Survivor.id).where(Survivor.pseudonym == "ps-call"))
        s.add(Escalation(survivor_id=her_id, priority="high", reason="callback_requested", created_at=NOW))
    picked_up = asyncio.Event()
    fake.phone(ANA_PHONE, hold=picked_up)
    fake.phone(HER_PHONE, answers=False)
    await client.post("/console/survivors/ps-call/call", {"reason": "x"})
    _s, rows, _l = await client.get("/console/queue/rows")
    assert "call in progress" in rows
    picked_up.set()
    await fake.calls_done()
    _s, rows, _l = await client.get("/console/queue/rows")
    assert "last call: no answer" in rows


async def test_the_logs_of_a_call_hold_no_number_name_or_safe_word(setup, caplog) -> None:
    import logging

    svc, client, fake = setup
    caplog.set_level(logging.DEBUG)
    for presses in ("1", "", "7"):
        fake.phone(HER_PHONE, presses=presses)
        await client.post("/console/survivors/ps-call/call", {"reason": "notice follow-up"})
        await fake.calls_done()
    text = caplog.text
    assert "voice.step" in text
    for secret in (HER_PHONE, ANA_PHONE, "Sam", "bluebell", "notice follow-up", HER_PHONE[1:]):
        assert secret not in text
