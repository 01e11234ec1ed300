"""A worker's live conversation with her (issue 28), as pure decisions: who holds it, whether her
message goes to the worker, whether our message counts as a reply, when it has gone idle.

While a worker holds it her free text goes to that worker instead of the menu's understanding. What
works everywhere still works: the danger net (it runs first, so a danger text still raises the
alert), her PIN, the buttons under our messages, and every keyword (stop, exit, help, numbers,
menu), so quick exit ends the conversation as it ends everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from flows.keywords import has_letters

EndReason = Literal["worker", "idle", "quick_exit", "stopped", "resolved"]
END_REASONS: tuple[EndReason, ...] = ("worker", "idle", "quick_exit", "stopped", "resolved")
TELLS_HER: frozenset[EndReason] = frozenset({"worker", "idle", "resolved"})  # she is told, in cover wording


@dataclass(frozen=True)
class Held:
    """Her conversation as the console holds it: by whom, and when either side last wrote."""

    staff_id: int
    last_at: datetime


def goes_to_worker(held: bool, *, text: str | None, button: str | None, word: str | None,
                   danger: bool) -> bool:
    """Her message is for the worker: free text with letters, no button, no keyword, no danger
    (the danger net answers that first; the worker sees it on the page all the same)."""
    return held and not danger and button is None and word is None and has_letters(text)


def may_write(held: Held | None, staff_id: int, holder_of_escalation: int | None) -> bool:
    """Only the worker who holds the escalation writes to her; a conversation another worker holds
    is theirs until it ends."""
    if holder_of_escalation != staff_id:
        return False
    return held is None or held.staff_id == staff_id


def counts_as_reply(her_last_message: datetime | None, now: datetime, idle: timedelta, *, paused: bool) -> bool:
    """Our message answers her while she is writing (inside the idle time of her last message): sent
    at once, as any reply to her. Otherwise it is one we start, and waits for her contact windows; and
    after her quick exit (her messages paused until she writes again) nothing answers her at once,
    though her "exit" was the last thing she wrote."""
    return not paused and her_last_message is not None and now - her_last_message <= idle


def idle(held: Held, now: datetime, after: timedelta) -> bool:
    """Nobody has written for `after`: the conversation ends and she is told."""
    return now - held.last_at >= after
