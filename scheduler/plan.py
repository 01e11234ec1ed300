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


class WavePlanner:
    """Plans the waves of one configuration for many survivors (the scheduler's, owned by its WaveJobs).

    Planned instances are immutable and many survivors share a wave day and a time zone, so one tuple
    per (wave code, zone, day) is shared: planning 100,000 survivors allocates a few tens of thousands of
    instances instead of a million. What it shares lives as long as the planner, up to `max_shared`."""

    def __init__(self, config: WaveConfig, *, max_shared: int = 500_000) -> None:
        self.config = config
        self.max_shared = max_shared
        self._instances: dict[tuple[str, str, int], PlannedWave] = {}
        self._due: dict[tuple[str, int], datetime] = {}  # (zone, day): the configured send time, in UTC

    def shared(self) -> int:
        """How many planned instances (and due instants) it holds now."""
        return len(self._instances) + len(self._due)

    def _due_at(self, tz: str, ordinal: int) -> datetime:
        due = self._due.get((tz, ordinal))
        if due is None:
            d, minutes = date.fromordinal(ordinal), self.config.send_time_minutes
            local = datetime(d.year, d.month, d.day, minutes // 60, minutes % 60, tzinfo=zone(tz))
            due = self._due[(tz, ordinal)] = local.astimezone(UTC)
        return due

    def _instance(self, w: WaveDef, code: str, ordinal: int, tz: str) -> PlannedWave:
        key = (code, tz, ordinal)
        p = self._instances.get(key)
        if p is None:
            if len(self._instances) >= self.max_shared or len(self._due) >= self.max_shared:
                self._instances.clear()
                self._due.clear()
            due = self._due_at(tz, ordinal)
            reminder = due + w.reminder_after if w.reminder_after is not None else None
            p = self._instances[key] = PlannedWave(code, w.kind, w.questionnaire, w.questionnaire_version, due,
                                                   reminder, due + w.close_after)
        return p

    def plan(self, m: Milestones, tz: str) -> list[PlannedWave]:
        """Every wave instance she should have, ordered by due time."""
        config = self.config
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
            out.append(self._instance(w, w.code, o, tz))
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
                    out.append(self._instance(w, f"{w.code}{n:02d}", o, tz))
        out.sort(key=_by_due)
        return out


def plan_waves(config: WaveConfig, m: Milestones, tz: str) -> list[PlannedWave]:
    """Every wave instance she should have, ordered by due time (one survivor: nothing shared)."""
    return WavePlanner(config).plan(m, tz)
