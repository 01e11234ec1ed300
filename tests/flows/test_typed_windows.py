"""Issue 22, item 11, pure: the times she types at enrolment, in settings and for a call-back."""

from __future__ import annotations

import pytest

from flows import router
from flows.types import UpdateProfile, UserInput
from flows.windows import parse
from tests.flows.conftest import NOW, context

EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
WEEKDAYS = [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("typed", "days", "start", "end"), [
    ("daily 0-24", EVERY_DAY, "00:00", "24:00"),
    ("Daily 0-24.", EVERY_DAY, "00:00", "24:00"),
    ("täglich 0-24", EVERY_DAY, "00:00", "24:00"),
    ("weekdays 9-17", WEEKDAYS, "09:00", "17:00"),
    ("Mo-Fr 9-17 Uhr", WEEKDAYS, "09:00", "17:00"),
    ("Mo-Fr von 9 bis 17 Uhr", WEEKDAYS, "09:00", "17:00"),
    ("Mon-Fri 9am-5pm", WEEKDAYS, "09:00", "17:00"),
    ("9-17", EVERY_DAY, "09:00", "17:00"),
    ("mornings", EVERY_DAY, "09:00", "12:00"),
    ("morgens", EVERY_DAY, "09:00", "12:00"),
    ("weekday evenings", WEEKDAYS, "17:00", "20:00"),
    ("Sa nachmittags", [5], "12:00", "17:00"),
    ("any time", EVERY_DAY, "00:00", "24:00"),
    ("Di 14:00-16:30", [1], "14:00", "16:30"),
])
def test_reasonable_typed_times_are_understood_in_english_and_german(
        typed: str, days: list[int], start: str, end: str) -> None:
    assert parse(typed) == {"days": days, "start": start, "end": end}


@pytest.mark.parametrize("typed", ["hello", "he is here", "Mon-Fri 17-9", "25-99", "13pm-2pm", "", "1234"])
def test_what_is_not_a_time_is_not_guessed(typed: str) -> None:
    assert parse(typed) is None


def route(text: str, state: dict, status: str = "active"):
    ctx = context("sms", status=status, contact_windows=[])
    return router.route(UserInput("sms", NOW, text=text), state, ctx)


def test_at_enrolment_a_typed_time_is_saved_and_said_back_first() -> None:
    res = route("daily 0-24", {"flow": "onboarding", "step": "windows"}, status="onboarding")
    assert UpdateProfile({"contact_windows": [{"days": EVERY_DAY, "start": "00:00", "end": "24:00"}]}) in res.effects
    assert [s.key for s in res.says][:2] == ["windows.understood", "onboarding.done_sms"]


def test_at_enrolment_digits_that_are_no_time_are_asked_again_not_guessed() -> None:
    res = route("25-99", {"flow": "onboarding", "step": "windows"}, status="onboarding")
    assert not any(isinstance(e, UpdateProfile) for e in res.effects)
    assert [s.key for s in res.says] == ["windows.not_understood", "onboarding.windows"]
