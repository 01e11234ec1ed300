"""Programme events in a real browser (Debian's chromium driven by Playwright): a programme worker
sends an event for her case and never sees anything of hers; a liaison worker links a held event to
her by pseudonym. Set LIAISON_SCREENSHOTS=DIR to save the pages' screenshots there."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.programme.linking import link_case
from bot.storage.models import StaffMember, Survivor
from tests.console import test_browser as shared
from tests.console.test_browser import HER_PHONE, NOW, shot, signed_in
from tests.programme.support import her, matched_to, stored_events
from tests.support.console import make_staff
from tests.support.people import enrolled

SITE = "north-leeds"
pytestmark = shared.pytestmark  # skipped, with the reason, where chromium is absent
browser = shared.browser  # the fixtures of the console's browser tests
console = shared.console


async def programme_worker(svc, name: str = "pat"):
    login = await make_staff(svc, name, ["programme"])
    async with svc.db.transaction() as s:
        await s.execute(update(StaffMember).where(StaffMember.name == name).values(site=SITE))
    return login


async def test_a_programme_worker_sends_an_event_and_never_sees_her_data(browser, console, keyring) -> None:
    svc, base, clock = console
    sid, _identity = await enrolled(svc.db, keyring, channel="sms", address=HER_PHONE, pseudonym="ps-hers")
    async with svc.db.transaction() as s:
        survivor = await s.get(Survivor, sid)
        await link_case(s, keyring, survivor, site=SITE, case_ref="DV-2026-117", actor="worker:ana", now=clock())
    page = await signed_in(browser, base, await programme_worker(svc), clock)
    await page.wait_for_selector("h1:has-text('Programme events')")
    await page.select_option("select[name=kind]", "excluded")
    await page.fill("input[name=case_ref]", "DV-2026-117")
    await page.fill("input[name=occurred_on]", (NOW - timedelta(days=1)).date().isoformat())
    await page.select_option("select[name=reason_class]", "violence_threat")
    await page.fill("textarea[name=detail]", "Threatened a group member in session 9.")
    await shot(page, "console-programme.png")
    # the same form sent twice (a double click, a flaky network resending): one event
    await page.evaluate("""() => { const f = document.getElementById('event-form');
                                   return fetch(f.action, {method: 'POST', body: new FormData(f)}); }""")
    await page.click("button:has-text('Send event')")
    assert "was received already" in await page.inner_text(".flash")
    assert "Excluded from the programme (Violence or threats)" in await page.inner_text("#sent")
    await svc.settler.settled()  # matched after the answer: wait until that is done
    (row,) = await stored_events(svc.db)
    assert row.status == "matched" and await matched_to(svc.db) == {row.id: (sid,)}  # it reached her worker

    # never anything of hers, on any page this role can open
    for path in ("/console/programme", "/console/me"):
        await page.goto(base + path)
        html = await page.content()
        for hers in ("ps-hers", HER_PHONE, "DV-2026-117", "matched"):
            assert hers not in html, (path, hers)
    for path in ("/console/survivors/ps-hers", "/console/unmatched-events", "/console/queue"):
        response = await page.goto(base + path)
        assert response is not None and response.status == 403, path


async def test_a_bad_event_is_refused_in_the_form_naming_the_field(browser, console) -> None:
    svc, base, clock = console
    page = await signed_in(browser, base, await programme_worker(svc), clock)
    await page.select_option("select[name=kind]", "session_missed")
    await page.fill("input[name=case_ref]", "K-1")
    await page.click("button:has-text('Send event')")
    assert "sessions_missed: is required for session_missed" in await page.inner_text("#errors")
    assert await page.get_attribute("input[name=sessions_missed]", "aria-invalid") == "true"
    assert await page.input_value("input[name=case_ref]") == "K-1"
    assert await stored_events(svc.db) == []


async def test_a_liaison_worker_links_a_held_event_to_her(browser, console, keyring) -> None:
    svc, base, clock = console
    sid = await her(svc.db, keyring, "ps-amber", case_ref=None, site=SITE)
    pat = await signed_in(browser, base, await programme_worker(svc), clock)
    await pat.select_option("select[name=kind]", "risk_raised")
    await pat.fill("input[name=case_ref]", "K-77")
    await pat.click("button:has-text('Send event')")
    await pat.wait_for_selector(".flash")
    await svc.settler.settled()

    ana = await signed_in(browser, base, await make_staff(svc, "ana", ["liaison"]), clock)
    await ana.click("header a:has-text('Unmatched events')")
    row = ana.locator("#unmatched tr", has_text="K-77")
    assert "Assessed risk raised" in await row.inner_text() and "urgent" in await row.inner_text()
    await shot(ana, "console-unmatched.png")
    await row.locator("input[name=pseudonym]").fill("ps-amber")
    await row.locator("button:has-text('Link')").click()
    assert "Linked to ps-amber: 1 event(s)" in await ana.inner_text(".flash")
    assert "K-77" not in await ana.inner_text("#unmatched")
    (event,) = await stored_events(svc.db)
    assert event.status == "matched" and await matched_to(svc.db) == {event.id: (sid,)}
    await ana.goto(base + "/console/survivors/ps-amber")
    assert await ana.inner_text("#case-ref") == "K-77"
    assert "Assessed risk raised" in await ana.inner_text("#programme-events")
