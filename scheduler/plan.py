"""Plan a survivor's waves from her milestones and the wave configuration. Pure and fast.

`plan_waves` gives the wave instances she should have, each with its due, reminder and closing
instants (UTC). It knows nothing about what was already sent: `scheduler.jobs.sync_plan` reconciles
the plan with her `wave_instances` rows (adds new, moves still-planned ones, cancels planned ones the
plan no longer holds, and never touches a wave once it went out).

Rules:
- A wave whose anchor is unknown (no programme dates yet) is not planned; it appears once a worker
  enters the dates.
- `programme_end` is the actual end when entered, else the expected end.
- `during_programme` waves (check-ins, mid-point) are planned only on days before the programme end,
  so an early drop-out or exclusion cancels the rest of them.
- A repeating check-in is left out when a full wave falls within `skip_within` days of it.
- A wave becomes due at `send_time` local time on its day (her contact windows apply on top).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import NamedTuple

from safety.windows import zone
from scheduler.waves import WaveConfig, WaveDef

MAX_REPEATS = 99


class Milestones(NamedTuple):
    enrolled_on: date
    programme_start: date | None = None
    expected_end: date | None = None
    actual_end: date | None = None

    @property
    def programme_end(self) -> date | None:
        return self.actual_end or self.expected_end


class PlannedWave(NamedTuple):
    wave_code: str
    wave_kind: str
    questionnaire: str
    questionnaire_version: str
    due_at: datetime
    reminder_at: datetime | None
    closes_at: datetime


@lru_cache(maxsize=65536)
def _local_to_utc(tz: str, ordinal: int, minutes: int) -> datetime:
    d = date.fromordinal(ordinal)
    local = datetime(d.year, d.month, d.day, minutes // 60, minutes % 60, tzinfo=zone(tz))
    return local.astimezone(UTC)


# Planned instances are immutable and many survivors share a wave day and a time zone, so one tuple
# per (configuration, wave code, zone, day) is shared: planning 100,000 survivors allocates a few
# tens of thousands of instances instead of a million.
_INSTANCES: dict[tuple[str, str, str, int], PlannedWave] = {}
_MAX_INSTANCES = 500_000


def _instance(config: WaveConfig, w: WaveDef, code: str, ordinal: int, tz: str) -> PlannedWave:
    key = (config.signature, code, tz, ordinal)
    p = _INSTANCES.get(key)
    if p is None:
        if len(_INSTANCES) >= _MAX_INSTANCES:
            _INSTANCES.clear()
        due = _local_to_utc(tz, ordinal, config.send_time_minutes)
        reminder = due + w.reminder_after if w.reminder_after is not None else None
        p = _INSTANCES[key] = PlannedWave(code, w.kind, w.questionnaire, w.questionnaire_version, due, reminder,
                                          due + w.close_after)
    return p


def clear_caches() -> None:
    _INSTANCES.clear()
    _local_to_utc.cache_clear()


def anchor_day(anchor: str, m: Milestones) -> date | None:
    if anchor == "enrolment":
        return m.enrolled_on
    if anchor == "programme_start":
        return m.programme_start
    if anchor == "programme_end":
        return m.programme_end
    if anchor == "programme_midpoint":
        if m.programme_start is None or m.expected_end is None:
            return None
        return m.programme_start + (m.expected_end - m.programme_start) / 2
    raise ValueError(f"unknown anchor {anchor!r}")


def _due_ordinal(w: WaveDef, base: date) -> int:
    if w.offset.months:
        return w.offset.apply(base).toordinal()
    return base.toordinal() + w.offset.days


def _by_due(p: PlannedWave) -> datetime:
    return p.due_at


def plan_waves(config: WaveConfig, m: Milestones, tz: str) -> list[PlannedWave]:
    """Every wave instance she should have, ordered by due time."""
    end = m.actual_end or m.expected_end
    end_o = end.toordinal() if end is not None else None
    out: list[PlannedWave] = []
    fixed: list[int] = []
    repeating: list[WaveDef] = []
    for w in config.waves:
        if w.every_days is not None:
            repeating.append(w)
            continue
        base = anchor_day(w.anchor, m)
        if base is None:
            continue
        o = _due_ordinal(w, base)
        if w.during_programme and (end_o is None or o >= end_o):
            continue
        fixed.append(o)
        out.append(_instance(config, w, w.code, o, tz))
    if end_o is not None:
        for w in repeating:
            base = anchor_day(w.anchor, m)
            if base is None:
                continue
            first, step, skip = _due_ordinal(w, base), w.every_days or 1, w.skip_within_days
            for n in range(1, MAX_REPEATS + 1):
                o = first + step * n
                if o >= end_o:
                    break
                if skip:
                    near = False
                    for f in fixed:
                        if -skip <= o - f <= skip:
                            near = True
                            break
                    if near:
                        continue
                out.append(_instance(config, w, f"{w.code}{n:02d}", o, tz))
    out.sort(key=_by_due)
    return out
