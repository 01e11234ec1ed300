"""A programme's CSV export of events, read line by line (pure), as the milestone import does:
a bad row is reported with its line number and the field at fault, good rows are kept.

Columns (header names case-insensitive; ',' ';' or tab): event_id, case_ref, kind, occurred_on, and
optionally reason_class, sessions_missed, expected_end, detail. Other columns are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.programme.csv_rows import CsvRows
from bot.programme.validation import ALL_FIELDS, REQUIRED, EventIn, validate_event
from content.programme_events import EventKinds


@dataclass
class ParsedEvents:
    events: list[tuple[int, EventIn]] = field(default_factory=list)  # (line, event)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, "field: reason")


def parse_events_csv(text: str, kinds: EventKinds, *, now: datetime) -> ParsedEvents:
    out = ParsedEvents()
    table = CsvRows(text, REQUIRED, ALL_FIELDS, out.errors)
    for line, cells in table.rows():
        checked = validate_event(cells, kinds, now=now, unknown_fields=True)
        if isinstance(checked, list):
            out.errors.extend((line, str(e)) for e in checked)
        else:
            out.events.append((line, checked))
    return out
