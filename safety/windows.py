"""Her safe contact windows: when we may start a conversation with her. Pure logic, no I/O.

`survivors.contact_windows` holds a JSON list of windows in her own time zone
(`survivors.timezone`):

    [{"days": [0, 1, 2, 3, 4], "start": "10:00", "end": "12:30"},
     {"days": [5], "start": "14:00", "end": "16:00"}]

- `days`: weekdays, Monday = 0 ... Sunday = 6 (Python's `date.weekday()`).
- `start`, `end`: local wall-clock times "HH:MM"; `end` may be "24:00". A window whose end is
  not after its start runs past midnight into the next day (e.g. 21:00-01:00 on day 4 covers
  Friday 21:00 to Saturday 01:00).
- An empty list (or null) means she has not chosen any: `DEFAULT_WINDOWS` (every day 09:00-20:00)
  apply, so nothing we start ever arrives at night.

Replies to a message she just sent and emergency information she asked for are not held by
windows (see `safety.outbound_gate`); windows govern what we start: waves, reminders, notices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class WindowError(ValueError):
    """A contact-window value that cannot be used; the message says which part and why."""


@dataclass(frozen=True, slots=True)
class Window:
    days: frozenset[int]
    start: int  # minutes after local midnight
    end: int  # minutes after local midnight; <= start means it runs past midnight


DEFAULT_WINDOWS_JSON: list[dict[str, Any]] = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "09:00", "end": "20:00"}]


def _minutes(value: Any, where: str, allow_24: bool) -> int:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise WindowError(f"{where}: expected a time 'HH:MM', got {value!r}")
    try:
        hours, minutes = int(value[:2]), int(value[3:])
    except ValueError:
        raise WindowError(f"{where}: expected a time 'HH:MM', got {value!r}") from None
    if allow_24 and hours == 24 and minutes == 0:
        return 24 * 60
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise WindowError(f"{where}: {value!r} is not a time of day")
    return hours * 60 + minutes


def parse_windows(raw: Any) -> tuple[Window, ...]:
    """Validate the stored JSON; empty or null gives the default windows."""
    if raw is None or raw == []:
        raw = DEFAULT_WINDOWS_JSON
    if not isinstance(raw, list):
        raise WindowError(f"contact windows: expected a list, got {type(raw).__name__}")
    return tuple(_parse_cached(_freeze(raw)))


def _freeze(raw: list[Any]) -> tuple[Any, ...]:
    out = []
    for i, w in enumerate(raw):
        if not isinstance(w, dict):
            raise WindowError(f"contact windows[{i}]: expected an object, got {type(w).__name__}")
        days = w.get("days")
        out.append((tuple(days) if isinstance(days, list) else days, w.get("start"), w.get("end"),
                    tuple(sorted(set(w) - {"days", "start", "end"}))))
    return tuple(out)


@lru_cache(maxsize=4096)
def _parse_cached(frozen: tuple[Any, ...]) -> tuple[Window, ...]:
    windows = []
    for i, (days, start, end, extra) in enumerate(frozen):
        where = f"contact windows[{i}]"
        if extra:
            raise WindowError(f"{where}: unknown field(s) {', '.join(extra)}")
        if not isinstance(days, tuple) or not days:
            raise WindowError(f"{where}.days: expected a non-empty list of weekdays 0-6")
        for d in days:
            if not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6:
                raise WindowError(f"{where}.days: {d!r} is not a weekday 0 (Monday) to 6 (Sunday)")
        s = _minutes(start, f"{where}.start", allow_24=False)
        e = _minutes(end, f"{where}.end", allow_24=True)
        if s == e:
            raise WindowError(f"{where}: start and end are both {start}")
        windows.append(Window(frozenset(days), s, e))
    return tuple(windows)


@lru_cache(maxsize=256)
def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise WindowError(f"unknown time zone {tz!r}") from None


def _spans(windows: Sequence[Window], day: date, tzinfo: ZoneInfo) -> Iterable[tuple[datetime, datetime]]:
    """The (start, end) instants of every window that starts on local `day`."""
    wd = day.weekday()
    midnight = datetime(day.year, day.month, day.day)
    for w in windows:
        if wd not in w.days:
            continue
        end_min = w.end if w.end > w.start else w.end + 24 * 60
        start = (midnight + timedelta(minutes=w.start)).replace(tzinfo=tzinfo)
        end = (midnight + timedelta(minutes=end_min)).replace(tzinfo=tzinfo)
        yield start.astimezone(UTC), end.astimezone(UTC)


def _as_windows(windows: Any) -> tuple[Window, ...]:
    if isinstance(windows, tuple) and all(isinstance(w, Window) for w in windows) and windows:
        return windows
    return parse_windows(windows)


def is_open(windows: Any, tz: str, now: datetime) -> bool:
    """Is one of her windows open at `now` (an aware datetime)?"""
    if now.tzinfo is None:
        raise ValueError("naive datetime given to is_open")
    ws = _as_windows(windows)
    tzinfo = zone(tz)
    local_day = now.astimezone(tzinfo).date()
    # a window that started yesterday may run past midnight into today
    for day in (local_day - timedelta(days=1), local_day):
        for start, end in _spans(ws, day, tzinfo):
            if start <= now < end:
                return True
    return False


def next_open(windows: Any, tz: str, now: datetime) -> datetime:
    """`now` if a window is open, else the (UTC) instant the next one opens."""
    if now.tzinfo is None:
        raise ValueError("naive datetime given to next_open")
    ws = _as_windows(windows)
    tzinfo = zone(tz)
    local_day = now.astimezone(tzinfo).date()
    best: datetime | None = None
    for offset in range(-1, 9):  # every weekday is covered within 8 days
        for start, end in _spans(ws, local_day + timedelta(days=offset), tzinfo):
            if start <= now < end:
                return now.astimezone(UTC)
            if start > now and (best is None or start < best):
                best = start
        if best is not None and offset >= 1:
            break
    if best is None:  # unreachable with validated windows; be explicit rather than loop
        raise WindowError("contact windows never open")
    return best


def local_time(hhmm: str) -> time:
    m = _minutes(hhmm, "time", allow_24=False)
    return time(m // 60, m % 60)


# Where a number we know nothing else about lives (an invitation's number, before she has enrolled
# and chosen her zone): by its country calling code, longest first. Not found: None.
CALLING_CODE_ZONES = {"+353": "Europe/Dublin", "+44": "Europe/London", "+49": "Europe/Berlin",
                      "+43": "Europe/Vienna", "+41": "Europe/Zurich", "+32": "Europe/Brussels",
                      "+31": "Europe/Amsterdam", "+33": "Europe/Paris"}


def zone_of_number(number: str | None) -> str | None:
    """The time zone of an E.164 number's country (+44 7700 ... -> Europe/London), if we know it."""
    if not number:
        return None
    for code in sorted(CALLING_CODE_ZONES, key=len, reverse=True):
        if number.startswith(code):
            return CALLING_CODE_ZONES[code]
    return None
