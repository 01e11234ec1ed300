"""Which messages can still be deleted at the provider, and in what batches.

Telegram lets a bot delete messages (its own and, in private chats, the user's) for 48 hours (its
`delete_window` capability); its `deleteMessages` takes at most 100 ids. Expiry is clamped well inside
that window so a sensitive message is always deleted while deletion is still possible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

WINDOW_MARGIN = timedelta(minutes=15)  # do not race the edge of the window
DELETE_BATCH = 100
SWEEP_AHEAD = 5  # ids past the newest known one: a send in doubt may have landed just after it
SWEEP_MAX = 100  # at most one more provider call of ids we do not know
MIN_EXPIRY_MINUTES = 5
MAX_EXPIRY_MINUTES = 24 * 60  # half of Telegram's window
# whether a channel deletes at all, and within what window, is its capability
# (flows/capabilities.py: `deletes_messages`, `delete_window`), never its name


@dataclass(frozen=True)
class Deletable:
    provider_id: str
    kind: str  # "out" (ours) or "in" (hers)
    row_id: int
    at: datetime


@dataclass(frozen=True)
class DeletionPlan:
    """What one queued deletion removes: messages at the provider (by their ids there) and the
    content of our rows for them (outbound and inbound row ids), cleared once the provider is done.
    Carried out, it forgets the provider ids (kept, like the address, only to carry it out) and
    keeps how many there were."""

    provider_ids: tuple[str, ...]
    outbound_ids: tuple[int, ...]
    inbound_ids: tuple[int, ...]
    count: int = 0  # how many provider messages it deleted: set once carried out
    whole_chat: bool = False  # quick exit, erasure: the chat must hold nothing of ours or hers after

    def with_late_sends(self, provider_ids: Iterable[str]) -> DeletionPlan:
        """Also delete our sends that were on their way when it was queued and have an id now."""
        known = set(self.provider_ids)
        late = tuple(dict.fromkeys(pid for pid in provider_ids if pid not in known))
        return replace(self, provider_ids=self.provider_ids + late)

    def with_unknown_sends(self) -> DeletionPlan:
        """Also the ids a send of ours may have got without our learning it (in doubt: a time-out,
        a crash; it may be on her screen). Where the provider numbers a chat's messages one after
        another (Telegram), such a message sits in a gap between the ids we know, or just after the
        newest: a whole-chat deletion asks for those ids too; ids that do not exist are skipped."""
        known = {int(p) for p in self.provider_ids if p.isdigit()}
        if not self.whole_chat or not known:
            return self
        gaps = [i for i in range(max(known) + SWEEP_AHEAD, min(known), -1) if i not in known][:SWEEP_MAX]
        return replace(self, provider_ids=self.provider_ids + tuple(str(i) for i in sorted(gaps)))

    def carried_out(self) -> DeletionPlan:
        return replace(self, provider_ids=(), count=len(self.provider_ids))

    def to_json(self) -> dict[str, Any]:
        return {"provider_ids": list(self.provider_ids), "outbound_ids": list(self.outbound_ids),
                "inbound_ids": list(self.inbound_ids), "count": self.count, "whole_chat": self.whole_chat}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeletionPlan:
        return cls(tuple(str(p) for p in data["provider_ids"]), tuple(int(i) for i in data["outbound_ids"]),
                   tuple(int(i) for i in data["inbound_ids"]), int(data.get("count", 0)),
                   bool(data.get("whole_chat", False)))


def still_deletable(window: timedelta | None, at: datetime, now: datetime) -> bool:
    """Can a message sent `at` still be deleted, on a channel whose deletion window is `window`
    (None: no time limit, as for SMS records at the provider)?"""
    if window is not None:
        return at > now - window + WINDOW_MARGIN
    return True


def plan_batches(items: list[Deletable], window: timedelta | None, now: datetime,
                 batch_size: int = DELETE_BATCH) -> list[list[Deletable]]:
    """Deletable items, oldest first, in batches the provider accepts."""
    keep = sorted((i for i in items if still_deletable(window, i.at, now)), key=lambda i: (i.at, i.row_id))
    return [keep[i:i + batch_size] for i in range(0, len(keep), batch_size)]


def clamp_expiry_minutes(minutes: int) -> int:
    """Her chosen expiry, kept inside what the provider lets us delete."""
    return max(MIN_EXPIRY_MINUTES, min(MAX_EXPIRY_MINUTES, minutes))
