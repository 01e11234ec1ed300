"""How long things are kept. Pure: the cut-off dates for a given moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

CLOSED_STATUSES = ("stopped",)


@dataclass(frozen=True)
class RetentionPolicy:
    message_days: int = 30  # content of messages, hers and ours
    closed_case_days: int = 365  # a case stopped this long ago is erased

    def message_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.message_days)

    def closed_case_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.closed_case_days)
