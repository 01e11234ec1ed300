"""May a notice reach her at all? Pure: the facts are read by bot/notices/delivery.py.

A notice goes only to an active survivor who has said yes to information, through a route that is
hers (active, not suspect) and not paused. Anything else is no message at all: a worker tells her
by phone instead (an escalation), because a notice about his programme must not wait in silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ReachFacts:
    now: datetime
    survivor_status: str | None  # None: no record (erased)
    information_consent: bool  # her latest "information" consent
    route_status: str | None  # her newest route: active / suspect / stopped / None (none on file)
    paused_until: datetime | None


def why_not(f: ReachFacts) -> str | None:
    """None when the notice may go to her; else the reason it may not (a code, no content)."""
    if f.survivor_status in (None, "erased", "erasing"):
        return "erased"
    if f.survivor_status in ("stopped", "declined"):
        return "stopped"
    if f.survivor_status != "active":
        return "not_enrolled"
    if not f.information_consent:
        return "no_information_consent"
    if f.route_status == "suspect":
        return "route_suspect"
    if f.route_status != "active":
        return "no_route"
    if f.paused_until is not None and f.paused_until > f.now:
        return "paused"
    return None
