"""Every console page, for every role that can see it, in English and in German, checked by axe-core
(from the npm registry: tests/support/axe/, installed by `.ci/run` with `npm ci`; Playwright injects
it): no serious or critical violation. And a worker who uses no mouse can claim an alert, write a
note and resolve it with Tab, Enter and Space alone.

Set LIAISON_AXE_REPORT=FILE to write each page's figures (violations by impact) there as JSON."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.escalations import raise_escalation
from bot.storage.models import Escalation, StaffMember
from console.staff import accounts
from tests.console import test_browser as shared
from tests.console.test_browser import shot, signed_in
from tests.support.console import make_staff
from tests.support.notices import drafted, programme_event
from tests.support.people import enrolled

AXE = Path(__file__).resolve().parents[1] / "support" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [shared.pytestmark, pytest.mark.skipif(
    not AXE.exists(), reason="the accessibility tests need axe-core: npm ci --prefix tests/support/axe (.ci/run does)")]
browser = shared.browser  # the fixtures of the console's browser tests
console = shared.console
REPORT = os.environ.get("LIAISON_AXE_REPORT")
BLOCKING = ("serious", "critical")
SHOTS = {("de", "/console/queue"): "console-queue-de.png",  # LIAISON_SCREENSHOTS=docs: the German console
         ("en", "/console/escalations/{esc}"): "console-escalation.png"}

# each role's pages ({esc}, {notice}, {her}: made below); every console page a role can open
PAGES = {
    "liaison": ["/console/queue", "/console/escalations/{esc}", "/console/survivors/{her}", "/console/notices",
                "/console/notices/{notice}", "/console/callbacks", "/console/unmatched-events", "/console/me"],
    "supervisor": ["/console/queue", "/console/escalations/{esc}", "/console/survivors/{her}",
                   "/console/notices/{notice}", "/console/sla", "/console/audit", "/console/rota", "/console/me"],
    "evaluator": ["/console/evaluation", "/console/me"],
    "programme": ["/console/programme", "/console/me"],
    "admin": ["/console/staff", "/console/settings", "/console/me"],
}


async def axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it stands (WCAG 2.1 A and AA, and best practice)."""
    await page.add_script_tag(path=str(AXE))
    return await page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations.map(v => ({
        id: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes[0].target.join(' ')}))""")


def figures(found: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in found:
        out[v["impact"] or "none"] = out.get(v["impact"] or "none", 0) + v["nodes"]
    return out


async def test_every_console_page_has_no_serious_or_critical_axe_violation(browser, console, keyring) -> None:
    svc, base, clock = console
    sid, _ = await enrolled(svc.db, keyring, channel="simulator", address=shared.HER_SIM, pseudonym="ps-axe")
    async with svc.db.transaction() as s:
        esc = await raise_escalation(s, survivor_id=sid, priority="urgent", reason="danger_now", now=clock())
        await raise_escalation(s, survivor_id=sid, priority="high", reason="fear_rose", now=clock())
    notice = await drafted(svc, sid, "risk_raised")
    assert notice is not None
    await programme_event(svc, None, "dropped_out")  # one held for a worker to link
    async with svc.db.transaction() as s:
        _member, token = await accounts.add_staff(s, "newcomer", ["liaison"], clock(), actor="test")
    ids = {"esc": esc.id, "notice": notice.id, "her": "ps-axe"}

    results: dict[str, dict[str, int]] = {}
    blocking: list[str] = []

    async def check(page: Any, label: str) -> None:
        found = await axe(page)
        results[label] = figures(found)
        blocking.extend(f"{label}: {v['id']} ({v['impact']}, {v['nodes']}x, e.g. {v['target']})"
                        for v in found if v["impact"] in BLOCKING)

    anon = await (await browser.new_context(bypass_csp=True)).new_page()
    for path in ("/console/sign-in", f"/console/enrol/{token}"):
        await anon.goto(base + path)
        await check(anon, f"signed out {path.split('/')[2]}")
    for role, paths in PAGES.items():
        login = await make_staff(svc, role, [role, "liaison"] if role == "supervisor" else [role])
        if role == "programme":
            async with svc.db.transaction() as s:
                await s.execute(update(StaffMember).where(StaffMember.name == role).values(site="north"))
        page = await signed_in(browser, base, login, clock, bypass_csp=True)  # our CSP refuses axe's inline tag
        for locale in ("en", "de"):
            async with svc.db.transaction() as s:
                await s.execute(update(StaffMember).where(StaffMember.name == role).values(locale=locale))
            for path in paths:
                await page.goto(base + path.format(**ids))
                assert await page.get_attribute("html", "lang") == locale
                await check(page, f"{role} {locale} {path}")
                if role == "liaison" and (locale, path) in SHOTS:
                    await shot(page, SHOTS[locale, path])
        await page.context.close()
    if REPORT:
        await asyncio.to_thread(Path(REPORT).write_text, json.dumps(results, indent=1))
    assert not blocking, "serious or critical accessibility violations:\n" + "\n".join(blocking)
    assert len(results) == 2 + 2 * sum(len(p) for p in PAGES.values())


async def tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until `selector` has the focus (as a keyboard user moves through the page)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_a_worker_claims_notes_writes_to_her_and_resolves_with_the_keyboard_alone(
        browser, console, keyring) -> None:
    svc, base, clock = console
    sid, _ = await enrolled(svc.db, keyring, channel="simulator", address=shared.HER_SIM, pseudonym="ps-keys")
    async with svc.db.transaction() as s:
        esc = await raise_escalation(s, survivor_id=sid, priority="urgent", reason="danger_now", now=clock())
    page = await signed_in(browser, base, await make_staff(svc, "ana", ["liaison"]), clock)
    await page.goto(base + "/console/queue")
    row = f'tr[data-escalation="{esc.id}"]'

    await tab_to(page, f"{row} form[action$='/claim'] button")
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".flash:has-text('You hold alert')")

    await tab_to(page, f"{row} input[name=note]")
    await page.keyboard.type("rang her, she is safe at her sister's")
    await page.keyboard.press("Enter")  # submits the note's form
    await page.wait_for_selector(".flash:has-text('Note added')")

    # to the alert's own page, then write to her from it: reply, all by keyboard
    await tab_to(page, f"{row} a[href='/console/escalations/{esc.id}']")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#live-reply")
    await tab_to(page, "#live-reply")
    await page.keyboard.type("Are you free to talk at three?")
    await tab_to(page, "#reply form[action$='/reply'] button")
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".flash:has-text('Sent to her under her cover title')")

    await tab_to(page, "#alert select[name=outcome]")
    assert await page.evaluate("document.activeElement.value") == "spoke_to_her"
    await tab_to(page, "#alert form[action*='/resolve'] button")
    await page.keyboard.press("Space")
    await page.wait_for_selector(f".flash:has-text('Alert #{esc.id} resolved')")
    async with svc.db.sessions() as s:
        done = await s.get(Escalation, esc.id)
        assert done is not None and (done.status, done.outcome) == ("closed", "spoke_to_her")
