"""The service's configurable rules that rows are written by: an escalation's SLA deadline, a notice's
acknowledgement deadline and which sites' routine notices skip review.

Built once from the settings (`Policies.from_settings`) and given to the `Database`, whose sessions
carry them (`bot.storage.db.session_policies`): the code that writes such a row holds a session
already, so nothing threads them through the conversation, and no module global holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings


@dataclass(frozen=True)
class SlaPolicy:
    """How long a worker has to pick up an escalation, by priority (LIAISON_SLA_*)."""

    urgent: timedelta = timedelta(minutes=5)
    high: timedelta = timedelta(hours=4)
    routine_working_days: int = 2

    def due(self, priority: str, created: datetime) -> datetime:
        if priority == "urgent":
            return created + self.urgent
        if priority == "high":
            return created + self.high
        return add_working_days(created, self.routine_working_days)


def add_working_days(start: datetime, days: int) -> datetime:
    """`days` working days (Monday to Friday) after `start`, at the same time of day."""
    at, left = start, days
    while left > 0:
        at += timedelta(days=1)
        if at.weekday() < 5:
            left -= 1
    return at


@dataclass(frozen=True)
class NoticePolicy:
    auto_approve_sites: frozenset[str] = field(default_factory=frozenset)  # LIAISON_NOTICE_AUTO_APPROVE_SITES
    ack_within: timedelta = timedelta(hours=48)  # LIAISON_NOTICE_ACK_HOURS

    def auto_approves(self, site: str | None, urgent: bool) -> bool:
        """Routine notices of a site that chose it skip the worker's approval; urgent ones never do."""
        return not urgent and site is not None and site in self.auto_approve_sites


@dataclass(frozen=True)
class Policies:
    sla: SlaPolicy = field(default_factory=SlaPolicy)
    notices: NoticePolicy = field(default_factory=NoticePolicy)
    live_idle: timedelta = timedelta(minutes=30)  # LIAISON_LIVE_CHAT_IDLE_MINUTES: a held conversation ends

    @classmethod
    def from_settings(cls, settings: Settings) -> Policies:
        return cls(
            sla=SlaPolicy(urgent=timedelta(minutes=settings.sla_urgent_minutes),
                          high=timedelta(hours=settings.sla_high_hours),
                          routine_working_days=settings.sla_routine_working_days),
            notices=NoticePolicy(auto_approve_sites=frozenset(settings.notice_auto_approve_sites),
                                 ack_within=timedelta(hours=settings.notice_ack_hours)),
            live_idle=timedelta(minutes=settings.live_chat_idle_minutes),
        )
