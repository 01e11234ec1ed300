"""The pure wave planner: anchors, offsets in months, during-programme waves, skipping check-ins
near full waves, missing milestones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from scheduler.plan import Milestones, WavePlanner, anchor_day, plan_waves
from scheduler.waves import Offset, default_wave_config, parse_wave_config

CONFIG = default_wave_config()


def codes(plan) -> list[str]:
    return [p.wave_code for p in plan]


def test_only_the_intake_wave_before_programme_dates_are_known() -> None:
    plan = plan_waves(CONFIG, Milestones(date(2026, 3, 2)), "Europe/London")
    assert codes(plan) == ["T0"]
    assert plan[0].due_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert plan[0].reminder_at == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def test_the_full_plan_of_a_programme() -> None:
    m = Milestones(date(2026, 3, 2), date(2026, 3, 9), date(2026, 8, 31))
    plan = plan_waves(CONFIG, m, "Europe/London")
    full = [p.wave_code for p in plan if p.wave_kind == "wave"]
    assert full == ["T0", "T1", "T2", "T3", "T4"]
    checkins = [p for p in plan if p.wave_kind == "checkin"]
    assert [p.wave_code for p in checkins] == ["C01", "C02", "C03", "C04", "C05", "C07", "C08", "C09", "C10", "C11"]
    assert all(p.questionnaire == "checkin" for p in checkins)
    assert [p.due_at for p in plan] == sorted(p.due_at for p in plan)
    assert all(p.reminder_at is None or p.due_at < p.reminder_at < p.closes_at for p in plan)


def test_a_drop_out_ends_checkins_and_midpoint_and_anchors_the_end_waves() -> None:
    m = Milestones(date(2026, 3, 2), date(2026, 3, 9), date(2026, 8, 31), actual_end=date(2026, 4, 14))
    plan = {p.wave_code: p for p in plan_waves(CONFIG, m, "UTC")}
    assert set(plan) == {"T0", "C01", "C02", "T2", "T3", "T4"}
    assert plan["T2"].due_at.date() == date(2026, 4, 14)
    assert plan["T3"].due_at.date() == date(2026, 10, 14)
    assert plan["T4"].due_at.date() == date(2027, 4, 14)


def test_month_offsets_clamp_to_the_end_of_the_month() -> None:
    assert Offset(months=6).apply(date(2026, 8, 31)) == date(2027, 2, 28)
    assert Offset(months=12).apply(date(2028, 2, 29)) == date(2029, 2, 28)
    assert Offset(months=1, days=1).apply(date(2026, 1, 31)) == date(2026, 3, 1)
    assert Offset(months=-1).apply(date(2026, 3, 31)) == date(2026, 2, 28)


def test_midpoint_needs_start_and_expected_end() -> None:
    assert anchor_day("programme_midpoint", Milestones(date(2026, 1, 1), date(2026, 1, 10))) is None
    assert anchor_day("programme_midpoint", Milestones(date(2026, 1, 1), date(2026, 1, 10), date(2026, 1, 20))) \
        == date(2026, 1, 15)


def test_due_times_are_local_send_time_in_her_zone() -> None:
    m = Milestones(date(2026, 7, 1))
    (t0,) = plan_waves(CONFIG, m, "America/New_York")
    assert t0.due_at == datetime(2026, 7, 1, 14, 0, tzinfo=UTC)  # 10:00 EDT


def test_repeats_stop_at_the_limit() -> None:
    config = parse_wave_config({
        "version": "t", "send_time": "09:00", "questionnaires": {"checkin": "1"},
        "defaults": {"close_after": {"days": 1}},
        "waves": [{"code": "D", "kind": "checkin", "questionnaire": "checkin", "anchor": "programme_start",
                   "every": {"days": 1}, "during_programme": True}],
    }, "t.yaml")
    plan = plan_waves(config, Milestones(date(2026, 1, 1), date(2026, 1, 1), date(2027, 1, 1)), "UTC")
    assert len(plan) == 99 and plan[-1].wave_code == "D99"


def test_a_planner_shares_each_wave_day_among_the_survivors_it_plans_and_with_no_one_else() -> None:
    """What the scheduler's planner shares lives on it (its WaveJobs owns it), not in the module: a
    second service in the process, or a test, starts from nothing."""
    her = Milestones(date(2026, 3, 2), date(2026, 3, 9), date(2026, 7, 27))
    planner = WavePlanner(CONFIG)
    first, second = planner.plan(her, "Europe/London"), planner.plan(her, "Europe/London")
    assert len(first) > 5 and all(a is b for a, b in zip(first, second, strict=True))
    elsewhere = WavePlanner(CONFIG).plan(her, "Europe/London")
    assert elsewhere == first and not any(a is b for a, b in zip(first, elsewhere, strict=True))
    assert plan_waves(CONFIG, her, "Europe/London") == first


def test_a_planner_holds_no_more_than_it_is_allowed() -> None:
    """A long-running service plans for every survivor: what it shares is bounded (it starts again when full)."""
    planner = WavePlanner(CONFIG, max_shared=10)
    for day in range(60):
        plan = planner.plan(Milestones(date(2026, 1, 1) + timedelta(days=day), date(2026, 2, 1), date(2026, 8, 1)),
                            "UTC")
        assert plan and len(planner._instances) <= 10 and len(planner._due) <= 10
