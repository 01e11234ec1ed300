"""Time-driven safety work: unanswered danger questions, notices not acknowledged or never sent,
message expiry, retention, route re-checks.

Run by the same APScheduler runner as the waves. Each job is idempotent: expiry queues deletions
with a cause derived from the moment, retention only removes what is past its date, re-checks are
keyed by survivor and day. So a restart that runs everything at once (the catch-up) is safe, and
overdue deletions happen at once after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.actions.erasure import erase_survivor
from bot.actions.expiry import expire_due
from bot.actions.held_escalations import open_unanswered
from bot.actions.retention import run_retention
from bot.actions.route_check import due_for_route_check, queue_route_check
from bot.live_chat import end_idle
from bot.logs import log_event
from bot.notices.watch import escalate_unacknowledged, settle_unsent
from bot.oncall.alerts import escalate_overdue
from bot.storage.db import Database
from bot.storage.models import OutboundMessage, Survivor
from safety.retention import RetentionPolicy


@dataclass
class SafetySummary:
    expired: int = 0
    erased: int = 0
    route_checks: int = 0
    unanswered: int = 0
    notices_unsent: int = 0
    notices_unacknowledged: int = 0
    retention_ran: bool = False
    staff_alerts: int = 0
    live_ended: int = 0


class SafetyJobs:
    def __init__(self, db: Database, *, retention: RetentionPolicy, route_check_days: int,
                 clock: Callable[[], datetime] | None = None, on_outbox: Callable[[], None] | None = None) -> None:
        self.db = db
        self.retention = retention
        self.route_check_days = route_check_days
        self._clock = clock or (lambda: datetime.now(UTC))
        self.on_outbox = on_outbox or (lambda: None)
        self._daily_done_at: datetime | None = None

    async def run_once(self) -> SafetySummary:
        now = self._clock()
        summary = SafetySummary()
        async with self.db.transaction() as s:
            # first: a danger question she could not answer reaches a person (flows/danger_check.py)
            summary.unanswered = await open_unanswered(s, now)
        if summary.unanswered:
            log_event("danger_check.unanswered", logging.WARNING, escalations=summary.unanswered)
        async with self.db.transaction() as s:
            # a notice that cannot reach her, or an urgent one she has not acknowledged: a person (bot/notices)
            summary.notices_unsent = await settle_unsent(s, now)
            summary.notices_unacknowledged = await escalate_unacknowledged(s, now)
        async with self.db.transaction() as s:
            summary.expired = await expire_due(s, now)
        async with self.db.transaction() as s:
            # a worker's live conversation nobody wrote in for the idle time ends; she is told (issue 28)
            summary.live_ended = await end_idle(s, now)
        summary.erased = await self.erase_requested(now)
        async with self.db.transaction() as s:
            # unclaimed past its SLA: re-alert the on-call staff, then the supervisors
            summary.staff_alerts = await escalate_overdue(s, now)
        if self._daily_done_at is None or now - self._daily_done_at > timedelta(hours=24):
            # daily work: re-checks read every survivor's (encrypted) state, retention scans old rows
            async with self.db.transaction() as s:
                survivors = (await s.scalars(select(Survivor).where(Survivor.status == "active"))).all()
                for survivor in survivors:
                    if due_for_route_check(survivor, now, self.route_check_days):
                        summary.route_checks += await queue_route_check(s, survivor, now, reason="periodic")
            async with self.db.transaction() as s:
                await run_retention(s, self.retention, now)
            self._daily_done_at, summary.retention_ran = now, True
        if (summary.expired or summary.live_ended or summary.route_checks or summary.erased or summary.staff_alerts
                or summary.unanswered
                or summary.notices_unsent or summary.notices_unacknowledged):
            self.on_outbox()
            log_event("safety.tick", expired=summary.expired, route_checks=summary.route_checks,
                      erased=summary.erased, staff_alerts=summary.staff_alerts,
                      notices_unsent=summary.notices_unsent, notices_unacknowledged=summary.notices_unacknowledged)
        return summary

    async def erase_requested(self, now: datetime) -> int:
        """Erase those who asked, once her last confirmation has left (it is erased with the rest)."""
        waiting = select(OutboundMessage.id).where(
            OutboundMessage.survivor_id == Survivor.id, OutboundMessage.kind == "send",
            OutboundMessage.status.in_(("pending", "sending")))
        async with self.db.transaction() as s:
            ready = (await s.scalars(select(Survivor).where(Survivor.status == "erasing", ~waiting.exists()))).all()
            for survivor in ready:
                await erase_survivor(s, survivor, actor="survivor", reason="requested", now=now)
        return len(ready)
