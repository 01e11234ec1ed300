"""The service's notice settings (bot/settings.py), installed at start like the SLA policy, so
`draft_for_event` and the safety tick read them without every caller passing them along."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class NoticePolicy:
    auto_approve_sites: frozenset[str] = field(default_factory=frozenset)  # LIAISON_NOTICE_AUTO_APPROVE_SITES
    ack_within: timedelta = timedelta(hours=48)  # LIAISON_NOTICE_ACK_HOURS

    def auto_approves(self, site: str | None, urgent: bool) -> bool:
        """Routine notices of a site that chose it skip the worker's approval; urgent ones never do."""
        return not urgent and site is not None and site in self.auto_approve_sites


_policy = NoticePolicy()


def install_notice_policy(policy: NoticePolicy) -> None:
    global _policy
    _policy = policy


def notice_policy() -> NoticePolicy:
    return _policy
