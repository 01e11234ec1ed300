"""`liaison programme set|import` and `liaison waves` through click's CliRunner."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import AuditEvent, ProgrammeMilestones, WaveInstance
from scheduler.cli import programme, waves_group
from tests.scheduler.support import enrol
from tests.support.clock import TEST_NOW

TODAY = TEST_NOW.date()  # the CLI reads the process clock, which the tests move to TEST_NOW


def d(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


@pytest.fixture
def env(database_url: str, keyring) -> dict[str, str]:
    return {"LIAISON_ENV": "test", "DATABASE_URL": database_url, "LIAISON_KEY_FILE": str(keyring.path)}


def run(coro):
    return asyncio.run(coro)


async def _enrol_people(database_url: str, keyring, names: list[str]) -> None:
    db = Database(database_url, keyring)
    try:
        for name in names:
            await enrol(db, keyring, created_at=datetime.now(UTC) - timedelta(days=3), pseudonym=name)
    finally:
        await db.dispose()


async def _query(database_url: str, keyring, stmt):
    db = Database(database_url, keyring)
    try:
        async with db.sessions() as s:
            return (await s.execute(stmt)).all()
    finally:
        await db.dispose()


def test_programme_set_saves_audits_and_plans_her_waves(env, database_url, keyring) -> None:
    run(_enrol_people(database_url, keyring, ["ps-amber"]))
    result = CliRunner().invoke(programme, ["set", "ps-amber", "--start", d(-60), "--expected-end", d(108),
                                            "--by", "jo"], env=env)
    assert result.exit_code == 0, result.output
    assert "milestones saved for ps-amber" in result.output and "T2" in result.output
    (row,) = run(_query(database_url, keyring, select(
        ProgrammeMilestones.programme_start, ProgrammeMilestones.expected_end, ProgrammeMilestones.updated_by)))
    assert row == (TODAY + timedelta(days=-60), TODAY + timedelta(days=108), "worker:jo")
    codes = {c for (c,) in run(_query(database_url, keyring, select(WaveInstance.wave_code)))}
    assert {"T0", "C01", "T1", "T2", "T3", "T4"} <= codes
    audits = run(_query(database_url, keyring, select(
        AuditEvent.actor, AuditEvent.action, AuditEvent.survivor_pseudonym, AuditEvent.details)))
    assert audits == [("worker:jo", "programme.set", "ps-amber", {"fields": ["programme_start", "expected_end"]})]
    # the programme ended early
    result = CliRunner().invoke(programme, ["set", "ps-amber", "--actual-end", d(0), "--outcome", "dropped out"],
                                env=env)
    assert result.exit_code == 0, result.output
    waves = {c: (st, due) for c, st, due in run(_query(database_url, keyring, select(
        WaveInstance.wave_code, WaveInstance.state, WaveInstance.due_at)))}
    assert waves["T1"][0] == "cancelled"  # mid-point after the drop-out: no longer planned
    assert waves["T2"][0] == "planned" and waves["T2"][1].date() == TODAY


@pytest.mark.parametrize(("args", "message"), [
    (["ps-nobody", "--start", d(1), "--expected-end", d(100)], "no survivor with pseudonym ps-nobody"),
    (["ps-amber", "--start", d(10), "--expected-end", d(5)], "expected_end must be after programme_start"),
    (["ps-amber", "--start", d(-10), "--expected-end", d(100), "--actual-end", d(-1)],
     "actual_end needs an outcome"),
    (["ps-amber", "--start", d(-10), "--expected-end", d(100), "--actual-end", d(3), "--outcome", "completed"],
     "actual_end is in the future"),
    (["ps-amber", "--start", "2026-02-30"], "is not a date (YYYY-MM-DD)"),
    (["ps-amber", "--outcome", "graduated"], "is not one of completed, dropped_out, excluded"),
    (["ps-amber"], "nothing to set"),
])
def test_programme_set_refuses_bad_values(env, database_url, keyring, args, message) -> None:
    run(_enrol_people(database_url, keyring, ["ps-amber"]))
    result = CliRunner().invoke(programme, ["set", *args], env=env)
    assert result.exit_code != 0
    assert message in result.output
    assert run(_query(database_url, keyring, select(ProgrammeMilestones.programme_start))) in ([], [(None,)])


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_programme_import_keeps_good_rows_and_reports_bad_ones_by_line(env, database_url, keyring,
                                                                         tmp_path: Path) -> None:
    run(_enrol_people(database_url, keyring, ["ps-a", "ps-b", "ps-c", "ps-d", "ps-e", "ps-f"]))
    path = _csv(tmp_path, "\n".join([
        "Pseudonym;Programme_Start;Expected_End;Actual_End;Outcome;Case_Worker",
        f"ps-a;{d(2)};{d(170)};;;Sam",
        f"ps-b;{d(-200)};{d(-30)};{d(-40)};Dropped out;Kim",
        f"ps-c;{d(2)};not a date;;;Sam",
        f"ps-nobody;{d(2)};{d(170)};;;Sam",
        "",
        f"ps-a;{d(3)};{d(171)};;;Sam",
        f"ps-d;{d(-20)};{d(150)};{d(-1)};;Kim",
        f"ps-e;{d(10)};{d(5)};;;Kim",
        f"ps-f;{d(-100)};{d(60)};{d(-2)};excluded;Sam",
    ]) + "\n")
    result = CliRunner().invoke(programme, ["import", str(path), "--by", "kim"], env=env)
    assert result.exit_code == 1
    assert "3 row(s) imported, 5 rejected" in result.stdout
    assert result.stderr.splitlines() == [
        "export.csv: line 4: expected_end: 'not a date' is not a date (YYYY-MM-DD)",
        "export.csv: line 5: no survivor with pseudonym ps-nobody",
        "export.csv: line 7: pseudonym ps-a is also on line 2",
        "export.csv: line 8: actual_end needs an outcome (completed, dropped_out, excluded)",
        "export.csv: line 9: expected_end must be after programme_start",
    ]
    saved = dict(run(_query(database_url, keyring, select(ProgrammeMilestones.survivor_id, ProgrammeMilestones.outcome)
                            .where(ProgrammeMilestones.programme_start.isnot(None)))))
    assert sorted(saved.values(), key=str) == [None, "dropped_out", "excluded"]
    planned = run(_query(database_url, keyring, select(WaveInstance.survivor_id).distinct()))
    assert len(planned) >= 3


def test_programme_import_dry_run_saves_nothing(env, database_url, keyring, tmp_path: Path) -> None:
    run(_enrol_people(database_url, keyring, ["ps-a"]))
    path = _csv(tmp_path, f"pseudonym,programme_start,expected_end\nps-a,{d(2)},{d(170)}\n")
    result = CliRunner().invoke(programme, ["import", str(path), "--dry-run"], env=env)
    assert result.exit_code == 0 and "1 row(s) valid, 0 rejected" in result.stdout
    assert run(_query(database_url, keyring, select(ProgrammeMilestones.id))) == []


def test_a_csv_without_the_needed_columns_is_refused_whole(env, tmp_path: Path) -> None:
    path = _csv(tmp_path, "name,start\nx,2026-01-01\n")
    result = CliRunner().invoke(programme, ["import", str(path)], env=env)
    assert result.exit_code == 1
    assert "line 1: header: missing column(s) pseudonym, programme_start, expected_end" in result.stderr


def test_waves_tick_and_status(env, database_url, keyring) -> None:
    run(_enrol_people(database_url, keyring, ["ps-a", "ps-b"]))
    result = CliRunner().invoke(waves_group, ["tick"], env=env)
    assert result.exit_code == 0 and result.output.startswith("planned 2,")
    result = CliRunner().invoke(waves_group, ["status"], env=env)
    assert result.exit_code == 0 and result.output.split()[:1] == ["T0"]


def test_the_programme_site_is_set_by_hand_and_by_import_for_evaluation_by_site(env, database_url, keyring,
                                                                                 tmp_path: Path) -> None:
    run(_enrol_people(database_url, keyring, ["ps-a", "ps-b"]))
    result = CliRunner().invoke(programme, ["set", "ps-a", "--site", "North  Leeds"], env=env)
    assert result.exit_code == 0, result.output
    path = _csv(tmp_path, f"pseudonym,programme_start,expected_end,site\nps-b,{d(2)},{d(170)},south-1\n"
                          f"ps-a,{d(2)},{d(170)},<script>\n")
    result = CliRunner().invoke(programme, ["import", str(path)], env=env)
    assert "line 3: site: '<script>' is not a site code" in result.stderr
    sites = {site for (site,) in run(_query(database_url, keyring, select(ProgrammeMilestones.site)))}
    assert sites == {"North Leeds", "south-1"}
    assert CliRunner().invoke(programme, ["set", "ps-a", "--site", "none"], env=env).exit_code == 0
    sites_after = {site for (site,) in run(_query(database_url, keyring, select(ProgrammeMilestones.site)))}
    assert sites_after == {None, "south-1"}
