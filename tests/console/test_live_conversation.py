"""Her conversation in the console (issue 28), over HTTP: her words on the alert that they raised,
notes newest first with their author's name, the holder writing to her under her cover title, her
free text going to that worker (live, by Server-Sent Events) while the danger net still runs, her
quick exit ending it, the worker ending it, and the idle time ending it on the safety tick."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import func, select

from bot import catalog
from bot.clock import ManualClock
from bot.storage.models import AuditEvent, Escalation, LiveConversation, OutboundMessage
from safety.disguise import Disguise
from safety.retention import RetentionPolicy
from scheduler.safety_jobs import SafetyJobs
from tests.support.console import ConsoleClient, console_service, make_staff
from tests.support.http import serve_app
from tests.support.people import enrolled

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
HER = "sim-her-2801"


async def she_writes(base: str, text: str) -> list[dict[str, object]]:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{base}/simulator/api/messages", json={"user": HER, "text": text})
        assert resp.status == 200
        return list((await resp.json())["messages"])


async def the_alert(svc, reason: str = "danger_now") -> Escalation:
    async with svc.db.sessions() as s:
        esc = await s.scalar(select(Escalation).where(Escalation.reason == reason).order_by(Escalation.id.desc()))
        assert esc is not None
        return esc


async def our_messages(svc) -> int:
    """The service's own messages (not the worker's, not the end)."""
    async with svc.db.sessions() as s:
        return int(await s.scalar(select(func.count(OutboundMessage.id)).where(
            OutboundMessage.text_key.not_like("live.%"), OutboundMessage.kind == "send")) or 0)


async def test_the_worker_reads_her_words_on_the_alert_they_raised_and_the_notes_newest_first(
        settings_env, keyring) -> None:
    clock = ManualClock(NOW, tick=True)
    svc = console_service(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        ana = ConsoleClient(base)
        try:
            await enrolled(svc.db, keyring, channel="simulator", address=HER, pseudonym="ps-words")
            await she_writes(base, "he is outside my door right now")
            esc = await the_alert(svc)
            assert esc.inbound_id is not None
            assert await ana.sign_in(await make_staff(svc, "ana", ["liaison"]), clock()) == 303
            status, page, _ = await ana.get(f"/console/escalations/{esc.id}")
            assert status == 200
            assert "he is outside my door right now" in page
            assert "raised this alert" in page
            await ana.post(f"/console/escalations/{esc.id}/note", {"note": "first: rang, no answer",
                                                                   "back": f"/console/escalations/{esc.id}"})
            clock.advance(minutes=1)
            await ana.post(f"/console/escalations/{esc.id}/note", {"note": "second: she is safe at her sister's",
                                                                   "back": f"/console/escalations/{esc.id}"})
            _s, page, _l = await ana.get(f"/console/escalations/{esc.id}")
            assert page.index("second: she is safe") < page.index("first: rang")
            assert "ana" in page.split('id="notes"')[1] and "staff:" not in page.split('id="notes"')[1]
            _s, her_page, _l = await ana.get("/console/survivors/ps-words")
            assert "he is outside my door right now" in her_page and "second: she is safe" in her_page
            async with svc.db.sessions() as s:
                viewed = (await s.scalars(select(AuditEvent.action).where(
                    AuditEvent.action == "conversation.viewed"))).all()
            assert len(viewed) == 3  # each view of her words, on the alert and on her page
        finally:
            await ana.close()
            await svc.stop()


async def test_the_holder_writes_to_her_and_her_answers_reach_that_worker_live_until_her_quick_exit(
        settings_env, keyring) -> None:
    clock = ManualClock(NOW, tick=True)
    svc = console_service(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        ana, ben = ConsoleClient(base), ConsoleClient(base)
        try:
            await enrolled(svc.db, keyring, channel="simulator", address=HER, pseudonym="ps-live", persona="garden")
            await she_writes(base, "help me now he is here")
            esc = await the_alert(svc)
            assert await ana.sign_in(await make_staff(svc, "ana", ["liaison"]), clock()) == 303
            assert await ben.sign_in(await make_staff(svc, "ben", ["liaison"]), clock()) == 303
            page = f"/console/escalations/{esc.id}"

            await ana.post(f"{page}/reply", {"body": "Are you able to talk?"})
            assert ana.flash_kind == "error" and "Claim" in (ana.flash or "")  # the holder writes, nobody else
            await ana.post(f"{page}/claim", {"back": page})
            await ben.post(f"{page}/reply", {"body": "Hello from ben"})
            assert ben.flash_kind == "error"
            await ana.post(f"{page}/reply", {"body": "Are you able to talk?"})
            assert ana.flash_kind is None, ana.flash
            async with svc.db.sessions() as s:
                ours = await s.scalar(select(OutboundMessage).where(OutboundMessage.text_key == "live.reply"))
                assert ours is not None and ours.sensitive and ours.is_reply
                assert ours.body == f"{catalog.title('en', Disguise.of('garden', False))}\nAre you able to talk?"
            await svc.dispatcher.dispatch_due(keyring.blind_index("simulator", HER), "simulator")

            got: asyncio.Queue[str] = asyncio.Queue()

            async def watch() -> None:
                async with ana.http.get(f"{base}{page}/events") as resp:
                    async for raw in resp.content:
                        line = raw.decode()
                        if line.startswith("data: "):
                            await got.put(json.loads(line[6:])["html"])

            watcher = asyncio.create_task(watch())
            first = await asyncio.wait_for(got.get(), 5)
            assert "Are you able to talk?" in first and "Writing with her now:" in first
            before = await our_messages(svc)
            sent = time.monotonic()
            await she_writes(base, "yes I can talk, he went out")
            while "yes I can talk" not in (html := await asyncio.wait_for(got.get(), 5)):
                pass
            assert time.monotonic() - sent < 1.0  # live: within a second
            assert await our_messages(svc) == before  # the worker answers, not the menu

            await she_writes(base, "he is back he is here now")  # the danger net still runs
            async with svc.db.sessions() as s:
                alerts = (await s.scalars(select(Escalation.id).where(Escalation.reason == "danger_now"))).all()
            assert len(alerts) == 2

            await she_writes(base, "exit")
            while "quick exit" not in (html := await asyncio.wait_for(got.get(), 5)):
                pass
            assert "She used quick exit" in html
            async with svc.db.sessions() as s:
                conv = await s.scalar(select(LiveConversation))
                assert conv is not None and conv.end_reason == "quick_exit" and conv.active_survivor_id is None
            await ana.post(f"{page}/reply", {"body": "Still there?"})  # nothing of ours until she writes again
            assert ana.flash_kind == "error" and "paused" in (ana.flash or "")
            watcher.cancel()
        finally:
            await ana.close()
            await ben.close()
            await svc.stop()


async def test_the_worker_ends_it_or_it_ends_when_idle_and_she_is_told_in_her_cover_wording(
        settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console_service(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        ana = ConsoleClient(base)
        try:
            await enrolled(svc.db, keyring, channel="simulator", address=HER, pseudonym="ps-end")
            await she_writes(base, "he is outside my door right now")
            esc = await the_alert(svc)
            page = f"/console/escalations/{esc.id}"
            assert await ana.sign_in(await make_staff(svc, "ana", ["liaison"]), clock()) == 303
            await ana.post(f"{page}/claim", {"back": page})
            await ana.post(f"{page}/reply", {"body": "I am here."})
            await ana.post(f"{page}/end-conversation")
            assert ana.flash_kind is None, ana.flash
            await ana.post(f"{page}/reply", {"body": "One more thing."})
            clock.advance(svc.settings.live_chat_idle_minutes * timedelta(minutes=1) - timedelta(seconds=1))
            jobs = SafetyJobs(svc.db, retention=RetentionPolicy(), route_check_days=28, clock=clock)
            assert (await jobs.run_once()).live_ended == 0
            clock.advance(seconds=1)
            assert (await jobs.run_once()).live_ended == 1
            async with svc.db.sessions() as s:
                ends = (await s.scalars(select(LiveConversation.end_reason).order_by(LiveConversation.id))).all()
                told = (await s.scalars(select(OutboundMessage.body).where(
                    OutboundMessage.text_key == "live.ended"))).all()
            assert ends == ["worker", "idle"]
            assert len(told) == 2 and all("Send MENU whenever you like" in (b or "") for b in told)
            await she_writes(base, "menu")  # her chat is hers again: the menu answers
            async with svc.db.sessions() as s:
                assert await s.scalar(select(func.count(OutboundMessage.id)).where(
                    OutboundMessage.text_key.like("menu%"))) >= 1
        finally:
            await ana.close()
            await svc.stop()
