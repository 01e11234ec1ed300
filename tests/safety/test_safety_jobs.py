"""The safety tick: periodic re-checks of her contact route, once, in cover wording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.storage.models import Escalation, OutboundMessage, Survivor
from safety.retention import RetentionPolicy
from scheduler.safety_jobs import SafetyJobs
from tests.support.people import enrolled


async def test_a_route_check_is_queued_every_few_weeks_and_only_once(service) -> None:
    sid, _ = await enrolled(service.db, service.keyring, persona="garden", address="sim-recheck")
    async with service.db.transaction() as s:
        await s.execute(update(Survivor).values(created_at=datetime.now(UTC) - timedelta(days=30)))
    now = [datetime.now(UTC)]
    jobs = SafetyJobs(service.db, retention=RetentionPolicy(), route_check_days=28, clock=lambda: now[0])
    assert (await jobs.run_once()).route_checks == 1
    now[0] += timedelta(hours=25)  # the next day: asked already, not due again for 28 days
    assert (await jobs.run_once()).route_checks == 0
    async with service.db.sessions() as s:
        rows = (await s.scalars(select(OutboundMessage).where(OutboundMessage.text_key == "route.check"))).all()
    assert len(rows) == 1 and rows[0].is_reply is False  # so her windows and pauses apply
    assert rows[0].body.startswith("🌱 Green Thumbs Club\n")


async def test_answering_no_pauses_what_we_start_and_asks_a_worker(service) -> None:
    from aiohttp import ClientSession

    from tests.support.http import serve_app

    sid, _ = await enrolled(service.db, service.keyring, persona="garden", address="sim-no")
    async with service.db.transaction() as s:
        (await s.get(Survivor, sid)).state = {"flow": "menu", "step": "main"}
    async with serve_app(service.web_app()) as base, ClientSession() as http:
        resp = await http.post(f"{base}/simulator/api/messages", json={"user": "sim-no", "button": "route:no"})
        assert resp.status == 200
    async with service.db.sessions() as s:
        survivor = await s.get(Survivor, sid)
        reasons = (await s.scalars(select(Escalation.reason))).all()
    assert survivor.outbound_paused_until is not None
    assert survivor.outbound_paused_until > datetime.now(UTC) + timedelta(days=365)
    assert "route_unsafe" in reasons
