"""One event checked field by field (the same rules for the form, the CSV and the API): what is
wrong is named by its field, values are normalised, and nothing unknown is silently dropped."""

from __future__ import annotations

from datetime import date, timedelta

from bot.programme.validation import EventIn, FieldError, validate_event
from content.programme_events import default_kinds
from tests.support.clock import TEST_NOW

TODAY = TEST_NOW.date()


def check(**raw: object) -> EventIn | list[FieldError]:
    return validate_event(raw, default_kinds(), now=TEST_NOW)


def fields(result: EventIn | list[FieldError]) -> list[str]:
    assert isinstance(result, list), result
    return [str(e) for e in result]


def test_an_event_in_a_programmes_own_spelling_is_accepted_and_normalised() -> None:
    got = check(event_id="EVT-0042", case_ref="  DV-2026  117 ", kind="Excluded", reason_class="Violence/Threat",
                occurred_on="2026-03-09", detail="Threatened a group member.\nSession 9.")
    assert got == EventIn("EVT-0042", "DV-2026 117", "excluded", date(2026, 3, 9), reason_class="violence_threat",
                          detail="Threatened a group member.\nSession 9.")
    got = check(event_id=4711, case_ref="C1", kind="session_missed", sessions_missed="3", occurred_on="2026-03-09")
    assert not isinstance(got, list) and (got.event_id, got.sessions_missed) == ("4711", 3)


def test_missing_and_malformed_fields_are_named() -> None:
    assert fields(check()) == ["event_id: is required", "case_ref: is required", "kind: is required",
                               "occurred_on: is required"]
    assert fields(check(event_id="e 1", case_ref="C1", kind="dropped", occurred_on="09/03/2026")) == [
        "event_id: must be up to 128 visible characters without spaces",
        "kind: 'dropped' is not one of started, session_missed, dropped_out, excluded, completed, risk_raised, "
        "risk_lowered, new_incident, conditions_changed, contact_with_her_reported",
        "occurred_on: '09/03/2026' is not a date (YYYY-MM-DD)",
    ]


def test_what_a_kind_requires_or_does_not_use_is_named_with_the_kind() -> None:
    assert fields(check(event_id="e1", case_ref="C1", kind="excluded", occurred_on="2026-03-09")) == [
        "reason_class: is required for excluded"]
    assert fields(check(event_id="e1", case_ref="C1", kind="excluded", reason_class="rudeness",
                        occurred_on="2026-03-09")) == [
        "reason_class: 'rudeness' is not one of violence_threat, non_attendance, other"]
    assert fields(check(event_id="e1", case_ref="C1", kind="session_missed", sessions_missed="0",
                        occurred_on="2026-03-09")) == ["sessions_missed: must be between 1 and 100"]
    assert fields(check(event_id="e1", case_ref="C1", kind="completed", sessions_missed=2,
                        occurred_on="2026-03-09")) == ["sessions_missed: is not used for completed"]
    assert fields(check(event_id="e1", case_ref="C1", kind="started", occurred_on="2026-03-09",
                        expected_end="2026-03-01")) == ["expected_end: must be after occurred_on"]


def test_an_event_cannot_have_happened_after_today_anywhere() -> None:
    tomorrow_east = (TEST_NOW + timedelta(hours=14)).date()
    assert not isinstance(check(event_id="e1", case_ref="C1", kind="completed",
                                occurred_on=tomorrow_east.isoformat()), list)
    later = (tomorrow_east + timedelta(days=1)).isoformat()
    assert fields(check(event_id="e1", case_ref="C1", kind="completed", occurred_on=later)) == [
        f"occurred_on: {later} is in the future"]


def test_an_unknown_field_is_refused_rather_than_dropped_unless_it_is_a_csv_column() -> None:
    raw = {"event_id": "e1", "case_ref": "C1", "kind": "completed", "ocurred_on": TODAY.isoformat()}
    assert fields(check(**raw)) == ["ocurred_on: is not a field of a programme event", "occurred_on: is required"]
    raw = {"event_id": "e1", "case_ref": "C1", "kind": "completed", "occurred_on": "2026-03-01", "worker": "Sam"}
    assert not isinstance(validate_event(raw, default_kinds(), now=TEST_NOW, unknown_fields=True), list)


def test_json_types_that_are_not_text_are_refused_by_field() -> None:
    assert fields(check(event_id=True, case_ref=["C1"], kind="completed", occurred_on=20260301)) == [
        "event_id: must be a text", "case_ref: must be a text", "occurred_on: must be a date written YYYY-MM-DD"]
