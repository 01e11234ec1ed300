"""Intent -> route table: which flow handles a free-text message.

Pure data and one pure function, so the routing policy can be read and tested in one place.
A danger signal from the danger net always wins: whatever the classifier said, the
message goes to the danger route (emergency numbers at once, urgent escalation).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from safety.danger_net import DangerSignal

DANGER_ROUTE = "danger"
UNKNOWN_ROUTE = "unknown"

ROUTES: Mapping[str, str] = MappingProxyType(
    {
        "danger_now": DANGER_ROUTE,
        # high-priority escalation + offer a call-back
        "report_incident": "incident",
        "feeling_unsafe": "incident",
        "request_callback": "callback",
        "programme_info": "programme_info",
        "quick_exit": "quick_exit",
        "stop": "stop",
        "delete_data": "delete_data",
        "change_contact_time": "settings",
        "help_menu": "menu",
        "greet": "menu",
        # answers that only mean something in context: the current flow interprets them
        "feeling_safe": UNKNOWN_ROUTE,
        "affirm": UNKNOWN_ROUTE,
        "deny": UNKNOWN_ROUTE,
        "thanks": UNKNOWN_ROUTE,
        "nlu_fallback": UNKNOWN_ROUTE,
    }
)


def route_for(parse: Mapping[str, Any], danger: DangerSignal | None) -> str:
    """Route name for a Rasa-shaped parse; any danger signal overrides the classifier."""
    if danger is not None:
        return DANGER_ROUTE
    intent = parse.get("intent") or {}
    name = intent.get("name") if isinstance(intent, Mapping) else None
    return ROUTES.get(str(name), UNKNOWN_ROUTE)
