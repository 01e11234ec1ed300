"""Issue 28 end to end in a real browser (Debian's chromium driven by Playwright): her danger text in
the simulator, the worker reading her words on the alert, claiming it, writing to her, the simulator
showing the reply under her cover title, her answer reaching the worker's open page live (Server-Sent
Events, no reload), a note, and the alert resolved with an outcome. LIAISON_SCREENSHOTS=DIR saves
the pages' screenshots there."""

from __future__ import annotations

from bot import catalog
from safety.disguise import Disguise
from tests.console.test_browser import CHROMIUM, browser, console, shot, signed_in  # noqa: F401 (fixtures)
from tests.console.test_browser import pytestmark as browser_only
from tests.support.console import make_staff
from tests.support.people import enrolled

pytestmark = browser_only
HER = "sim-her-2828"
assert CHROMIUM


async def on_the_simulator(browser, base: str):  # noqa: F811 (the fixture's value)
    """Her phone: the simulator's chat page, as her."""
    page = await (await browser.new_context()).new_page()
    await page.goto(base + "/simulator")
    await page.fill("#user", HER)
    await page.press("#user", "Enter")
    return page


async def she_types(phone, text: str) -> None:
    await phone.fill("#text", text)
    await phone.press("#text", "Enter")
    await phone.locator("#messages li.from-user", has_text=text).wait_for(timeout=30000)


async def test_the_worker_reads_her_words_claims_writes_and_sees_her_answer_live_then_resolves(
        browser, console, keyring) -> None:  # noqa: F811 (fixtures)
    svc, base, clock = console
    await enrolled(svc.db, keyring, channel="simulator", address=HER, pseudonym="ps-e2e", persona="garden")
    cover = catalog.title("en", Disguise.of("garden", False))
    ana = await signed_in(browser, base, await make_staff(svc, "ana", ["liaison"]), clock)
    phone = await on_the_simulator(browser, base)

    await she_types(phone, "he is outside my door right now")
    row = ana.locator("tr.urgent", has_text="Danger now")
    await row.wait_for(timeout=30000)
    await row.locator("td a").first.click()  # the alert's own page
    await ana.wait_for_selector("h1:has-text('Alert')")
    words = ana.locator("#conversation li.her.raised", has_text="he is outside my door right now")
    await words.wait_for(timeout=30000)  # her words, marked as what raised it

    await ana.locator("#alert button:has-text('Claim')").click()
    await ana.wait_for_selector(".flash:has-text('You hold alert')")
    await ana.fill("#live-reply", "Can you talk right now?")
    await ana.locator("#reply button:has-text('Send to her')").click()
    await ana.wait_for_selector(".flash:has-text('Sent to her')")

    ours = phone.locator("#messages li.from-bot", has_text="Can you talk right now?")
    await ours.wait_for(timeout=30000)  # through the outbox to her phone
    assert (await ours.locator("p.text").inner_text()).strip().startswith(cover)  # under her cover title

    await she_types(phone, "yes he went to the shop, I can talk for ten minutes")
    live = ana.locator("#conversation li.her", has_text="he went to the shop")
    await live.wait_for(timeout=30000)  # no reload: the page's event stream
    assert await ana.locator("#conversation-state", has_text="Writing with her now: ana").count() == 1
    await shot(ana, "console-conversation.png")
    await shot(phone, "simulator-worker-reply.png")

    await ana.fill("#alert input[name=note]", "She can talk for ten minutes; agreed a call at 3pm.")
    await ana.locator("#alert button:has-text('Add note')").click()
    await ana.locator("#notes li.note", has_text="agreed a call at 3pm").wait_for(timeout=30000)
    assert "ana" in await ana.locator("#notes li.note").first.inner_text()

    await ana.select_option("#alert select[name=outcome]", "spoke_to_her")
    await ana.locator("#alert button:has-text('Resolve')").click()
    await ana.wait_for_selector(".flash:has-text('resolved')")
    await ana.locator("#escalation-status", has_text="Resolved").wait_for(timeout=30000)
    # resolving ends the conversation: she is told in her cover wording, her chat is hers again
    told = phone.locator("#messages li.from-bot", has_text="Send MENU whenever you like")
    await told.wait_for(timeout=30000)
    assert (await told.locator("p.text").inner_text()).strip().startswith(cover)
