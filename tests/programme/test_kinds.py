"""The event kinds are data (content/programme_events.yaml): their urgency, fields and milestones
come from the file, a new kind is accepted everywhere, and a broken file names where it is broken."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.programme.validation import validate_event
from content.programme_events import KINDS_PATH, EventKindsError, default_kinds, load_kinds
from tests.support.clock import TEST_NOW

URGENT = {"risk_raised", "new_incident", "conditions_changed"}


def test_every_kind_the_issue_names_is_in_the_file_with_its_urgency() -> None:
    kinds = default_kinds()
    assert set(kinds.kinds) == {"started", "session_missed", "dropped_out", "excluded", "completed", "risk_raised",
                                "risk_lowered", "new_incident", "conditions_changed", "contact_with_her_reported"}
    for code in kinds.kinds:
        if code != "excluded":
            assert kinds.urgency(code) == ("urgent" if code in URGENT else "routine"), code
    assert kinds.spec("excluded").reason_classes == ["violence_threat", "non_attendance", "other"]
    assert kinds.urgency("excluded", "violence_threat") == "urgent"
    assert kinds.urgency("excluded", "non_attendance") == "routine"
    assert kinds.urgency("excluded", "other") == "routine"
    assert kinds.spec("session_missed").requires == ["sessions_missed"]


def test_which_milestone_each_kind_moves_is_data() -> None:
    kinds = default_kinds()
    started = kinds.spec("started").moves
    assert started is not None and started.programme_start == "occurred_on" and started.expected_end == "expected_end"
    for code in ("dropped_out", "excluded", "completed"):
        moves = kinds.spec(code).moves
        assert moves is not None and (moves.actual_end, moves.outcome) == ("occurred_on", code)
    assert all(kinds.spec(c).moves is None for c in ("risk_raised", "new_incident", "session_missed"))


def _with(tmp_path: Path, change: dict) -> Path:
    raw = yaml.safe_load(KINDS_PATH.read_text(encoding="utf-8"))
    raw["kinds"].update(change)
    path = tmp_path / "programme_events.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_a_kind_added_to_the_file_is_accepted_with_its_own_rules(tmp_path: Path) -> None:
    kinds = load_kinds(_with(tmp_path, {"breach_of_order": {
        "label": "Breach of a court order", "urgency": "routine", "requires": ["reason_class"],
        "reason_classes": ["contact", "location"], "urgent_if": {"reason_class": ["contact"]}}}))
    ok = validate_event({"event_id": "e1", "case_ref": "C1", "kind": "breach_of_order", "reason_class": "Contact",
                         "occurred_on": "2026-03-01"}, kinds, now=TEST_NOW)
    assert not isinstance(ok, list) and ok.reason_class == "contact"
    assert kinds.urgency("breach_of_order", "contact") == "urgent"
    assert kinds.urgency("breach_of_order", "location") == "routine"


@pytest.mark.parametrize(("change", "message"), [
    ({"excluded": {"label": "Excluded", "urgency": "soon"}}, "kinds.excluded.urgency: Input should be 'urgent' or "
                                                             "'routine'"),
    ({"started": {"label": "Started", "urgency": "routine", "requires": ["colour"]}}, "kinds.started.requires.0"),
    ({"started": {"label": "Started", "urgency": "routine", "labl": "x"}}, "kinds.started.labl: Extra inputs"),
    ({"excluded": {"label": "Excluded", "urgency": "routine", "requires": ["reason_class"],
                   "reason_classes": ["other"], "urgent_if": {"reason_class": ["violence"]}}},
     "kinds.excluded: urgent_if.reason_class: ['violence'] not in reason_classes"),
    ({"completed": {"label": "Completed", "urgency": "routine", "moves": {"actual_end": "occurred_on"}}},
     "kinds.completed.moves: actual_end and outcome go together"),
    ({"excluded": {"label": "Excluded", "urgency": "routine", "requires": ["reason_class"]}},
     "kinds.excluded: reason_classes must be listed"),
    ({"Bad Kind": {"label": "x", "urgency": "routine"}}, "kind 'Bad Kind': expected lower-case letters"),
])
def test_a_broken_kinds_file_is_refused_naming_the_file_the_kind_and_the_field(tmp_path: Path, change: dict,
                                                                                 message: str) -> None:
    path = _with(tmp_path, change)
    with pytest.raises(EventKindsError) as err:
        load_kinds(path)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)


def test_a_file_that_is_not_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "programme_events.yaml"
    path.write_text("version: '1'\nkinds:\n  started: [unclosed\n", encoding="utf-8")
    with pytest.raises(EventKindsError, match=r"programme_events.yaml: line \d+: not valid YAML"):
        load_kinds(path)
