"""The instant every test runs at, unless it sets its own.

`LIAISON_TEST_NOW` (ISO 8601 with offset) moves the whole suite to another instant. The tests whose
subject is time also run, in the same run, at each of the HOSTILE_INSTANTS (a Saturday night, the
hour that repeats when the clocks go back), so that no test can pass only at the hour it was written.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

DEFAULT_TEST_NOW = "2026-03-10T10:00:00+00:00"  # a Tuesday morning, inside the default contact windows


def test_now() -> datetime:
    value = os.environ.get("LIAISON_TEST_NOW") or DEFAULT_TEST_NOW
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        raise ValueError("LIAISON_TEST_NOW needs a UTC offset, e.g. 2026-11-28T23:30:00+00:00")
    return when


TEST_NOW = test_now()

# where a test that passes only in office hours, or only when an hour happens once, fails
HOSTILE_INSTANTS = {
    "saturday-night": datetime(2026, 11, 28, 23, 30, tzinfo=UTC),  # Saturday 23:30 in London
    "clocks-go-back": datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 01:30 BST, and an hour later 01:30 GMT
}


class OffsetClock:
    """The service's clock in a test: the test's instant (the process clock, moved to TEST_NOW by the
    `wall_clock_at_test_now` fixture) plus an offset the test moves (claim leases, pauses, unlock
    periods). Every OffsetClock in a test shares that one timeline, so a service "restarted" in a
    test never goes back in time."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self.offset += delta if delta is not None else timedelta(**kwargs)
        return self()
