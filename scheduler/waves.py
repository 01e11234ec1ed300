"""The wave configuration (content/waves.yaml), read into pydantic models when loaded.

A broken file raises `WaveConfigError` naming the file, the line, the place and the reason. See the comment
at the top of content/waves.yaml for the meaning of each field.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, ValidationInfo, field_validator, model_validator

from content import shared_path
from content.loading import ContentError, Document, read_yaml, validate
from flows.questionnaires import default_questionnaires
from safety.windows import WindowError, local_time

WAVES_PATH = shared_path("waves.yaml")
CODE_RE = re.compile(r"^[A-Z][A-Za-z0-9]{0,11}$")


class WaveConfigError(ContentError):
    """content/waves.yaml cannot be used; the message names the file, the line, the place and the reason."""


@dataclass(frozen=True)
class Offset:
    days: int = 0
    months: int = 0

    def apply(self, day: date) -> date:
        if self.months:
            month0 = day.month - 1 + self.months
            year, month = day.year + month0 // 12, month0 % 12 + 1
            last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
            day = date(year, month, min(day.day, last))
        return day + timedelta(days=self.days) if self.days else day


@dataclass(frozen=True)
class WaveDef:
    code: str
    label: str
    kind: str  # wave / checkin
    questionnaire: str
    questionnaire_version: str
    anchor: str
    offset: Offset
    every_days: int | None
    during_programme: bool
    skip_within_days: int
    reminder_after: timedelta | None
    close_after: timedelta
    order: int

    @property
    def repeating(self) -> bool:
        return self.every_days is not None


@dataclass(frozen=True)
class WaveConfig:
    version: str
    send_time_minutes: int  # local minutes after midnight
    questionnaires: dict[str, str]  # id -> version used for new waves
    waves: tuple[WaveDef, ...]
    signature: str  # changes when anything that shapes a plan changes
    source: str = ""

    def wave(self, code: str) -> WaveDef:
        """The definition behind a wave code (C07 -> the repeating definition C)."""
        for w in self.waves:
            if w.code == code or (w.repeating and code.startswith(w.code) and code[len(w.code):].isdigit()):
                return w
        raise KeyError(code)


# -- the file, as pydantic models --------------------------------------------------------------------
class _Days(BaseModel):
    """{days: N}"""

    model_config = ConfigDict(extra="forbid", strict=True)
    days: int


class _DaysOrMonths(BaseModel):
    """{days: N} or {months: N} (both may be given)"""

    model_config = ConfigDict(extra="forbid", strict=True)
    days: int = 0
    months: int = 0

    @model_validator(mode="before")
    @classmethod
    def _not_empty(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and not raw:
            raise ValueError("expected a mapping with days or months")
        return raw


def _positive(value: _Days | None) -> _Days | None:
    if value is not None and value.days <= 0:
        raise ValueError("must be positive")
    return value


class _Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reminder_after: _Days | None = None
    close_after: _Days | None = None


class _Wave(BaseModel):
    """One entry under `waves:`. Reads the file's questionnaires and defaults from the validation
    context, which `_WavesFile` fills as it validates them (its fields are validated in order)."""

    model_config = ConfigDict(extra="forbid")
    code: str
    label: str | None = None
    kind: Literal["wave", "checkin"] = "wave"
    questionnaire: str
    anchor: Literal["enrolment", "programme_start", "programme_midpoint", "programme_end"]
    offset: _DaysOrMonths = _DaysOrMonths(days=0)
    every: _Days | None = None
    during_programme: StrictBool = False
    skip_within: _Days = _Days(days=0)
    reminder_after: _Days | None = None
    close_after: _Days | None = None

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, raw: Any, info: ValidationInfo) -> Any:
        defaults = (info.context or {}).get("defaults")
        if isinstance(raw, dict) and defaults is not None:
            for key in ("reminder_after", "close_after"):
                if key not in raw and getattr(defaults, key) is not None:
                    raw = {**raw, key: getattr(defaults, key).model_dump()}
        return raw

    @field_validator("code")
    @classmethod
    def _code(cls, code: str) -> str:
        if not CODE_RE.match(code):
            raise ValueError(f"{code!r}: expected a code like T0 (letters and digits, starting with a capital, "
                             "at most 12)")
        return code

    @field_validator("questionnaire")
    @classmethod
    def _listed(cls, qid: str, info: ValidationInfo) -> str:
        if qid not in (info.context or {}).get("questionnaires", {}):
            raise ValueError(f"{qid!r} is not listed under questionnaires")
        return qid

    _every_positive = field_validator("every", "reminder_after", "close_after")(_positive)

    @model_validator(mode="after")
    def _rules(self) -> _Wave:
        if self.every is not None:
            if len(self.code) > 10:
                raise ValueError("code: a repeating wave's code must leave room for its number")
            if not self.during_programme:
                raise ValueError("every: a repeating wave needs during_programme: true (it must end)")
            if self.anchor in ("enrolment", "programme_end"):
                raise ValueError(f"anchor: a repeating wave runs from enrolment or programme_start; "
                                 f"{self.anchor!r} does not bound it")
        if self.close_after is None:
            raise ValueError("close_after: missing (and no default): every wave needs a deadline")
        if self.reminder_after is not None and self.reminder_after.days >= self.close_after.days:
            raise ValueError("reminder_after: must come before close_after")
        return self


class _WavesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str | int | float
    send_time: str
    questionnaires: dict[str, str]
    defaults: _Defaults = _Defaults()
    waves: list[_Wave]

    @field_validator("send_time", mode="before")
    @classmethod
    def _local_time(cls, raw: Any) -> Any:
        try:
            ok = isinstance(raw, str) and local_time(raw) is not None
        except WindowError:
            ok = False
        if not ok:
            raise ValueError(f"expected a quoted local time 'HH:MM', got {raw!r}")
        return raw

    @field_validator("questionnaires")
    @classmethod
    def _questionnaires(cls, qmap: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        if not qmap:
            raise ValueError("expected a mapping of questionnaire id to quoted version")
        known = (info.context or {}).get("questionnaire_ids")
        for qid, version in qmap.items():
            if known is not None and version not in known.get(qid, set()):
                raise ValueError(f"{qid}: no questionnaire {qid!r} version {version!r} in content/")
        if info.context is not None:
            info.context["questionnaires"] = qmap
        return qmap

    @field_validator("defaults")
    @classmethod
    def _share_defaults(cls, defaults: _Defaults, info: ValidationInfo) -> _Defaults:
        if info.context is not None:
            info.context["defaults"] = defaults
        return defaults

    @field_validator("waves")
    @classmethod
    def _waves(cls, waves: list[_Wave]) -> list[_Wave]:
        if not waves:
            raise ValueError("expected a non-empty list")
        codes = [w.code for w in waves]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                raise ValueError(f"[{i}].code: {code!r} is used twice")
        for a in waves:
            for b in waves:
                if a is not b and a.every is not None and b.code.startswith(a.code) and b.code[len(a.code):].isdigit():
                    raise ValueError(f"code {b.code!r} clashes with the repeating wave {a.code!r}")
        return waves


def _wave_def(w: _Wave, qmap: dict[str, str], order: int) -> WaveDef:
    assert w.close_after is not None  # _Wave._rules
    return WaveDef(w.code, w.label if w.label is not None else w.code, w.kind, w.questionnaire, qmap[w.questionnaire],
                   w.anchor, Offset(w.offset.days, w.offset.months), None if w.every is None else w.every.days,
                   w.during_programme, w.skip_within.days,
                   None if w.reminder_after is None else timedelta(days=w.reminder_after.days),
                   timedelta(days=w.close_after.days), order)


def parse_wave_config(raw: Any, source: str, questionnaire_ids: dict[str, set[str]] | None = None,
                      lines: Document | None = None) -> WaveConfig:
    """`questionnaire_ids`: id -> versions available, to check the references (optional). `lines`: the
    file as read (content.loading.read_yaml), so an error names its line."""
    doc = lines if lines is not None else Document(raw, source)
    spec = validate(_WavesFile, doc, WaveConfigError, context={"questionnaire_ids": questionnaire_ids})
    send = local_time(spec.send_time)
    waves = tuple(_wave_def(w, spec.questionnaires, i) for i, w in enumerate(spec.waves))
    signature = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return WaveConfig(str(spec.version), send.hour * 60 + send.minute, dict(spec.questionnaires), waves, signature,
                      source)


def load_wave_config(path: Path = WAVES_PATH, questionnaire_ids: dict[str, set[str]] | None = None) -> WaveConfig:
    doc = read_yaml(path, WaveConfigError)
    return parse_wave_config(doc.data, str(path), questionnaire_ids, doc)


@cache
def default_wave_config() -> WaveConfig:
    qs = default_questionnaires()
    ids: dict[str, set[str]] = {}
    for _, qid, v in qs.by_key:
        ids.setdefault(qid, set()).add(v)
    return load_wave_config(WAVES_PATH, ids)
