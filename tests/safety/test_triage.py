"""Triage rules (content/triage_rules.yaml), case by case, and the rules file's validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.questionnaires import load_questionnaires
from safety.triage import Facts, RuleError, default_rules, load_rules, parse_rules, triage

RULES = default_rules()
SCORES = load_questionnaires().get("en", "full", "1").scores()


def decide(current: dict[str, str], previous: dict[str, str] | None = None):
    return triage(RULES, Facts(current, previous or {}, SCORES))


CASES = [
    # (answers now, previous answers, priority, reason, child protection)
    ({"danger_now": "yes"}, {}, "urgent", "danger_now", False),
    ({"danger_now": "yes", "fear": "never"}, {}, "urgent", "danger_now", False),
    ({"beh_physical": "yes", "fear": "always"}, {}, "urgent", "violence_with_fear", False),
    ({"beh_physical": "yes", "fear": "often"}, {}, "urgent", "violence_with_fear", False),
    ({"beh_sexual": "yes", "fear": "often"}, {}, "urgent", "violence_with_fear", False),
    ({"beh_physical": "yes", "fear": "sometimes"}, {}, "high", "physical_violence", False),
    ({"beh_physical": "yes"}, {}, "high", "physical_violence", False),  # fear skipped
    ({"beh_sexual": "yes", "fear": "rarely"}, {}, "high", "sexual_violence", False),
    ({"beh_threats": "yes", "fear": "never"}, {}, "high", "threats", False),
    ({"fear": "sometimes"}, {"fear": "rarely"}, "high", "fear_rose", False),
    ({"fear": "always"}, {"fear": "never"}, "high", "fear_rose", False),
    ({"fear": "always"}, {"fear": "always"}, "routine", "checkin_review", False),  # afraid, but no rise
    ({"fear": "rarely"}, {"fear": "often"}, "routine", "checkin_review", False),  # fear fell
    ({"fear": "often"}, {}, "routine", "checkin_review", False),  # no previous answer: no rise
    ({"fear": "never", "safe": "10", "beh_shouting": "yes", "beh_control": "yes"}, {}, "routine",
     "checkin_review", False),
    ({"danger_now": "no", "beh_physical": "no", "fear": "always"}, {}, "routine", "checkin_review", False),
    ({"beh_children": "yes"}, {}, "routine", "checkin_review", True),
    ({"children_witnessed": "yes", "beh_threats": "yes"}, {}, "high", "threats", True),
    ({"children_witnessed": "no_children", "beh_physical": "yes", "fear": "always"}, {}, "urgent",
     "violence_with_fear", False),
    ({"beh_children": "yes", "danger_now": "yes"}, {}, "urgent", "danger_now", True),
]


@pytest.mark.parametrize(("current", "previous", "priority", "reason", "child"), CASES)
def test_triage_case_by_case(current, previous, priority, reason, child) -> None:
    t = decide(current, previous)
    assert (t.priority, t.reason, t.child_protection) == (priority, reason, child)


def test_every_rule_is_exercised_by_a_case() -> None:
    matched = set()
    for current, previous, *_ in CASES:
        matched |= set(decide(current, previous).matched)
    assert matched == {r.id for r in RULES.rules}


def test_all_matching_rules_are_listed_most_urgent_decides() -> None:
    t = decide({"danger_now": "yes", "beh_physical": "yes", "fear": "always", "beh_threats": "yes"}, {"fear": "never"})
    assert t.priority == "urgent" and t.reason == "danger_now"
    assert set(t.matched) == {"danger_now", "violence_with_fear", "physical_violence", "threats", "fear_rose",
                              "review"}


BASE = {"version": "1", "rules": [{"id": "r", "priority": "routine", "when": "always"}]}


@pytest.mark.parametrize(("rules", "message"), [
    ({"version": "1", "rules": [{"id": "a", "priority": "soon", "when": "always"}]}, r"rules\[0\]\.priority: 'soon'"),
    ({"version": "1", "rules": [{"id": "a", "priority": "high", "when": {"item": "fear"}}]},
     r"rules\[0\]\.when: an item condition needs exactly one of in, at_least, at_most"),
    ({"version": "1", "rules": [{"id": "a", "priority": "high", "when": {"item": "x", "in": [True]}}]},
     r"quote yes/no in YAML"),
    ({"version": "1", "rules": [{"id": "a", "priority": "high", "when": {"item": "x", "in": ["y"]}}]},
     r"needs a fall-back rule with `when: always`"),
    ({**BASE, "rules": BASE["rules"] * 2}, r"rules\[1\]\.id: 'r' is used twice"),
    ({**BASE, "extra": 1}, r"unknown top-level keys \['extra'\]"),
    ({"version": "1", "rules": [{"id": "a", "priority": "high", "when": {"rise": {"item": "fear", "by": "x"}}},
                                *BASE["rules"]]}, r"rise\.by: expected a number"),
])
def test_broken_rules_fail_with_the_place_and_reason(rules: dict, message: str) -> None:
    import re

    with pytest.raises(RuleError) as err:
        parse_rules(rules, "rules.yaml")
    assert str(err.value).startswith("rules.yaml: ") and re.search(message, str(err.value)), str(err.value)


def test_a_broken_rules_file_names_its_path(tmp_path: Path) -> None:
    path = tmp_path / "triage_rules.yaml"
    path.write_text("rules: [", encoding="utf-8")
    with pytest.raises(RuleError, match=f"{path}: not valid YAML"):
        load_rules(path)
