"""One programme event as sent (form fields, a CSV row or a JSON object) checked field by field.

Pure: no storage. The result is an `EventIn` or the list of what is wrong, each naming its field,
so the form, the CSV import and the API all say the same thing in their own way (a flash, a line,
a JSON error). An empty value is an absent one: a CSV has every column on every row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from content.programme_events import EventKinds

COMMON = ("event_id", "case_ref", "kind", "occurred_on", "detail")
KIND_FIELDS = ("reason_class", "sessions_missed", "expected_end")
ALL_FIELDS = COMMON + KIND_FIELDS
REQUIRED = ("event_id", "case_ref", "kind", "occurred_on")
EVENT_ID_MAX = 128
CASE_REF_MAX = 64
DETAIL_MAX = 2000
SESSIONS_MAX = 100
# the latest calendar day anywhere (UTC+14): a site east of us may already be on tomorrow
LATEST_OFFSET = timedelta(hours=14)
_PRINTABLE_ID = re.compile(r"^[\x21-\x7e]+$")  # an id: visible ASCII, no spaces


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class EventIn:
    """A valid event, as the sender gave it (the case reference in clear, until it is stored)."""

    event_id: str
    case_ref: str
    kind: str
    occurred_on: date
    reason_class: str | None = None
    sessions_missed: int | None = None
    expected_end: date | None = None
    detail: str | None = None


def latest_day(now: datetime) -> date:
    """No event can have happened after this day (wherever the site is)."""
    return (now + LATEST_OFFSET).date()


def _absent(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be a text")
    return str(value).strip()


def _no_controls(text: str, keep_newlines: bool = False) -> bool:
    return not any(unicodedata.category(c) == "Cc" and not (keep_newlines and c in "\n\r\t") for c in text)


def _date(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value.strip()!r} is not a date (YYYY-MM-DD)") from None
    if len(value.strip()) != 10 or not 2000 <= day.year <= 2100:
        raise ValueError(f"{value.strip()!r} is not a date (YYYY-MM-DD) between 2000 and 2100")
    return day


def _whole(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def normalise_choice(value: str) -> str:
    """'Violence/threat', 'non-attendance', 'Non attendance' -> violence_threat, non_attendance."""
    return re.sub(r"[\s\-/]+", "_", value.strip().lower())


def normalise_case_ref(value: str) -> str:
    """The form of a case reference its blind index is taken of: spaces collapsed, case folded,
    so 'abc 12' typed by a worker finds 'ABC  12' sent by the programme."""
    return " ".join(value.split()).casefold()


def validate_event(raw: Mapping[str, object], kinds: EventKinds, *, now: datetime,
                   unknown_fields: bool = False) -> EventIn | list[FieldError]:
    """Check one event. `unknown_fields=False` refuses fields this service does not know (a JSON
    body with `ocurred_on` must not lose its date silently); a CSV's other columns are allowed."""
    errors: list[FieldError] = []
    if not unknown_fields:
        errors += [FieldError(k, "is not a field of a programme event") for k in raw if k not in ALL_FIELDS]
    errors += [FieldError(k, "is required") for k in REQUIRED if _absent(raw.get(k))]
    values: dict[str, object] = {}

    def check(name: str, parse: object) -> None:
        if _absent(raw.get(name)):
            return
        try:
            values[name] = parse(raw[name])  # type: ignore[operator]
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))

    def event_id(v: object) -> str:
        text = _text(v)
        if len(text) > EVENT_ID_MAX or not _PRINTABLE_ID.match(text):
            raise ValueError(f"must be up to {EVENT_ID_MAX} visible characters without spaces")
        return text

    def case_ref(v: object) -> str:
        text = " ".join(_text(v).split())
        if len(text) > CASE_REF_MAX or not _no_controls(text):
            raise ValueError(f"must be up to {CASE_REF_MAX} characters")
        return text

    def kind(v: object) -> str:
        code = normalise_choice(_text(v))
        if code not in kinds.kinds:
            raise ValueError(f"{_text(v)!r} is not one of {', '.join(kinds.kinds)}")
        return code

    def occurred_on(v: object) -> date:
        day = _date(v)
        if day > latest_day(now):
            raise ValueError(f"{day.isoformat()} is in the future")
        return day

    def detail(v: object) -> str:
        text = _text(v)
        if len(text) > DETAIL_MAX or not _no_controls(text, keep_newlines=True):
            raise ValueError(f"must be up to {DETAIL_MAX} characters of text")
        return text

    def sessions(v: object) -> int:
        n = _whole(v)
        if not 1 <= n <= SESSIONS_MAX:
            raise ValueError(f"must be between 1 and {SESSIONS_MAX}")
        return n

    for name, parse in (("event_id", event_id), ("case_ref", case_ref), ("kind", kind),
                        ("occurred_on", occurred_on), ("detail", detail), ("sessions_missed", sessions),
                        ("expected_end", _date), ("reason_class", lambda v: normalise_choice(_text(v)))):
        check(name, parse)

    code = values.get("kind")
    if isinstance(code, str):
        spec = kinds.spec(code)
        for name in spec.requires:
            if _absent(raw.get(name)):
                errors.append(FieldError(name, f"is required for {code}"))
        for name in KIND_FIELDS:
            if name not in spec.fields and not _absent(raw.get(name)):
                errors.append(FieldError(name, f"is not used for {code}"))
        reason = values.get("reason_class")
        if "reason_class" in spec.fields and isinstance(reason, str) and reason not in spec.reason_classes:
            errors.append(FieldError("reason_class", f"{reason!r} is not one of {', '.join(spec.reason_classes)}"))
    start, end = values.get("occurred_on"), values.get("expected_end")
    if isinstance(start, date) and isinstance(end, date) and end <= start:
        errors.append(FieldError("expected_end", "must be after occurred_on"))
    if errors:
        order = {name: i for i, name in enumerate(ALL_FIELDS)}
        return sorted(errors, key=lambda e: order.get(e.field, -1))
    return EventIn(**values)  # type: ignore[arg-type]
