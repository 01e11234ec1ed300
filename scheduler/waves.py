"""The wave configuration (content/waves.yaml), validated when loaded.

A broken file raises `WaveConfigError` naming the file, the place and the reason. See the comment
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
from typing import Any

import yaml

from content import shared_path
from flows.questionnaires import default_questionnaires
from safety.windows import WindowError, local_time

WAVES_PATH = shared_path("waves.yaml")
ANCHORS = ("enrolment", "programme_start", "programme_midpoint", "programme_end")
KINDS = ("wave", "checkin")
CODE_RE = re.compile(r"^[A-Z][A-Za-z0-9]{0,11}$")
WAVE_KEYS = {"code", "label", "kind", "questionnaire", "anchor", "offset", "every", "during_programme",
             "skip_within", "reminder_after", "close_after"}


class WaveConfigError(ValueError):
    """content/waves.yaml cannot be used; the message names the file, the place and the reason."""


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

    def order_of(self, code: str) -> tuple[int, int]:
        w = self.wave(code)
        return (w.order, int(code[len(w.code):]) if w.repeating else 0)


def _fail(source: str, where: str, reason: str) -> WaveConfigError:
    return WaveConfigError(f"{source}: {where}: {reason}" if where else f"{source}: {reason}")


def _duration(raw: Any, source: str, where: str, allow_months: bool, allow_zero: bool = True) -> Offset:
    allowed = {"days", "months"} if allow_months else {"days"}
    if not isinstance(raw, dict) or not raw or set(raw) - allowed:
        raise _fail(source, where, f"expected a mapping with {' or '.join(sorted(allowed))}, got {raw!r}")
    values = {}
    for k, v in raw.items():
        if not isinstance(v, int) or isinstance(v, bool):
            raise _fail(source, f"{where}.{k}", f"expected a whole number, got {v!r}")
        values[k] = v
    off = Offset(values.get("days", 0), values.get("months", 0))
    if not allow_zero and (off.days <= 0 and off.months <= 0):
        raise _fail(source, where, "must be positive")
    return off


def parse_wave_config(raw: Any, source: str, questionnaire_ids: dict[str, set[str]] | None = None) -> WaveConfig:
    """`questionnaire_ids`: id -> versions available, to check the references (optional)."""
    if not isinstance(raw, dict):
        raise _fail(source, "", "expected a mapping at the top level")
    extra = set(raw) - {"version", "send_time", "questionnaires", "defaults", "waves"}
    if extra:
        raise _fail(source, "", f"unknown top-level keys {sorted(extra)}")
    for key in ("version", "send_time", "questionnaires", "waves"):
        if key not in raw:
            raise _fail(source, key, "missing")
    try:
        send = local_time(raw["send_time"]) if isinstance(raw["send_time"], str) else None
    except WindowError:
        send = None
    if send is None:
        raise _fail(source, "send_time", f"expected a quoted local time 'HH:MM', got {raw['send_time']!r}")
    qmap = raw["questionnaires"]
    if not isinstance(qmap, dict) or not qmap or not all(isinstance(v, str) for v in qmap.values()):
        raise _fail(source, "questionnaires", "expected a mapping of questionnaire id to quoted version")
    if questionnaire_ids is not None:
        for qid, v in qmap.items():
            if v not in questionnaire_ids.get(qid, set()):
                raise _fail(source, f"questionnaires.{qid}", f"no questionnaire {qid!r} version {v!r} in content/")
    defaults = raw.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - {"reminder_after", "close_after"}:
        raise _fail(source, "defaults", "expected a mapping with reminder_after and/or close_after")
    waves_raw = raw["waves"]
    if not isinstance(waves_raw, list) or not waves_raw:
        raise _fail(source, "waves", "expected a non-empty list")
    waves: list[WaveDef] = []
    codes: set[str] = set()
    for i, w in enumerate(waves_raw):
        where = f"waves[{i}]"
        if not isinstance(w, dict):
            raise _fail(source, where, "expected a mapping")
        if set(w) - WAVE_KEYS:
            raise _fail(source, where, f"unknown keys {sorted(set(w) - WAVE_KEYS)}")
        code = w.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            raise _fail(source, f"{where}.code", f"{code!r}: expected a code like T0 (letters and digits, "
                                                 "starting with a capital, at most 12)")
        if code in codes:
            raise _fail(source, f"{where}.code", f"{code!r} is used twice")
        codes.add(code)
        kind = w.get("kind", "wave")
        if kind not in KINDS:
            raise _fail(source, f"{where}.kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        qid = w.get("questionnaire")
        if qid not in qmap:
            raise _fail(source, f"{where}.questionnaire", f"{qid!r} is not listed under questionnaires")
        anchor = w.get("anchor")
        if anchor not in ANCHORS:
            raise _fail(source, f"{where}.anchor", f"{anchor!r} is not one of {', '.join(ANCHORS)}")
        offset = _duration(w.get("offset", {"days": 0}), source, f"{where}.offset", allow_months=True)
        every = None
        if "every" in w:
            every = _duration(w["every"], source, f"{where}.every", allow_months=False, allow_zero=False).days
            if len(code) > 10:
                raise _fail(source, f"{where}.code", "a repeating wave's code must leave room for its number")
        during = w.get("during_programme", False)
        if not isinstance(during, bool):
            raise _fail(source, f"{where}.during_programme", "expected true or false")
        if every is not None and not during:
            raise _fail(source, f"{where}.every", "a repeating wave needs during_programme: true (it must end)")
        if every is not None and anchor in ("enrolment", "programme_end"):
            raise _fail(source, f"{where}.anchor", "a repeating wave runs from enrolment or programme_start; "
                                                    f"{anchor!r} does not bound it")
        skip = _duration(w.get("skip_within", {"days": 0}), source, f"{where}.skip_within", allow_months=False).days
        rem_raw = w.get("reminder_after", defaults.get("reminder_after"))
        reminder = None if rem_raw is None else timedelta(
            days=_duration(rem_raw, source, f"{where}.reminder_after", allow_months=False, allow_zero=False).days)
        close_raw = w.get("close_after", defaults.get("close_after"))
        if close_raw is None:
            raise _fail(source, f"{where}.close_after", "missing (and no default): every wave needs a deadline")
        close = timedelta(days=_duration(close_raw, source, f"{where}.close_after", allow_months=False,
                                         allow_zero=False).days)
        if reminder is not None and reminder >= close:
            raise _fail(source, f"{where}.reminder_after", "must come before close_after")
        label = w.get("label", code)
        if not isinstance(label, str):
            raise _fail(source, f"{where}.label", "expected a text")
        waves.append(WaveDef(code, label, kind, str(qid), qmap[qid], anchor, offset, every, during, skip, reminder,
                             close, i))
    for a in waves:
        for b in waves:
            if a is not b and a.repeating and b.code.startswith(a.code) and b.code[len(a.code):].isdigit():
                raise _fail(source, "waves", f"code {b.code!r} clashes with the repeating wave {a.code!r}")
    signature = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return WaveConfig(str(raw["version"]), send.hour * 60 + send.minute, dict(qmap), tuple(waves), signature,
                      source)


def load_wave_config(path: Path = WAVES_PATH, questionnaire_ids: dict[str, set[str]] | None = None) -> WaveConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WaveConfigError(f"{path}: missing") from None
    except yaml.YAMLError as exc:
        raise WaveConfigError(f"{path}: not valid YAML ({exc})") from None
    return parse_wave_config(raw, str(path), questionnaire_ids)


@cache
def default_wave_config() -> WaveConfig:
    qs = default_questionnaires()
    ids: dict[str, set[str]] = {}
    for _, qid, v in qs.by_key:
        ids.setdefault(qid, set()).add(v)
    return load_wave_config(WAVES_PATH, ids)
