"""Which messages can still be deleted at the provider, and in what batches.

Telegram lets a bot delete messages (its own and, in private chats, the user's) for 48 hours; its
`deleteMessages` takes at most 100 ids. Expiry is clamped well inside that window so a sensitive
message is always deleted while deletion is still possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

TELEGRAM_DELETE_WINDOW = timedelta(hours=48)
WINDOW_MARGIN = timedelta(minutes=15)  # do not race the edge of the window
DELETE_BATCH = 100
MIN_EXPIRY_MINUTES = 5
MAX_EXPIRY_MINUTES = 24 * 60  # half of Telegram's window


@dataclass(frozen=True)
class Deletable:
    provider_id: str
    kind: str  # "out" (ours) or "in" (hers)
    row_id: int
    at: datetime


def still_deletable(channel: str, at: datetime, now: datetime) -> bool:
    if channel == "telegram":
        return at > now - TELEGRAM_DELETE_WINDOW + WINDOW_MARGIN
    return True  # SMS records at the provider and the simulator have no time limit


def plan_batches(items: list[Deletable], channel: str, now: datetime,
                 batch_size: int = DELETE_BATCH) -> list[list[Deletable]]:
    """Deletable items, oldest first, in batches the provider accepts."""
    keep = sorted((i for i in items if still_deletable(channel, i.at, now)), key=lambda i: (i.at, i.row_id))
    return [keep[i:i + batch_size] for i in range(0, len(keep), batch_size)]


def clamp_expiry_minutes(minutes: int) -> int:
    """Her chosen expiry, kept inside what the provider lets us delete."""
    return max(MIN_EXPIRY_MINUTES, min(MAX_EXPIRY_MINUTES, minutes))
