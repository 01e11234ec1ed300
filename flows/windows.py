"""Safe contact windows: weekly days and hours in her own time zone.

A window is {"days": [0..6] (Monday = 0), "start": "HH:MM", "end": "HH:MM"}, the format of
safety/windows.py (where an end not after the start runs past midnight; typed ones here never do).
Presets make the choice one tap; a typed window covers the rest: days (none typed: every day) and
hours ("Mon-Fri 9-12", "Di 14:00-16:30", "daily 0-24", "Mo-Fr 9-17 Uhr", "9am-5pm"), or days and a part
of the day ("mornings", "weekday evenings", "Sa nachmittags", "any time"). The reply always says back
what was understood (windows.understood), so a misreading is seen at once.
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
_GROUPS = {"weekdays": WEEKDAYS, "weekday": WEEKDAYS, "werktags": WEEKDAYS, "wochentags": WEEKDAYS,
           "weekends": [5, 6], "weekend": [5, 6], "wochenende": [5, 6], "am wochenende": [5, 6],
           "daily": list(range(7)), "täglich": list(range(7)), "every day": list(range(7)),
           "everyday": list(range(7)), "jeden tag": list(range(7))}
# a part of the day, typed instead of hours ("mornings", "Mo-Fr abends"): the hours of the presets
_PARTS = {
    "morning": ("09:00", "12:00"), "mornings": ("09:00", "12:00"), "morgens": ("09:00", "12:00"),
    "vormittags": ("09:00", "12:00"), "afternoon": ("12:00", "17:00"), "afternoons": ("12:00", "17:00"),
    "nachmittags": ("12:00", "17:00"), "evening": ("17:00", "20:00"), "evenings": ("17:00", "20:00"),
    "abends": ("17:00", "20:00"), "all day": ("00:00", "24:00"), "any time": ("00:00", "24:00"),
    "anytime": ("00:00", "24:00"), "jederzeit": ("00:00", "24:00"), "ganztags": ("00:00", "24:00"),
    "den ganzen tag": ("00:00", "24:00"),
}
_TIME = r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|uhr)?"
_DAYS = r"(?:(?P<days>[a-zäöü ]+?)(?:\s*[-–]\s*(?P<to>[a-zäöü]+))?\s*,?\s+)?"
_PATTERN = re.compile(rf"^{_DAYS}(?:von\s+|from\s+)?{_TIME}\s*(?:[-–]|to|bis)\s*{_TIME}$")
_PART_PATTERN = re.compile(rf"^{_DAYS}(?P<part>[a-zäöü ]+)$")


def _clock(hour: str, minute: str | None, half: str | None = None) -> str | None:
    h, m = int(hour), int(minute or 0)
    if half in ("am", "pm"):
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half == "pm" else 0)
    if h == 24 and m == 0:
        return "24:00"
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return f"{h:02d}:{m:02d}"


def _days(first: str | None, to: str | None) -> list[int] | None:
    """The days typed before the hours ("Mon-Fri", "weekdays", "Di"); none typed: every day."""
    if first is None:
        return list(range(7))
    first = first.strip()
    if to:
        if first not in _DAY or to not in _DAY:
            return None
        a, b = _DAY[first], _DAY[to]
        return list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))
    if first in _GROUPS:
        return list(_GROUPS[first])
    if first in _DAY:
        return [_DAY[first]]
    if first.endswith("s") and first[:-1] in _DAY:  # "mondays"
        return [_DAY[first[:-1]]]
    return None


def parse(text: str | None) -> Window | None:
    """A typed window, or None if it is not one (the flow then asks again): days (optional: every
    day) and hours ("Mon-Fri 9-12", "daily 0-24", "Mo-Fr 9-17 Uhr", "9am-5pm"), or days and a part
    of the day ("mornings", "weekday evenings", "Sa nachmittags", "any time")."""
    if not text:
        return None
    typed = re.sub(r"^(?:von|from)\s+", "", " ".join(text.strip().casefold().rstrip(".!").split()))
    m = _PATTERN.match(typed)
    if m:
        days = _days(m.group("days"), m.group("to"))
        start, end = _clock(m.group(3), m.group(4), m.group(5)), _clock(m.group(6), m.group(7), m.group(8))
    else:
        p = _PART_PATTERN.match(typed)
        part = _PARTS.get(p.group("part").strip()) if p else None
        if p is None or part is None:
            return _part_only(typed)
        days = _days(p.group("days"), p.group("to"))
        start, end = part
    if days is None or start is None or end is None or start >= end:
        return None
    return {"days": sorted(set(days)), "start": start, "end": end}


def _part_only(typed: str) -> Window | None:
    """A part of the day alone ("mornings", "all day"): every day at those hours."""
    part = _PARTS.get(typed)
    return {"days": list(range(7)), "start": part[0], "end": part[1]} if part else None


def valid(window: Any) -> bool:
    """A stored or submitted window has the expected shape (state is data from the past)."""
    if not isinstance(window, dict):
        return False
    days, start, end = window.get("days"), window.get("start"), window.get("end")
    return (isinstance(days, list) and bool(days) and all(isinstance(d, int) and 0 <= d <= 6 for d in days)
            and isinstance(start, str) and isinstance(end, str) and start != end)
