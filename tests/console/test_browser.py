"""The console in a real browser (Debian's chromium driven by Playwright): signing in with TOTP,
the queue receiving her urgent alert live while she writes in the simulator, two workers claiming
at once, resolving, revealing her number (audited), the evaluator seeing no identity, a forged
form refused, and the lockout. Set LIAISON_SCREENSHOTS=DIR to save the pages' screenshots there."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.storage.models import AuditEvent
from tests.support.console import PASSWORD, StaffLogin, console_service, make_staff
from tests.support.http import serve_app
from tests.support.people import enrolled

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="browser tests need Debian's chromium at /usr/bin/chromium "
                                       "(apt-get install -y chromium)")
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
HER_SIM = "sim-her-4711"
HER_PHONE = "+447700900432"
SHOTS = os.environ.get("LIAISON_SCREENSHOTS")


async def shot(page, name: str) -> None:
    if SHOTS:
        await asyncio.to_thread(Path(SHOTS).mkdir, parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield b
        await b.close()


@pytest.fixture
async def console(settings_env, keyring) -> AsyncIterator[tuple[object, str, ManualClock]]:
    clock = ManualClock(NOW, tick=True)
    svc = console_service(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        yield svc, base, clock
    await svc.stop()


async def signed_in(browser, base: str, login: StaffLogin, clock: ManualClock, **context_options):
    context = await browser.new_context(**context_options)
    page = await context.new_page()
    await page.goto(base + "/console/sign-in")
    await page.fill("input[name=name]", login.name)
    await page.fill("input[name=password]", PASSWORD)
    await page.fill("input[name=code]", login.code(clock()))
    await page.click("button:has-text('Sign in')")
    await page.wait_for_selector(f"header a:has-text('{login.name}')")
    return page


async def she_writes(base: str, text: str) -> None:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{base}/simulator/api/messages", json={"user": HER_SIM, "text": text})
        assert resp.status == 200


async def test_the_queue_shows_her_danger_message_live_and_one_of_two_workers_claims_it(browser, console,
                                                                                        keyring) -> None:
    svc, base, clock = console
    await enrolled(svc.db, keyring, channel="simulator", address=HER_SIM, pseudonym="ps-live")
    ana = await signed_in(browser, base, await make_staff(svc, "ana", ["liaison"]), clock)
    ben = await signed_in(browser, base, await make_staff(svc, "ben", ["liaison", "supervisor"]), clock)
    await ana.wait_for_selector("h1:has-text('Escalation queue')")
    await ben.wait_for_selector("h1:has-text('Escalation queue')")
    assert await ana.title() == "Queue"

    await she_writes(base, "he is outside my door right now")
    row = ana.locator("tr.urgent", has_text="Danger now")
    await row.wait_for(timeout=30000)  # no reload: Server-Sent Events
    await ana.wait_for_function("document.title.startsWith('(1 urgent)')")
    assert "ps-live" in await row.inner_text()
    await ben.locator("tr.urgent").wait_for(timeout=30000)
    await shot(ana, "console-queue.png")

    await asyncio.gather(ana.locator("tr.urgent button:has-text('Claim')").click(),
                         ben.locator("tr.urgent button:has-text('Claim')").click())
    flashes = [await p.locator(".flash").inner_text() for p in (ana, ben)]
    assert sum("You hold alert" in f for f in flashes) == 1
    assert sum("already held by" in f for f in flashes) == 1

    holder, other = (ana, ben) if "You hold alert" in flashes[0] else (ben, ana)
    if other is ana:  # only its holder (or a supervisor) may resolve it: ana, a liaison worker, is not offered it
        assert await ana.locator("tr.urgent button:has-text('Resolve')").count() == 0
    await holder.select_option("tr.urgent select[name=outcome]", "spoke_to_her")
    await holder.locator("tr.urgent button:has-text('Resolve')").click()
    await holder.wait_for_selector("text=resolved")
    assert await holder.locator("tr.urgent").count() == 0


async def test_her_page_reveals_her_number_only_with_a_reason_and_audits_it(browser, console, keyring) -> None:
    svc, base, clock = console
    await enrolled(svc.db, keyring, channel="sms", address=HER_PHONE, pseudonym="ps-page",
                   contact_windows=[{"days": [0, 1, 2, 3, 4], "start": "10:00", "end": "16:00"}])
    page = await signed_in(browser, base, await make_staff(svc, "ana", ["liaison"]), clock)
    await page.goto(base + "/console/survivors/ps-page")
    assert HER_PHONE not in await page.content()
    await page.fill("#composer", "Shall we talk on Tuesday?")
    assert "Shall we talk" in await page.inner_text("#lock-preview")
    await shot(page, "console-her-page.png")
    await page.fill("input[name=reason]", "ringing her back after her alert")
    await page.click("text=Reveal her number")
    assert HER_PHONE in await page.inner_text("#revealed")
    async with svc.db.sessions() as s:
        reveal = await s.scalar(select(AuditEvent).where(AuditEvent.action == "survivor.revealed"))
    assert reveal is not None and reveal.details["reason"] == "ringing her back after her alert"


async def test_an_evaluator_sees_the_report_and_no_identity(browser, console, keyring) -> None:
    svc, base, clock = console
    await enrolled(svc.db, keyring, channel="sms", address=HER_PHONE, pseudonym="ps-hidden", evaluation_consent=True)
    page = await signed_in(browser, base, await make_staff(svc, "eva", ["evaluator"]), clock)
    await page.wait_for_selector("h1:has-text('Evaluation')")
    await shot(page, "console-evaluation.png")
    for path in ("/console/evaluation", "/console/evaluation/report.html"):
        await page.goto(base + path)
        html = await page.content()
        assert "ps-hidden" not in html and HER_PHONE not in html
    resp = await page.goto(base + "/console/survivors/ps-hidden")
    assert resp is not None and resp.status == 403


async def test_a_forged_form_is_refused_and_wrong_passwords_slow_the_sign_in_down(browser, console) -> None:
    svc, base, clock = console
    login = await make_staff(svc, "ana", ["admin"])
    page = await signed_in(browser, base, login, clock)
    await page.goto(base + "/console/staff")
    await page.fill("input[name=name]", "mallory")
    await page.evaluate("document.querySelector('#add-staff input[name=csrf]').value = 'forged'")
    await page.locator("#add-staff button").click()
    assert "expired" in await page.inner_text("body")

    other = await (await browser.new_context()).new_page()
    said = []
    for _ in range(8):  # four free failures, then a wait that doubles (the clock runs: it may lapse once)
        await other.goto(base + "/console/sign-in")
        await other.fill("input[name=name]", "ana")
        await other.fill("input[name=password]", "not the password")
        await other.fill("input[name=code]", login.code(clock()))
        await other.click("button:has-text('Sign in')")
        said.append(await other.inner_text(".flash"))
        if "Too many attempts: wait" in said[-1]:
            break
    assert said[:4] == ["Those details do not match."] * 4 and "Too many attempts: wait" in said[-1]
