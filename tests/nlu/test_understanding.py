"""What the flows are told to do with one message: the danger decision first, then the classifier."""

from __future__ import annotations

from flows import danger_check
from nlu.service import Understanding
from safety.danger_decision import DangerDecision

PARSE = {"intent": {"name": "feeling_unsafe", "confidence": 0.6}}


def test_a_question_about_danger_and_one_about_her_own_life_are_told_apart() -> None:
    about_him = Understanding(PARSE, None, DangerDecision("ask", 0.4, "model"))
    about_her = Understanding(PARSE, None, DangerDecision("ask", 0.4, "self_harm_sign", kind="self_harm"))
    assert about_him.flow_intent == danger_check.INTENT
    assert about_her.flow_intent == danger_check.SELF_HARM_INTENT  # a yes then gives the crisis line


def test_an_alert_about_her_own_life_is_self_harm_and_one_about_him_is_danger() -> None:
    assert Understanding(PARSE, None, DangerDecision("alert", 0.9, "net")).flow_intent == "danger_now"
    assert Understanding(PARSE, None, DangerDecision("alert", 0.9, "net", kind="self_harm")).flow_intent == "self_harm"
