"""Safe contact windows: weekly days and hours in her own time zone.

A window is {"days": [0..6] (Monday = 0), "start": "HH:MM", "end": "HH:MM"}, the format of
safety/windows.py (where an end not after the start runs past midnight; typed ones here never do).
Presets make the choice one tap; a typed window ("Mon-Fri 9-12", "Di 14:00-16:30", "weekends 10-16") covers the rest.
"""

from __future__ import annotations

import re
from typing import Any

from typing_extensions import TypedDict  # pydantic reads it on Python 3.11 (CallbackData.windows)


class Window(TypedDict):
    """Weekly days (Monday = 0) and hours "HH:MM" in her time zone."""

    days: list[int]
    start: str
    end: str


WEEKDAYS = [0, 1, 2, 3, 4]
PRESETS: dict[str, Window] = {
    "weekday_morning": {"days": WEEKDAYS, "start": "09:00", "end": "12:00"},
    "weekday_afternoon": {"days": WEEKDAYS, "start": "12:00", "end": "17:00"},
    "weekday_evening": {"days": WEEKDAYS, "start": "17:00", "end": "20:00"},
    "weekend": {"days": [5, 6], "start": "10:00", "end": "16:00"},
}
MAX_WINDOWS = 7

_DAY_NAMES = {
    0: ("mon", "monday", "mo", "montag"),
    1: ("tue", "tues", "tuesday", "di", "dienstag"),
    2: ("wed", "wednesday", "mi", "mittwoch"),
    3: ("thu", "thur", "thurs", "thursday", "do", "donnerstag"),
    4: ("fri", "friday", "fr", "freitag"),
    5: ("sat", "saturday", "sa", "samstag", "sonnabend"),
    6: ("sun", "sunday", "so", "sonntag"),
}
_DAY = {name: n for n, names in _DAY_NAMES.items() for name in names}
_GROUPS = {"weekdays": WEEKDAYS, "werktags": WEEKDAYS, "weekends": [5, 6], "weekend": [5, 6],
           "wochenende": [5, 6], "daily": list(range(7)), "täglich": list(range(7)), "every day": list(range(7))}
_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"
_PATTERN = re.compile(
    rf"^(?P<days>[a-zäöü ]+?)(?:\s*[-–]\s*(?P<to>[a-zäöü]+))?\s*,?\s+{_TIME}\s*(?:uhr)?\s*[-–]\s*{_TIME}\s*(?:uhr)?$"
)


def _clock(hour: str, minute: str | None) -> str | None:
    h, m = int(hour), int(minute or 0)
    if h == 24 and m == 0:
        return "24:00"
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return f"{h:02d}:{m:02d}"


def parse(text: str | None) -> Window | None:
    """A typed window, or None if it is not one (the flow then asks again)."""
    if not text:
        return None
    m = _PATTERN.match(text.strip().casefold())
    if not m:
        return None
    first, to = m.group("days").strip(), m.group("to")
    if to:
        if first not in _DAY or to not in _DAY:
            return None
        a, b = _DAY[first], _DAY[to]
        days = list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))
    elif first in _GROUPS:
        days = list(_GROUPS[first])
    elif first in _DAY:
        days = [_DAY[first]]
    else:
        return None
    start, end = _clock(m.group(3), m.group(4)), _clock(m.group(5), m.group(6))
    if start is None or end is None or start >= end:
        return None
    return {"days": sorted(set(days)), "start": start, "end": end}


def valid(window: Any) -> bool:
    """A stored or submitted window has the expected shape (state is data from the past)."""
    if not isinstance(window, dict):
        return False
    days, start, end = window.get("days"), window.get("start"), window.get("end")
    return (isinstance(days, list) and bool(days) and all(isinstance(d, int) and 0 <= d <= 6 for d in days)
            and isinstance(start, str) and isinstance(end, str) and start != end)
