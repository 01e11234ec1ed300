""""Call her now" in a real browser (chromium driven by Playwright) against a fake Twilio Voice that
speaks Twilio's wire format (tests/support/fake_twilio_voice.py) and drives the service's signed
webhooks: the worker's own phone is rung first, then hers from the service's number; only her "1"
bridges; no key, a wrong key or a machine ends the call with nothing left on her phone; the outcome
shows on her page; outside her windows the button asks for a reason, which is audited; two workers at
once place one call."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.storage.models import AuditEvent, PhoneCall, StaffMember
from tests.console.test_browser import CHROMIUM, browser, shot, signed_in  # noqa: F401 - the fixture
from tests.support.console import console_service, make_staff
from tests.support.fake_twilio_voice import FakeTwilioVoice
from tests.support.http import serve_app
from tests.support.people import enrolled

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="browser tests need Debian's chromium at /usr/bin/chromium")
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)  # a Wednesday, 10:30 in London
ACCOUNT_SID, AUTH_TOKEN = "AC" + "1" * 32, "voice-test-token"
OUR_NUMBER = "+447700900000"
HER_PHONE = "+447700900432"
ANA_PHONE, BEN_PHONE = "+447700900551", "+447700900552"
PUBLIC = "http://127.0.0.1:8080"
WEEKDAYS = [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]
WEEKENDS = [{"days": [5, 6], "start": "10:00", "end": "12:00"}]


@pytest.fixture
async def calling(settings_env, keyring) -> AsyncIterator[tuple[object, str, ManualClock, FakeTwilioVoice]]:
    async with FakeTwilioVoice(ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER) as fake:
        env = {**settings_env, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "TWILIO_FROM": OUR_NUMBER, "TWILIO_API_BASE": fake.base_url, "LIAISON_PUBLIC_URL": PUBLIC}
        clock = ManualClock(NOW, tick=True)
        svc = console_service(env, keyring, clock)
        async with serve_app(svc.web_app()) as base:
            fake.route_public(PUBLIC, base)
            yield svc, base, clock, fake
            await fake.calls_done()
        await svc.stop()


async def her(svc, keyring, windows=WEEKDAYS) -> None:
    await enrolled(svc.db, keyring, channel="sms", address=HER_PHONE, pseudonym="ps-call", persona="garden",
                   display_name="Sam", contact_windows=windows)


async def with_verified_phone(svc, name: str, number: str) -> None:
    async with svc.db.transaction() as s:
        member = await s.scalar(select(StaffMember).where(StaffMember.name == name))
        member.call_number, member.call_number_verified_at = number, NOW


async def call_from_her_page(page, base: str, reason: str = "her call-back") -> None:
    await page.goto(base + "/console/survivors/ps-call")
    await page.fill("#call input[name=reason]", reason)
    await page.click("#call button:has-text('Call her now')")


async def outcome_on_her_page(page, base: str) -> str:
    await page.goto(base + "/console/survivors/ps-call")
    return await page.locator("#calls tr.call .call-outcome").first.inner_text()


async def test_a_fourth_code_call_within_an_hour_is_refused_and_no_phone_rings(browser, calling, keyring) -> None:  # noqa: F811
    svc, base, clock, fake = calling
    ana = await signed_in(browser, base, await make_staff(svc, "ana", ["liaison"]), clock)
    await ana.goto(base + "/console/me")
    for _ in range(3):
        await ana.fill("#call-phone input[name=number]", ANA_PHONE)
        await ana.click("text=Ring me with a code")
        await fake.calls_done()
    assert len(fake.phone(ANA_PHONE).heard) == 3
    await ana.fill("#call-phone input[name=number]", BEN_PHONE)
    await ana.click("text=Ring me with a code")
    assert "three calls in the last hour" in await ana.locator(".flash").inner_text()
    await fake.calls_done()
    assert fake.phone(BEN_PHONE).heard == [] and len(fake.phone(ANA_PHONE).heard) == 3
    async with svc.db.sessions() as s:
        actions = (await s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("staff.call_number%")))).all()
    assert actions.count("staff.call_number_set") == 3 and "staff.call_number_throttled" in actions


async def test_her_1_bridges_the_worker_after_both_phones_were_rung_from_the_service_number(
        browser, calling, keyring) -> None:  # noqa: F811
    svc, base, clock, fake = calling
    await her(svc, keyring)
    ana = await signed_in(browser, base, await make_staff(svc, "ana", ["liaison"]), clock)
    # her own phone first: verified once by a code said on a call to it
    await ana.goto(base + "/console/me")
    await ana.fill("#call-phone input[name=number]", ANA_PHONE)
    await ana.click("text=Ring me with a code")
    await fake.calls_done()
    code = re.search(r"code is ([\d, ]+)\.", fake.phone(ANA_PHONE).heard[-1]).group(1).replace(", ", "")
    await ana.fill("#call-phone input[name=code]", code)
    await ana.click("text=Verify my phone")
    assert await ana.inner_text("#call-number-state") == "verified"

    fake.phone(HER_PHONE, presses="1")
    await call_from_her_page(ana, base)
    assert "Ringing your phone" in await ana.locator(".flash").inner_text()
    await fake.calls_done()
    worker, she = fake.phone(ANA_PHONE), fake.phone(HER_PHONE)
    assert worker.caller_ids[-1] == OUR_NUMBER and she.caller_ids == [OUR_NUMBER]  # masked both ways
    assert "Calling Sam." in worker.heard[-2] and "her call-back" in worker.heard[-2]
    assert she.heard == ["Hello, this is Green Thumbs Club about your order. Press 1 to continue."]
    assert she.bridged_with == [ANA_PHONE] and worker.bridged_with == [HER_PHONE]
    assert she.left == [] and fake.forbidden == []
    assert await outcome_on_her_page(ana, base) == "answered and confirmed"
    await shot(ana, "console-call-confirmed.png")
    async with svc.db.sessions() as s:
        call = await s.scalar(select(PhoneCall))
        assert (call.outcome, call.her_key, call.her_seconds, call.active_survivor_id) == \
            ("confirmed", "confirmed", 42, None)
        actions = (await s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("call.%")))).all()
    assert actions == ["call.started", "call.ended"]
    assert [s.step for s in fake.twiml] == ["worker", "ready", "her", "key", "dial-done"]


@pytest.mark.parametrize("behaviour, outcome", [
    ({"presses": ""}, "answered, not confirmed"),
    ({"presses": "5"}, "answered, not confirmed"),
    ({"machine": True}, "machine (nothing left)"),
    ({"answers": False}, "no answer"),
    ({"busy": True}, "busy"),
], ids=["no key", "wrong key", "machine", "no answer", "busy"])
async def test_without_her_1_the_call_ends_with_no_word_more_and_nothing_left(
        browser, calling, keyring, behaviour, outcome) -> None:  # noqa: F811
    svc, base, clock, fake = calling
    await her(svc, keyring)
    ana = await signed_in(browser, base, await make_staff(svc, "ana", ["liaison"]), clock)
    await with_verified_phone(svc, "ana", ANA_PHONE)
    she = fake.phone(HER_PHONE, **behaviour)
    await call_from_her_page(ana, base)
    await fake.calls_done()
    assert await outcome_on_her_page(ana, base) == outcome
    assert she.bridged_with == [] and she.left == [] and fake.forbidden == []
    assert she.heard == ([] if behaviour.get("machine") or "presses" not in behaviour else
                         ["Hello, this is Green Thumbs Club about your order. Press 1 to continue."])
    if behaviour.get("machine"):
        her_step = next(served.twiml for served in fake.twiml if served.step == "her")
        assert "<Hangup" in her_step and "Say" not in her_step


async def test_outside_her_windows_the_button_asks_a_reason_and_the_call_is_audited_with_it(
        browser, calling, keyring) -> None:  # noqa: F811
    svc, base, clock, fake = calling
    await her(svc, keyring, windows=WEEKENDS)
    ana = await signed_in(browser, base, await make_staff(svc, "ana", ["liaison"]), clock)
    await with_verified_phone(svc, "ana", ANA_PHONE)
    fake.phone(HER_PHONE, presses="1")
    await call_from_her_page(ana, base)
    await ana.wait_for_selector("#outside-reason")
    assert fake.calls == {}  # nothing was rung
    await ana.fill("#outside-reason input", "urgent notice: he was excluded this morning")
    await ana.click("text=Call her now anyway")
    await fake.calls_done()
    assert await outcome_on_her_page(ana, base) == "answered and confirmed"
    async with svc.db.sessions() as s:
        started = await s.scalar(select(AuditEvent).where(AuditEvent.action == "call.started_outside_windows"))
    assert started.details["outside_windows_reason"] == "urgent notice: he was excluded this morning"


async def test_two_workers_calling_her_at_once_place_one_call_shown_in_progress(
        browser, calling, keyring) -> None:  # noqa: F811
    svc, base, clock, fake = calling
    await her(svc, keyring)
    ana = await signed_in(browser, base, await make_staff(svc, "ana", ["liaison"]), clock)
    ben = await signed_in(browser, base, await make_staff(svc, "ben", ["liaison", "supervisor"]), clock)
    await with_verified_phone(svc, "ana", ANA_PHONE)
    await with_verified_phone(svc, "ben", BEN_PHONE)
    picked_up = asyncio.Event()
    fake.phone(ANA_PHONE, hold=picked_up)
    fake.phone(BEN_PHONE, hold=picked_up)
    fake.phone(HER_PHONE, presses="1")
    for page in (ana, ben):
        await page.goto(base + "/console/survivors/ps-call")
    await asyncio.gather(ana.click("#call button"), ben.click("#call button"))
    flashes = [await p.locator(".flash").inner_text() for p in (ana, ben)]
    assert sum("Ringing your phone" in f for f in flashes) == 1
    assert sum("already calling her" in f for f in flashes) == 1
    assert len(fake.calls) == 1
    await ben.goto(base + "/console/survivors/ps-call")
    assert "in progress" in await ben.inner_text("#call-in-progress")
    picked_up.set()
    await fake.calls_done()
    assert await outcome_on_her_page(ben, base) == "answered and confirmed"
    assert fake.phone(HER_PHONE).rang == 1
