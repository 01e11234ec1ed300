"""The README's settings table, made from `Settings` itself so no setting goes unlisted: each variable,
its default, and the comment beside it in bot/settings.py. tests/test_settings_table.py fails when the
README's copy differs; rewrite it with

    .venv/bin/python -m bot.settings_table --write README.md
"""

from __future__ import annotations

import ast
import sys
import typing
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined

from bot import settings as settings_module
from bot.settings import Settings

START = "<!-- settings table: made by `python -m bot.settings_table --write README.md`; do not edit -->"
END = "<!-- end of settings table -->"


def _comments() -> dict[str, str]:
    """Field name -> the comment lines just above it and the comment at its end, as one sentence."""
    source = Path(settings_module.__file__).read_text(encoding="utf-8")
    lines = source.splitlines()
    (cls,) = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == "Settings"]
    notes: dict[str, str] = {}
    for node in cls.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above: list[str] = []
        i = node.lineno - 2
        while i >= 0 and lines[i].strip().startswith("#"):
            above.insert(0, lines[i].strip().lstrip("#").strip())
            i -= 1
        end = lines[(node.end_lineno or node.lineno) - 1]
        trailing = end.split("  # ", 1)[1].strip() if "  # " in end else ""
        notes[node.target.id] = " ".join(part for part in (*above, trailing) if part)
    return notes


def _default(field: Any) -> str:
    value = field.default_factory() if field.default is PydanticUndefined and field.default_factory else field.default
    if value is None or value == "":
        return "(unset)"
    if value in ([], {}):
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"`{value}`"


def _choices(annotation: Any) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return "one of " + ", ".join(f"`{v}`" for v in typing.get_args(annotation)) + ". "
    return ""


def rows() -> list[tuple[str, str, str]]:
    notes = _comments()
    return [(field.alias or name, _default(field), (_choices(field.annotation) + notes.get(name, "")).strip())
            for name, field in Settings.model_fields.items()]


def markdown() -> str:
    body = [START, "", "| variable | default | notes |", "|---|---|---|"]
    body += [f"| `{name}` | {default} | {note.replace('|', '/')} |" for name, default, note in rows()]
    return "\n".join([*body, "", END])


def rewrite(readme: Path) -> bool:
    """Put the current table between the markers; returns whether the file changed."""
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    new = head + markdown() + tail
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        print("rewritten" if rewrite(Path(sys.argv[2])) else "unchanged")
    else:
        print(markdown())
