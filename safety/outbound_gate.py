"""The last check before a message leaves: may this go to this identity now?

Pure logic, run by the dispatcher at send time (not only when the message was queued), because
her situation can change in between: she may have stopped, paused or changed her number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class GateFacts:
    now: datetime
    is_deletion: bool  # removing messages from her phone is always allowed
    is_reply: bool  # a reply inside a conversation she started
    urgent: bool  # emergency information she asked for
    sensitive: bool
    identity_status: str | None  # None: a stranger's address, no identity on file
    survivor_status: str | None
    paused_until: datetime | None
    window_open: bool = True  # inside her safe contact windows, in her time zone
    next_window: datetime | None = None


@dataclass(frozen=True)
class GateDecision:
    action: Literal["send", "hold", "cancel"]
    reason: str = ""
    until: datetime | None = None


SEND = GateDecision("send")


def decide(f: GateFacts) -> GateDecision:
    if f.is_deletion:
        return SEND
    if f.survivor_status == "erased":
        return GateDecision("cancel", "erased")
    if f.identity_status == "suspect":
        # a number or account that may no longer be hers: nothing sensitive, nothing we start
        if f.sensitive or not f.is_reply:
            return GateDecision("cancel", "identity_unconfirmed")
    if f.identity_status == "stopped" and not f.is_reply:
        return GateDecision("cancel", "stopped")
    if f.urgent or f.is_reply:
        # emergency information she asked for, and answers to what she just wrote, go at once
        return SEND
    if f.paused_until is not None and f.paused_until > f.now:
        return GateDecision("hold", "paused", f.paused_until)
    if not f.window_open:
        return GateDecision("hold", "outside_window", f.next_window)
    return SEND
