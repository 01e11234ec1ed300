"""Routing table: intent -> route; a danger signal always wins."""

from __future__ import annotations

import pytest

from nlu.routing import ROUTES, route_for
from safety.danger_net import DangerSignal

EXPECTED = {
    "request_callback": "callback",
    "programme_info": "programme_info",
    "quick_exit": "quick_exit",
    "stop": "stop",
    "delete_data": "delete_data",
    "change_contact_time": "settings",
    "help_menu": "menu",
    "greet": "menu",
    "danger_now": "danger",
    "report_incident": "incident",
    "feeling_unsafe": "incident",
    "affirm": "unknown",
    "deny": "unknown",
    "thanks": "unknown",
    "nlu_fallback": "unknown",
    "feeling_safe": "unknown",
}


def parse_of(intent: str | None, confidence: float = 0.9) -> dict:
    return {"text": "x", "intent": {"name": intent, "confidence": confidence}, "intent_ranking": [], "entities": []}


@pytest.mark.parametrize(("intent", "route"), sorted(EXPECTED.items()))
def test_table(intent: str, route: str) -> None:
    assert route_for(parse_of(intent), None) == route


def test_table_is_complete_and_read_only() -> None:
    assert dict(ROUTES) == EXPECTED
    with pytest.raises(TypeError):
        ROUTES["greet"] = "danger"  # type: ignore[index]


@pytest.mark.parametrize("intent", sorted(EXPECTED))
def test_danger_signal_always_wins(intent: str) -> None:
    assert route_for(parse_of(intent), DangerSignal(rule="abuser_present", locale="en")) == "danger"


@pytest.mark.parametrize("parse", [parse_of("no_such_intent"), parse_of(None), {}, {"intent": "greet"}])
def test_unknown_or_malformed_is_unknown(parse: dict) -> None:
    assert route_for(parse, None) == "unknown"
