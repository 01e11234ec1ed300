"""A case system's CSV export read row by row (pure), for both programme imports (milestones and
events): header names case-insensitive, ',' ';' or tab, a byte-order mark ignored, blank lines
skipped. A bad header stops the file; a row with more fields than the header is reported by its
line and skipped, so the good rows are kept."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field


@dataclass
class CsvRows:
    """`rows()` yields (line, {column: stripped cell}) for the known columns; `errors` collects
    (line, reason) for the header and for rows that do not fit it."""

    text: str
    required: Sequence[str]
    known: Sequence[str]
    errors: list[tuple[int, str]] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        text = self.text.lstrip("\ufeff")
        first = text.splitlines()[0] if text.strip() else ""
        delimiter = max((",", ";", "\t"), key=first.count) if first else ","
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            self.errors.append((1, "the file is empty"))
            return
        missing = [c for c in self.required if c not in header]
        if missing:
            self.errors.append((1, f"header: missing column(s) {', '.join(missing)} "
                                   f"(expected {', '.join(self.known)})"))
            return
        dupes = sorted({h for h in header if h and header.count(h) > 1})
        if dupes:
            self.errors.append((1, f"header: column(s) {', '.join(dupes)} given twice"))
            return
        pos = {name: header.index(name) for name in self.known if name in header}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
                self.errors.append((reader.line_num, f"{len(row)} fields but the header has {len(header)}"))
                continue
            row = row + [""] * (len(header) - len(row))
            yield reader.line_num, {name: row[i].strip() for name, i in pos.items()}
