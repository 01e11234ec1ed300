"""How long a message may keep being retried, by kind: retry by time, not by count.

A provider outage of minutes must not turn her reply into a failure; a check-in that is only
meaningful today must not arrive tomorrow. Past its budget a message fails and a person is told.
The budgets are data (overridable with OUTBOX_RETRY_BUDGETS, JSON seconds by kind).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

HOUR = 3600.0
DEFAULT_BUDGETS: dict[str, float] = {
    "reply": 24 * HOUR,  # answers to what she wrote
    "notice": 24 * HOUR,  # risk notices and other messages we start
    "urgent": 24 * HOUR,  # emergency information; a failure also escalates at once as urgent
    "deletion": 24 * HOUR,  # quick exit and expiry: well inside Telegram's 48-hour deletion window
    "checkin": 4 * HOUR,  # a check-in or its reminder is time-bound: late is worse than missing
}


class Budgeted(Protocol):
    kind: str
    urgent: bool
    is_reply: bool
    text_key: str


def kind_of(msg: Budgeted) -> str:
    if msg.kind == "delete":
        return "deletion"
    if msg.urgent:
        return "urgent"
    if msg.text_key.startswith("checkin.") and not msg.is_reply:
        return "checkin"
    return "reply" if msg.is_reply else "notice"


def budget_for(msg: Budgeted, budgets: Mapping[str, float]) -> float:
    """Seconds from the first attempt during which a retryable failure is retried."""
    return budgets.get(kind_of(msg), DEFAULT_BUDGETS["notice"])
