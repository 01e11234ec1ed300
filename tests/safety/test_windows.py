"""Contact windows in her time zone: open, next opening, overnight windows, DST, defaults, bad data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from safety.windows import WindowError, is_open, next_open, parse_windows

WEEKDAY_MORNINGS = [{"days": [0, 1, 2, 3, 4], "start": "10:00", "end": "12:00"}]


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


@pytest.mark.parametrize(("now", "expected_open", "expected_next"), [
    (utc(2026, 3, 2, 10, 0), True, utc(2026, 3, 2, 10, 0)),  # Monday 10:00 GMT: opens now
    (utc(2026, 3, 2, 11, 59), True, utc(2026, 3, 2, 11, 59)),
    (utc(2026, 3, 2, 12, 0), False, utc(2026, 3, 3, 10, 0)),  # end is exclusive
    (utc(2026, 3, 2, 9, 0), False, utc(2026, 3, 2, 10, 0)),
    (utc(2026, 3, 6, 13, 0), False, utc(2026, 3, 9, 10, 0)),  # Friday afternoon -> Monday
    (utc(2026, 3, 7, 10, 30), False, utc(2026, 3, 9, 10, 0)),  # Saturday
])
def test_weekday_mornings_in_london(now: datetime, expected_open: bool, expected_next: datetime) -> None:
    assert is_open(WEEKDAY_MORNINGS, "Europe/London", now) is expected_open
    assert next_open(WEEKDAY_MORNINGS, "Europe/London", now) == expected_next


def test_windows_follow_her_time_zone_and_daylight_saving() -> None:
    # 10:00 in Berlin is 09:00 UTC in winter and 08:00 UTC in summer
    assert next_open(WEEKDAY_MORNINGS, "Europe/Berlin", utc(2026, 3, 2, 0, 0)) == utc(2026, 3, 2, 9, 0)
    assert next_open(WEEKDAY_MORNINGS, "Europe/Berlin", utc(2026, 6, 1, 0, 0)) == utc(2026, 6, 1, 8, 0)
    # the weekend the clocks change (London, 29 March 2026): Monday opens at 09:00 UTC
    assert next_open(WEEKDAY_MORNINGS, "Europe/London", utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 30, 9, 0)


def test_a_window_past_midnight_covers_the_early_hours_of_the_next_day() -> None:
    late = [{"days": [4], "start": "21:00", "end": "01:00"}]  # Friday night
    assert is_open(late, "UTC", utc(2026, 3, 6, 23, 0))
    assert is_open(late, "UTC", utc(2026, 3, 7, 0, 30))  # Saturday 00:30, still Friday's window
    assert not is_open(late, "UTC", utc(2026, 3, 7, 1, 0))
    assert next_open(late, "UTC", utc(2026, 3, 7, 2, 0)) == utc(2026, 3, 13, 21, 0)


def test_no_windows_means_daytime_only() -> None:
    for empty in ([], None):
        assert not is_open(empty, "Europe/London", utc(2026, 3, 2, 3, 0))
        assert next_open(empty, "Europe/London", utc(2026, 3, 2, 3, 0)) == utc(2026, 3, 2, 9, 0)
        assert is_open(empty, "Europe/London", utc(2026, 3, 2, 19, 59))


@pytest.mark.parametrize(("raw", "message"), [
    ({"days": [0]}, "expected a list"),
    ([{"days": [7], "start": "10:00", "end": "11:00"}], "days: 7 is not a weekday"),
    ([{"days": [], "start": "10:00", "end": "11:00"}], "non-empty list of weekdays"),
    ([{"days": [0], "start": "10", "end": "11:00"}], "start: expected a time 'HH:MM'"),
    ([{"days": [0], "start": "25:00", "end": "11:00"}], "is not a time of day"),
    ([{"days": [0], "start": "10:00", "end": "10:00"}], "start and end are both"),
    ([{"days": [0], "start": "10:00", "end": "11:00", "note": "x"}], "unknown field"),
])
def test_bad_windows_are_refused_with_the_reason(raw: object, message: str) -> None:
    with pytest.raises(WindowError, match=message):
        parse_windows(raw)


def test_unknown_time_zone_and_naive_datetimes_are_refused() -> None:
    with pytest.raises(WindowError, match="unknown time zone"):
        next_open(WEEKDAY_MORNINGS, "Mars/Olympus", utc(2026, 3, 2, 9, 0))
    with pytest.raises(ValueError, match="naive"):
        is_open(WEEKDAY_MORNINGS, "UTC", datetime(2026, 3, 2, 9, 0))
