"""The programme event kinds (content/programme_events.yaml), validated when loaded.

The kinds are data: which fields each carries, how urgent it is (and when a field makes it
urgent), and which of her programme milestones it moves. A broken file raises `EventKindsError`
naming the file, the kind and the field, so a typo is found at start and never by a lost event.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from content import shared_path

KINDS_PATH = shared_path("programme_events.yaml")
KIND_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # programme_events.kind is 32 characters
Urgency = Literal["urgent", "routine"]
# the fields a kind may ask for beyond the common ones; each has a column in programme_events
KindField = Literal["reason_class", "sessions_missed", "expected_end"]


class EventKindsError(ValueError):
    """content/programme_events.yaml cannot be used; the message names the file, the place and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Moves(_Strict):
    """Her milestones an event sets: dates from the event's own fields, an outcome as a constant."""

    programme_start: Literal["occurred_on"] | None = None
    expected_end: Literal["expected_end"] | None = None
    actual_end: Literal["occurred_on"] | None = None
    outcome: Literal["completed", "dropped_out", "excluded"] | None = None

    @model_validator(mode="after")
    def _paired(self) -> Moves:
        if (self.actual_end is None) != (self.outcome is None):
            raise ValueError("actual_end and outcome go together (an ending has a date and an outcome)")
        return self


class KindSpec(_Strict):
    label: str = Field(min_length=1, max_length=80)
    urgency: Urgency
    urgent_if: dict[Literal["reason_class"], list[str]] = Field(default_factory=dict)
    requires: list[KindField] = Field(default_factory=list)
    allows: list[KindField] = Field(default_factory=list)
    reason_classes: list[str] = Field(default_factory=list)
    moves: Moves | None = None

    @model_validator(mode="after")
    def _consistent(self) -> KindSpec:
        both = set(self.requires) & set(self.allows)
        if both:
            raise ValueError(f"{sorted(both)} is listed in both requires and allows")
        fields = self.fields
        if ("reason_class" in fields) != bool(self.reason_classes):
            raise ValueError("reason_classes must be listed exactly when the kind carries reason_class")
        for name, values in self.urgent_if.items():
            if name not in fields:
                raise ValueError(f"urgent_if.{name}: the kind does not carry {name}")
            unknown = [v for v in values if v not in self.reason_classes]
            if unknown:
                raise ValueError(f"urgent_if.{name}: {unknown} not in reason_classes")
        if self.moves is not None and self.moves.expected_end and "expected_end" not in fields:
            raise ValueError("moves.expected_end: the kind does not carry expected_end")
        return self

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.requires, *self.allows)


class EventKinds(_Strict):
    version: str
    kinds: dict[str, KindSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes(self) -> EventKinds:
        for code in self.kinds:
            if not KIND_CODE.match(code):
                raise ValueError(f"kind {code!r}: expected lower-case letters, digits and '_' (at most 32)")
        return self

    def spec(self, kind: str) -> KindSpec:
        return self.kinds[kind]

    def urgency(self, kind: str, reason_class: str | None = None) -> Urgency:
        """How urgent an event of `kind` is: its `urgency`, or urgent when `urgent_if` matches."""
        spec = self.kinds[kind]
        if reason_class is not None and reason_class in spec.urgent_if.get("reason_class", []):
            return "urgent"
        return spec.urgency


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def parse_kinds(raw: Any, source: str) -> EventKinds:
    """Validate the parsed YAML; errors name `source` and the place (kinds.excluded.urgency)."""
    try:
        return EventKinds.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = _where(err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{source}: {where}: {message}" if where else f"{source}: {message}")
        raise EventKindsError("; ".join(problems)) from None


def load_kinds(path: Path) -> EventKinds:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EventKindsError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise EventKindsError(f"{path}: {where}not valid YAML") from None
    return parse_kinds(raw, str(path))


@cache
def default_kinds() -> EventKinds:
    """The kinds of content/programme_events.yaml (read once)."""
    return load_kinds(KINDS_PATH)
