"""The simulator's phone call panel (`make demo` with no Twilio account): a worker verifies their phone
and calls her from the console, and the panel plays both phones in a real browser: the worker's
rings first, then hers from the service's number; her 1 connects them; a voicemail is left nothing."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.storage.models import PhoneCall
from bot.voice.client import SIMULATED
from tests.console.test_browser import CHROMIUM, browser, signed_in  # noqa: F401 - the fixture
from tests.support.console import console_service, make_staff
from tests.support.http import serve_app
from tests.support.people import enrolled

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="browser tests need Debian's chromium at /usr/bin/chromium")
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
HER_PHONE, MY_PHONE = "+447700900432", "+447700900551"
CHECK = "Hello, this is Green Thumbs Club about your order. Press 1 to continue."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def demo(settings_env, keyring) -> AsyncIterator[tuple[object, str, ManualClock]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clock = ManualClock(NOW, tick=True)
    svc = console_service({**settings_env, "LIAISON_PUBLIC_URL": base}, keyring, clock)
    async with serve_app(svc.web_app(), port=port):
        yield svc, base, clock
    await svc.stop()


async def choose(panel, label: str) -> None:
    await panel.locator(f".call button:has-text('{label}')").first.click()


async def test_the_panel_plays_a_whole_call_with_no_twilio_account(browser, demo, keyring) -> None:  # noqa: F811
    svc, base, clock = demo
    assert svc.voice is not None and svc.voice.config.account_sid == SIMULATED.account_sid
    await enrolled(svc.db, keyring, channel="sms", address=HER_PHONE, pseudonym="ps-demo", persona="garden")
    worker = await signed_in(browser, base, await make_staff(svc, "ana", ["liaison"]), clock)
    panel = await (await browser.new_context()).new_page()
    await panel.goto(base + "/simulator/phone")

    await worker.goto(base + "/console/me")
    await worker.fill("#call-phone input[name=number]", MY_PHONE)
    await worker.click("text=Ring me with a code")
    await choose(panel, "Answer")
    spoken = panel.locator(".call li", has_text="console code is")
    await spoken.wait_for()
    code = (await spoken.inner_text()).split("code is ")[1].split(".")[0].replace(", ", "")
    await worker.fill("#call-phone input[name=code]", code)
    await worker.click("text=Verify my phone")
    assert await worker.inner_text("#call-number-state") == "verified"

    await worker.goto(base + "/console/survivors/ps-demo")
    await worker.fill("#call input[name=reason]", "demo")
    await worker.click("#call button:has-text('Call her now')")
    await panel.locator(".call", has_text=f"The worker's phone ({MY_PHONE}) rings").first.wait_for()
    await choose(panel, "Answer")  # the worker
    await panel.locator(".call li", has_text="A liaison call. Press 1").wait_for()
    await choose(panel, "The worker presses 1")
    await panel.locator(".call li", has_text=f"Her phone ({HER_PHONE}) rings, showing {SIMULATED.number}").wait_for()
    await choose(panel, "Answer")  # her
    await panel.locator(".call li", has_text=CHECK).wait_for()
    await choose(panel, "She presses 1")
    await panel.locator(".call li", has_text="Connected: the worker").wait_for()
    await panel.locator(".call li", has_text="The call has ended.").first.wait_for()
    await worker.goto(base + "/console/survivors/ps-demo")
    assert await worker.locator("#calls .call-outcome").first.inner_text() == "answered and confirmed"

    await worker.click("#call button:has-text('Call her now')")
    await panel.locator(".call button:has-text('Do not answer')").first.wait_for()
    await choose(panel, "Answer")
    await choose(panel, "The worker presses 1")
    await panel.locator(".call li", has_text=f"Her phone ({HER_PHONE}) rings").nth(0).wait_for()
    await panel.locator(".call button:has-text('Busy')").first.wait_for()
    await choose(panel, "Voicemail answers")
    await panel.locator(".call li", has_text="hangs up on her phone").first.wait_for()
    assert await panel.locator(".call li.left").count() == 0  # nothing was left on her voicemail
    await panel.locator(".call li", has_text="The call has ended.").first.wait_for()
    async with svc.db.sessions() as s:
        outcomes = (await s.scalars(select(PhoneCall.outcome).order_by(PhoneCall.id))).all()
    assert outcomes == ["confirmed", "machine"]
