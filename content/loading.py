"""Content files read into pydantic models, with errors that name the file, the line and the place.

    doc = read_yaml(path, WaveConfigError)              # the data, and the line of every value in it
    spec = validate(WavesFile, doc, WaveConfigError)    # "content/waves.yaml:31: waves[2].anchor: 'moon' is
                                                        #  not one of enrolment, programme_start, ..."

A validator's own ValueError keeps its words; pydantic's generic messages are put the way a person
editing the file would say them ("missing", "unknown key", "expected a whole number, got 'x'").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class ContentError(ValueError):
    """A content file that cannot be used: the message names the file, the line or place, and the reason."""


@dataclass(frozen=True)
class Document:
    """One YAML file's data, and the line (1-based) where each value in it stands."""

    data: Any
    source: str
    lines: Mapping[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of the deepest part of `loc` that is in the file (a missing key: its mapping's)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None


def _lines(node: yaml.Node, loc: Loc, into: dict[Loc, int]) -> None:
    into[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark.line)
            into[(*loc, name)] = key.start_mark.line + 1
            _lines(value, (*loc, name), into)
            into[(*loc, name)] = key.start_mark.line + 1  # a key's line, not where its value block starts
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*loc, i), into)


def read_yaml(path: Path, error: type[ContentError] = ContentError) -> Document:
    """Parse one file; a missing file or broken YAML is `error`, naming the file (and the line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: missing") from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({exc})") from None
    lines: dict[Loc, int] = {}
    if root is not None:
        _lines(root, (), lines)
    return Document(data, str(path), lines)


def place(loc: Loc) -> str:
    """("waves", 2, "anchor") -> "waves[2].anchor"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _reason(err: ErrorDetails) -> str:
    kind, given, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "literal_error":
        return f"{given!r} is not one of {str(ctx.get('expected', '')).replace(' or ', ', ')}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {given!r}"
    if kind in ("string_type", "string_too_short"):
        return f"expected a non-empty text, got {given!r}"
    if kind in ("bool_type", "bool_parsing"):
        return "expected true or false"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {given!r}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "expected a mapping"
    if kind == "list_type":
        return "expected a list"
    if kind == "too_short":
        return "must not be empty"
    return str(err["msg"])


def validate(model: type[M], doc: Document, error: type[ContentError] = ContentError,
             context: dict[str, Any] | None = None) -> M:
    """`doc.data` as a `model`; the first problem is `error`, naming the file, the line and the place."""
    try:
        return model.model_validate(doc.data, context={} if context is None else context)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = tuple(first["loc"])
        line = doc.line_of(loc)
        where = place(loc)
        head = f"{doc.source}:{line}" if line is not None else doc.source
        raise error(f"{head}: {where}: {_reason(first)}" if where else f"{head}: {_reason(first)}") from None
