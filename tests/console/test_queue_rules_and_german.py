"""What the console offers is what the server allows: Claim comes first; only the holder or a supervisor
resolves (a liaison worker's forged POST is refused too); Pause or Resume, whichever applies; a notice
whose preview has left cannot be withdrawn; every escalation links to its page. And a worker who
chooses German on her own page reads the console in German, flash messages included."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import update

from bot.clock import ManualClock
from bot.escalations import raise_escalation
from bot.storage.models import Escalation, Notice
from tests.support.console import ConsoleClient, console_service, make_staff
from tests.support.http import serve_app
from tests.support.notices import drafted
from tests.support.people import enrolled

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def buttons(html: str) -> list[str]:
    return re.findall(r"<button[^>]*>([^<]*)</button>", html)


async def test_claim_comes_first_and_only_the_holder_or_a_supervisor_resolves(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console_service(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        ana, ben, sue = ConsoleClient(base), ConsoleClient(base), ConsoleClient(base)
        try:
            sid, _ = await enrolled(svc.db, keyring, channel="sms", address="+447700900555", pseudonym="ps-rules")
            async with svc.db.transaction() as s:
                esc = await raise_escalation(s, survivor_id=sid, priority="urgent", reason="danger_now", now=NOW)
            for client, name, roles in ((ana, "ana", ["liaison"]), (ben, "ben", ["liaison"]),
                                        (sue, "sue", ["supervisor"])):
                assert await client.sign_in(await make_staff(svc, name, roles), clock()) == 303

            _s, page, _l = await ana.get("/console/queue")
            assert buttons(page)[1:3] == ["Claim", "Add note"]  # after "Sign out": Claim first
            assert "Resolve" not in buttons(page)  # nobody holds it: claim it first
            assert f'href="/console/escalations/{esc.id}"' in page
            assert '<span class="code" title="danger_now">Danger now</span>' in page  # words; the code in the tooltip
            assert "Resolve" in buttons((await sue.get("/console/queue"))[1])  # a supervisor may close it

            await ana.post(f"/console/escalations/{esc.id}/resolve", {"outcome": "spoke_to_her"})
            assert ana.flash_kind == "error" and "Claim it first" in (ana.flash or "")
            await ana.post(f"/console/escalations/{esc.id}/claim")
            await ben.post(f"/console/escalations/{esc.id}/resolve", {"outcome": "spoke_to_her"})
            assert ben.flash_kind == "error" and "Only whoever holds" in (ben.flash or "")
            assert "Resolve" not in buttons((await ben.get("/console/queue"))[1])
            async with svc.db.sessions() as s:
                still = await s.get(Escalation, esc.id)
                assert still is not None and still.status == "claimed"

            status, page, _l = await ana.get(f"/console/escalations/{esc.id}")
            assert status == 200 and "Being handled" in page and "ana" in page and "Resolve" in buttons(page)
            _s, page, _l = await ana.get("/console/survivors/ps-rules")
            assert f'<a href="/console/escalations/{esc.id}">' in page  # her page links each escalation
            await ana.post(f"/console/escalations/{esc.id}/resolve?from=escalation", {"outcome": "spoke_to_her"})
            assert ana.flash == f"Alert #{esc.id} resolved."
        finally:
            for client in (ana, ben, sue):
                await client.close()
            await svc.stop()


async def test_pause_or_resume_whichever_applies(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console_service(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        ana = ConsoleClient(base)
        try:
            await enrolled(svc.db, keyring, channel="sms", address="+447700900556", pseudonym="ps-pause")
            assert await ana.sign_in(await make_staff(svc, "ana", ["liaison"]), clock()) == 303
            page = (await ana.get("/console/survivors/ps-pause"))[1]
            assert "Pause messages" in buttons(page) and "Resume messages" not in buttons(page)
            await ana.post("/console/survivors/ps-pause/resume")
            assert ana.flash_kind == "error" and ana.flash == "Her messages are not paused."
            await ana.post("/console/survivors/ps-pause/pause")
            page = (await ana.get("/console/survivors/ps-pause"))[1]
            assert "Resume messages" in buttons(page) and "Pause messages" not in buttons(page)
        finally:
            await ana.close()
            await svc.stop()


async def test_a_notice_whose_preview_has_left_cannot_be_withdrawn(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console_service(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        ana = ConsoleClient(base)
        try:
            sid, _ = await enrolled(svc.db, keyring, channel="sms", address="+447700900557", pseudonym="ps-sent")
            made = await drafted(svc, sid, "dropped_out")
            assert made is not None
            assert await ana.sign_in(await make_staff(svc, "ana", ["liaison"]), clock()) == 303
            assert "Withdraw" in buttons((await ana.get(f"/console/notices/{made.id}"))[1])  # a draft: yes
            async with svc.db.transaction() as s:  # its preview went out
                await s.execute(update(Notice).where(Notice.id == made.id).values(status="sent", sent_at=NOW))
            page = (await ana.get(f"/console/notices/{made.id}"))[1]
            assert "Withdraw" not in buttons(page)
            await ana.post(f"/console/notices/{made.id}/withdraw")
            assert ana.flash_kind == "error" and "can no longer be withdrawn" in (ana.flash or "")
            async with svc.db.sessions() as s:
                assert (await s.get(Notice, made.id)).status == "sent"  # type: ignore[union-attr]
        finally:
            await ana.close()
            await svc.stop()


async def test_a_worker_who_chooses_german_reads_the_console_in_german(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console_service(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        ana = ConsoleClient(base)
        try:
            sid, _ = await enrolled(svc.db, keyring, channel="sms", address="+447700900558", pseudonym="ps-de")
            async with svc.db.transaction() as s:
                esc = await raise_escalation(s, survivor_id=sid, priority="urgent", reason="danger_now", now=NOW)
            assert await ana.sign_in(await make_staff(svc, "ana", ["liaison"]), clock()) == 303
            page = (await ana.get("/console/me"))[1]
            assert '<html lang="en">' in page and 'value="de"' in page
            await ana.post("/console/me/locale", {"locale": "de"})
            assert ana.flash == "Saved."  # (the test client reads a flash message in English)

            page = (await ana.get("/console/queue"))[1]
            assert '<html lang="de">' in page and "<h1>Eskalations-Warteschlange</h1>" in page
            assert "<title>(1 dringend) Warteschlange</title>" in page
            assert '<span class="code" title="danger_now">Jetzt in Gefahr</span>' in page
            assert buttons(page)[:3] == ["Abmelden", "Übernehmen", "Notiz hinzufügen"]
            await ana.post(f"/console/escalations/{esc.id}/claim")
            page = (await ana.get("/console/queue"))[1]
            assert f"Sie haben Alarm #{esc.id} jetzt übernommen." in page  # the flash message, in her locale

            await ana.post("/console/me/locale", {"locale": ""})  # back to the site's
            assert '<html lang="en">' in (await ana.get("/console/queue"))[1]
            await ana.post("/console/me/locale", {"locale": "fr"})
            assert ana.flash_kind == "error"
        finally:
            await ana.close()
            await svc.stop()


async def test_a_refusal_from_another_part_of_the_service_reaches_a_german_worker_in_german(settings_env,
                                                                                           keyring) -> None:
    clock = ManualClock(NOW)
    svc = console_service(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        ana = ConsoleClient(base)
        try:
            await enrolled(svc.db, keyring, channel="sms", address="+447700900559", pseudonym="ps-pin")
            assert await ana.sign_in(await make_staff(svc, "ana", ["liaison"]), clock()) == 303
            await ana.post("/console/me/locale", {"locale": "de"})
            await ana.post("/console/survivors/ps-pin/duress-pin", {"duress_pin": "2580", "duress_pin_again": "2581"})
            assert ana.flash == "Second PIN not set: the two entries differ."  # (the test client reads English)
            page = (await ana.get("/console/survivors/ps-pin"))[1]
            assert "Zweite PIN nicht gesetzt: die beiden Eingaben unterscheiden sich." in page
        finally:
            await ana.close()
            await svc.stop()
