"""Programme milestones: validation (pure) and saving (I/O), for `liaison programme set|import`.

A survivor is named by her pseudonym (the only id workers and the case system share with us).
CSV import validates row by row: a bad row is reported with its line number and reason, good rows
are kept. Every change is audited (who, whose pseudonym, which fields; never values of other data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.programme.csv_rows import CsvRows
from bot.storage.models import AuditEvent, ProgrammeMilestones, Survivor
from safety.windows import WindowError, zone

OUTCOMES = ("completed", "dropped_out", "excluded")
FIELDS = ("enrolled_on", "programme_start", "expected_end", "actual_end", "outcome", "site")
DATE_FIELDS = ("enrolled_on", "programme_start", "expected_end", "actual_end")
CSV_REQUIRED = ("pseudonym", "programme_start", "expected_end")
CSV_OPTIONAL = ("actual_end", "outcome", "enrolled_on", "site")
SITE_MAX = 64
CLEAR = object()  # "set this field to empty"


class MilestoneError(ValueError):
    pass


def enrolment_day(created_at: datetime, tz: str) -> date:
    """The day she enrolled, in her zone (UTC where her zone is unknown): the intake wave's anchor."""
    try:
        return created_at.astimezone(zone(tz)).date()
    except WindowError:
        return created_at.astimezone(UTC).date()


@dataclass
class Change:
    """Fields to set for one survivor; a value of None means "leave as it is", CLEAR empties it."""

    pseudonym: str
    values: dict[str, object] = field(default_factory=dict)
    line: int | None = None


def parse_date(value: str, name: str) -> date:
    try:
        d = date.fromisoformat(value.strip())
    except ValueError:
        raise MilestoneError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
    if not 2000 <= d.year <= 2100:
        raise MilestoneError(f"{name}: {value!r} is out of range")
    return d


def parse_outcome(value: str) -> str:
    norm = value.strip().lower().replace("-", "_").replace(" ", "_")
    if norm not in OUTCOMES:
        raise MilestoneError(f"outcome: {value!r} is not one of {', '.join(OUTCOMES)}")
    return norm


def parse_site(value: str) -> str:
    """A programme site code (for evaluation by site): letters, digits, space, '-', '_', '.'."""
    site = " ".join(value.split())
    if not site or len(site) > SITE_MAX or not all(c.isalnum() or c in " -_." for c in site):
        raise MilestoneError(f"site: {value!r} is not a site code (up to {SITE_MAX} letters, digits, "
                             "spaces, '-', '_', '.')")
    return site


def merged(current: Mapping[str, object | None], change: Mapping[str, object]) -> dict[str, object | None]:
    out = dict(current)
    for k, v in change.items():
        out[k] = None if v is CLEAR else v
    return out


def validate(values: Mapping[str, object | None], today: date) -> list[str]:
    """Problems with a full set of milestone values (after merging a change into what is stored)."""
    problems = []
    start, expected, actual, outcome = (values.get(k) for k in ("programme_start", "expected_end", "actual_end",
                                                                 "outcome"))
    if isinstance(start, date) and isinstance(expected, date) and expected <= start:
        problems.append("expected_end must be after programme_start")
    if isinstance(actual, date) and isinstance(start, date) and actual < start:
        problems.append("actual_end is before programme_start")
    if isinstance(actual, date) and actual > today:
        problems.append("actual_end is in the future; enter it when the programme has ended")
    if isinstance(actual, date) and start is None:
        problems.append("actual_end needs programme_start")
    if expected is not None and start is None:
        problems.append("expected_end needs programme_start")
    if actual is not None and outcome is None:
        problems.append("actual_end needs an outcome (completed, dropped_out, excluded)")
    if outcome is not None and actual is None:
        problems.append("an outcome needs actual_end")
    return problems


# -- CSV -------------------------------------------------------------------------------------------
@dataclass
class ParsedCsv:
    changes: list[Change]
    errors: list[tuple[int, str]]  # (line, reason)


def parse_csv(text: str) -> ParsedCsv:
    """Rows of the case system's export. Header names are case-insensitive; ',' ';' or tab."""
    changes: list[Change] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    table = CsvRows(text, CSV_REQUIRED, CSV_REQUIRED + CSV_OPTIONAL, errors)
    for line, cell in table.rows():
        pseudonym = cell["pseudonym"]
        if not pseudonym:
            errors.append((line, "pseudonym is empty"))
            continue
        if pseudonym in seen:
            errors.append((line, f"pseudonym {pseudonym} is also on line {seen[pseudonym]}"))
            continue
        values: dict[str, object] = {}
        try:
            for name in DATE_FIELDS:
                if name in cell:
                    values[name] = parse_date(cell[name], name) if cell[name] else (
                        CLEAR if name in ("actual_end",) else None)
            if "outcome" in cell:
                values["outcome"] = parse_outcome(cell["outcome"]) if cell["outcome"] else CLEAR
            if "site" in cell:
                values["site"] = parse_site(cell["site"]) if cell["site"] else CLEAR
            for name in ("programme_start", "expected_end"):
                if values.get(name) is None:
                    raise MilestoneError(f"{name} is empty")
        except MilestoneError as exc:
            errors.append((line, str(exc)))
            continue
        seen[pseudonym] = line
        changes.append(Change(pseudonym, {k: v for k, v in values.items() if v is not None}, line))
    return ParsedCsv(changes, errors)


# -- saving ----------------------------------------------------------------------------------------
def current_values(row: ProgrammeMilestones | None) -> dict[str, object | None]:
    if row is None:
        return dict.fromkeys(FIELDS)
    return {k: getattr(row, k) for k in FIELDS}


async def apply_change(session: AsyncSession, change: Change, *, actor: str, today: date,
                       now: datetime) -> tuple[int | None, list[str]]:
    """Validate against what is stored and save; returns (survivor id, problems). Nothing is saved
    when there are problems. Saving clears the plan signature so the scheduler replans her waves."""
    survivor = await session.scalar(select(Survivor).where(Survivor.pseudonym == change.pseudonym))
    if survivor is None or survivor.status == "erased":
        return None, [f"no survivor with pseudonym {change.pseudonym}"]
    row = await session.scalar(select(ProgrammeMilestones).where(ProgrammeMilestones.survivor_id == survivor.id))
    values = merged(current_values(row), change.values)
    problems = validate(values, today)
    if problems:
        return survivor.id, problems
    if row is None:
        row = ProgrammeMilestones(survivor_id=survivor.id,
                                  enrolled_on=enrolment_day(survivor.created_at, survivor.timezone))
        session.add(row)
    changed = []
    for k in FIELDS:
        v = values[k]
        if k == "enrolled_on" and v is None:
            continue
        if getattr(row, k) != v:
            setattr(row, k, v)
            changed.append(k)
    if changed or row.plan_signature is None:
        row.updated_at, row.updated_by, row.plan_signature = now, actor[:64], None
    session.add(AuditEvent(actor=actor[:64], action="programme.set", survivor_pseudonym=survivor.pseudonym,
                           details={"fields": changed, **({"line": change.line} if change.line else {})}))
    await session.flush()
    return survivor.id, []


def describe(errors: Iterable[tuple[int, str]]) -> list[str]:
    return [f"line {line}: {reason}" for line, reason in errors]
