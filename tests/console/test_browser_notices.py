"""Approving a risk notice in a real browser (Debian's chromium through Playwright): a liaison worker
edits the drafted text and approves it; the same person cannot give the second approval of an urgent
notice; a supervisor gives it; the neutral preview reaches her phone (the simulator), she opens it
with her PIN and answers "Got it", and her answer is on the notice's timeline and her page."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.storage.models import ConsentRecord
from safety.pin import FAST_FOR_TESTS, PinHasher
from tests.console.test_browser import CHROMIUM, browser, console, shot, signed_in  # noqa: F401 (fixtures)
from tests.support.console import make_staff
from tests.support.notices import drafted
from tests.support.people import enrolled
from tests.support.running import wait_until

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="browser tests need Debian's chromium at /usr/bin/chromium")
HER_SIM = "sim-her-notice"
ALL_DAY = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]
PIN = "4821"


async def her_screen(base: str) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/simulator/api/messages",
                                                         params={"user": HER_SIM}) as resp:
        return list((await resp.json())["messages"])


async def she_sends(base: str, **body: str) -> list[str]:
    async with aiohttp.ClientSession() as http, http.post(f"{base}/simulator/api/messages",
                                                          json={"user": HER_SIM, **body}) as resp:
        assert resp.status == 200
        return [m["text"] for m in (await resp.json())["messages"] if m["from"] == "bot"]


async def test_two_workers_approve_an_urgent_notice_and_her_got_it_is_on_its_timeline(browser, console,  # noqa: F811
                                                                                      keyring) -> None:
    svc, base, clock = console
    sid, _ = await enrolled(svc.db, keyring, channel="simulator", address=HER_SIM, pseudonym="ps-notice",
                            persona="garden", contact_windows=ALL_DAY, timezone="UTC",
                            pin_hash=PinHasher(FAST_FOR_TESTS).hash(PIN), state={"flow": "menu", "step": "main"})
    async with svc.db.transaction() as s:
        s.add(ConsentRecord(survivor_id=sid, kind="information", granted=True, text_version="t", channel="simulator"))
    made = await drafted(svc, sid, "risk_raised")
    assert made is not None

    ben = await signed_in(browser, base, await make_staff(svc, "ben", ["liaison", "supervisor"]), clock)
    await ben.click("header a:has-text('Notices')")
    row = ben.locator("#drafts tr.urgent", has_text="Assessed risk raised")
    assert "Waiting for approval" in await row.inner_text()
    await row.locator("a", has_text=f"#{made.id}").click()
    assert "🌱 Green Thumbs Club A new note for you" in await ben.inner_text("#lock-preview")
    await ben.fill("#notice-body", made.body + "\nAna from the team will try to ring you this afternoon.")
    await ben.click("button:has-text('Save the text')")
    await ben.wait_for_selector("text=Saved.")
    await ben.click("button:has-text('Approve')")
    await ben.wait_for_selector("text=waits for a supervisor's second approval")
    assert await ben.locator("button:has-text('Give the second approval')").count() == 0
    assert "a different person must give the second" in await ben.inner_text("#second-refusal")
    assert not [m for m in await her_screen(base) if m["from"] == "bot"]  # nothing leaves on one person's word
    await shot(ben, "console-notice-first-approval.png")

    kim = await signed_in(browser, base, await make_staff(svc, "kim", ["supervisor"]), clock)
    await kim.goto(f"{base}/console/notices/{made.id}")
    await kim.click("button:has-text('Give the second approval')")
    await kim.wait_for_selector("text=Second approval given")
    preview = await wait_until(lambda: _bot_texts(base))
    assert preview == ["🌱 Green Thumbs Club\nA new note for you — reply 1 to read."]

    assert await she_sends(base, text="1") and (await she_sends(base, text=PIN))[-1].startswith(
        "🌱 Green Thumbs Club\nYour note is below.")
    texts = await she_sends(base, button=f"notice:{made.id}:got_it")
    assert texts[-1].endswith("Thank you, noted.")

    await kim.reload()
    steps = await kim.inner_text("#timeline")
    for step in ("Drafted", "Edited", "Approved", "Second approval", "Queued", "Sent", "Opened", "Acknowledged"):
        assert step in steps  # words, not codes (second_approved): the code is in the tooltip
    assert "second_approved" not in steps and await kim.locator("#timeline [title=second_approved]").count() == 1
    assert "ben" in steps and "kim" in steps and "Her" in steps
    assert await kim.inner_text("#stage") == "She answered"
    await shot(kim, "console-notice.png")
    await kim.goto(f"{base}/console/survivors/ps-notice")
    assert "She answered" in await kim.inner_text("#notices")


async def _bot_texts(base: str) -> list[str]:
    return [m["text"] for m in await her_screen(base) if m["from"] == "bot"]
