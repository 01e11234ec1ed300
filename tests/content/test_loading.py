"""A content file read into a model: a mistake is named by its file, its line and its place."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, field_validator

from content.loading import ContentError, read_yaml, validate


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    days: int

    @field_validator("code")
    @classmethod
    def _capital(cls, code: str) -> str:
        if not code[:1].isupper():
            raise ValueError(f"{code!r}: starts with a capital")
        return code


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[Step]


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "message"), [
    ("steps:\n  - code: A\n    days: 1\n  - code: b\n    days: 2\n", ":4: steps[1].code: 'b': starts with a capital"),
    ("steps:\n  - code: A\n    days: soon\n", ":3: steps[0].days: expected a whole number, got 'soon'"),
    ("steps:\n  - code: A\n    days: 1\n    weeks: 2\n", ":4: steps[0].weeks: unknown key"),
    ("steps:\n  - code: A\n", ":2: steps[0].days: missing"),
])
def test_a_mistake_names_the_file_the_line_and_the_place(tmp_path: Path, text: str, message: str) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(ContentError) as err:
        validate(Plan, read_yaml(path))
    assert str(err.value) == f"{path}{message}"


def test_broken_yaml_and_a_missing_file_are_named_too(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r"plan\.yaml: not valid YAML"):
        read_yaml(_file(tmp_path, "steps: [oops\n"))
    with pytest.raises(ContentError, match=r"nowhere\.yaml: missing"):
        read_yaml(tmp_path / "nowhere.yaml")


def test_a_good_file_is_its_model(tmp_path: Path) -> None:
    plan = validate(Plan, read_yaml(_file(tmp_path, "steps:\n  - {code: A, days: 1}\n")))
    assert plan.steps == [Step(code="A", days=1)]
