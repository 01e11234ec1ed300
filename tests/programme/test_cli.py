"""`liaison programme events import FILE.csv --site SITE` (bad rows refused by line and field, good
rows kept, replays counted once) and `liaison programme token create|list|revoke`."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import AuditEvent, ProgrammeEvent, ProgrammeMilestones, ProgrammeToken
from liaison.cli import cli
from tests.programme.support import SITE, day, her
from tests.support.db_scan import raw_dump


@pytest.fixture
def env(database_url: str, keyring: Any) -> dict[str, str]:
    return {"LIAISON_ENV": "test", "DATABASE_URL": database_url, "LIAISON_KEY_FILE": str(keyring.path),
            "USER": "kim"}


def liaison(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env=env)


def on_db(database_url: str, keyring: Any, work: Any) -> Any:
    async def go() -> Any:
        db = Database(database_url, keyring)
        try:
            return await work(db)
        finally:
            await db.dispose()
    return asyncio.run(go())


def rows(database_url: str, keyring: Any, stmt: Any) -> list[Any]:
    async def work(db: Database) -> list[Any]:
        async with db.sessions() as s:
            return list((await s.execute(stmt)).all())
    return on_db(database_url, keyring, work)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_import_keeps_good_rows_refuses_bad_ones_by_line_and_field_and_counts_replays_once(
        env, database_url, keyring, tmp_path: Path) -> None:
    sid = on_db(database_url, keyring, lambda db: her(db, keyring, "ps-amber", case_ref="DV-7"))
    path = write(tmp_path, "\n".join([
        "Event_ID;Case_Ref;Kind;Occurred_On;Reason_Class;Sessions_Missed;Worker",
        f"e-1;DV-7;dropped out;{day(-3)};;;Sam",
        f"e-2;K-55;session_missed;{day(-8)};;3;Sam",
        f"e-3;K-55;excluded;{day(-2)};;;Kim",
        "e-4;;completed;not a date;;;Kim",
        "",
        f"e-5;K-56;risk_raised;{day(-1)};;2;Kim",
        f"e-6;K-56;Excluded;{day(-1)};Violence/Threat;;Kim",
        f"e-1;DV-7;completed;{day(-1)};;;Sam",
    ]) + "\n")
    out = liaison(env, "programme", "events", "import", str(path), "--site", SITE)
    assert out.exit_code == 1
    assert out.stderr.splitlines() == [
        "events.csv: line 4: reason_class: is required for excluded",
        "events.csv: line 5: case_ref: is required",
        "events.csv: line 5: occurred_on: 'not a date' is not a date (YYYY-MM-DD)",
        "events.csv: line 7: sessions_missed: is not used for risk_raised",
    ]
    assert out.stdout.strip() == ("3 new event(s) (1 matched to her record, 2 held for a liaison worker to link), "
                                  "1 already received, 3 row(s) rejected")
    stored = rows(database_url, keyring,
                  select(ProgrammeEvent.source_event_id, ProgrammeEvent.kind, ProgrammeEvent.status,
                         ProgrammeEvent.received_via, ProgrammeEvent.received_by).order_by(ProgrammeEvent.id))
    assert stored == [("e-1", "dropped_out", "matched", "csv", "worker:kim"),
                      ("e-2", "session_missed", "unmatched", "csv", "worker:kim"),
                      ("e-6", "excluded", "unmatched", "csv", "worker:kim")]
    ((end, outcome),) = rows(database_url, keyring, select(ProgrammeMilestones.actual_end, ProgrammeMilestones.outcome)
                             .where(ProgrammeMilestones.survivor_id == sid))
    assert (end, outcome) == (day(-3), "dropped_out")  # the replayed e-1 ("completed") changed nothing

    again = liaison(env, "programme", "events", "import", str(path), "--site", SITE)
    assert "0 new event(s) (0 matched to her record, 0 held for a liaison worker to link), 4 already received, " \
           "3 row(s) rejected" in again.stdout
    assert len(rows(database_url, keyring, select(ProgrammeEvent.id))) == 3
    received = rows(database_url, keyring, select(AuditEvent.id).where(AuditEvent.action == "programme.event_received"))
    assert len(received) == 3


def test_a_file_without_the_needed_columns_is_refused_whole(env, tmp_path: Path) -> None:
    out = liaison(env, "programme", "events", "import", str(write(tmp_path, "id,case,what\n1,2,3\n")), "--site", SITE)
    assert out.exit_code == 1
    assert "events.csv: line 1: header: missing column(s) event_id, case_ref, kind, occurred_on" in out.stderr
    out = liaison(env, "programme", "events", "import", str(write(tmp_path, "")), "--site", SITE)
    assert "line 1: the file is empty" in out.stderr
    out = liaison(env, "programme", "events", "import", str(write(tmp_path, "x")), "--site", "<bad>")
    assert out.exit_code == 2 and "is not a site code" in out.output


def test_a_long_file_shows_a_progress_bar_and_a_summary(env, database_url, tmp_path: Path) -> None:
    lines = ["event_id,case_ref,kind,occurred_on"] + [f"e-{i},K-{i % 7},risk_lowered,{day(-1)}" for i in range(250)]
    out = liaison(env, "programme", "events", "import", str(write(tmp_path, "\n".join(lines))), "--site", SITE)
    assert out.exit_code == 0, out.output
    assert "import" in out.stderr and "250/250" in out.stderr  # tqdm's bar
    assert "250 new event(s)" in out.stdout and "0 row(s) rejected" in out.stdout


def test_a_site_token_is_printed_once_stored_hashed_listed_and_revoked(env, database_url, keyring) -> None:
    made = liaison(env, "programme", "token", "create", SITE)
    assert made.exit_code == 0, made.output
    first, token = made.stdout.splitlines()
    assert first == f"token 1 for site {SITE}:" and token.startswith("plt_") and len(token) > 40
    assert "shown only now" in made.stderr
    ((stored_hash, label, created_by),) = rows(
        database_url, keyring, select(ProgrammeToken.token_hash, ProgrammeToken.label, ProgrammeToken.created_by))
    assert stored_hash == hashlib.sha256(token.encode()).hexdigest() and label == token[:12]
    assert created_by == "worker:kim"
    assert token not in on_db(database_url, keyring, raw_dump)

    listed = liaison(env, "programme", "token", "list")
    assert listed.exit_code == 0 and f"1\t{SITE}\t{token[:12]}...\t" in listed.stdout
    assert listed.stdout.rstrip().endswith("active") and token not in listed.stdout

    assert liaison(env, "programme", "token", "revoke", "1").stdout.strip() == f"token 1 (site {SITE}) revoked"
    assert "revoked 2026-" in liaison(env, "programme", "token", "list").stdout
    again = liaison(env, "programme", "token", "revoke", "1")
    assert again.exit_code == 1 and "was revoked on" in again.output
    missing = liaison(env, "programme", "token", "revoke", "99")
    assert missing.exit_code == 1 and "no token with id 99" in missing.output
    actions = [a for (a,) in rows(database_url, keyring, select(AuditEvent.action).order_by(AuditEvent.seq))]
    assert actions == ["programme.token_created", "programme.token_revoked"]


def test_no_token_yet_is_said_plainly(env) -> None:
    assert "no tokens" in liaison(env, "programme", "token", "list").stdout


def test_each_demo_start_prints_a_working_token_and_revokes_the_one_printed_before(
        env, database_url, keyring, monkeypatch, capsys) -> None:
    from bot.cli_db import cli_settings
    from liaison.cli import DEMO_SITE, _print_demo_programme

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    printed = []
    for _start in range(2):
        _print_demo_programme(cli_settings())
        printed.append(capsys.readouterr().err.split("Bearer ")[1].split("'")[0])
    tokens = rows(database_url, keyring, select(ProgrammeToken.token_hash, ProgrammeToken.revoked_at)
                  .where(ProgrammeToken.site == DEMO_SITE).order_by(ProgrammeToken.id))
    first, second = (hashlib.sha256(t.encode()).hexdigest() for t in printed)
    assert [(h, revoked is not None) for h, revoked in tokens] == [(first, True), (second, False)]
