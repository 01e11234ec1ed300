"""A programme's CSV export of events, read line by line (pure), as the milestone import does:
a bad row is reported with its line number and the field at fault, good rows are kept.

Columns (header names case-insensitive; ',' ';' or tab): event_id, case_ref, kind, occurred_on, and
optionally reason_class, sessions_missed, expected_end, detail. Other columns are ignored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from bot.programme.kinds import EventKinds
from bot.programme.validation import ALL_FIELDS, REQUIRED, EventIn, validate_event


@dataclass
class ParsedEvents:
    events: list[tuple[int, EventIn]] = field(default_factory=list)  # (line, event)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, "field: reason")


def parse_events_csv(text: str, kinds: EventKinds, *, now: datetime) -> ParsedEvents:
    out = ParsedEvents()
    text = text.lstrip("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max((",", ";", "\t"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        out.errors.append((1, "the file is empty"))
        return out
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        out.errors.append((1, f"header: missing column(s) {', '.join(missing)} (expected {', '.join(ALL_FIELDS)})"))
        return out
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        out.errors.append((1, f"header: column(s) {', '.join(dupes)} given twice"))
        return out
    pos = {name: header.index(name) for name in ALL_FIELDS if name in header}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
            out.errors.append((line, f"{len(row)} fields but the header has {len(header)}"))
            continue
        row = row + [""] * (len(header) - len(row))
        checked = validate_event({name: row[i] for name, i in pos.items()}, kinds, now=now, unknown_fields=True)
        if isinstance(checked, list):
            out.errors.extend((line, str(e)) for e in checked)
        else:
            out.events.append((line, checked))
    return out
