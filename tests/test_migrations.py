"""Migrations are the only way the schema is made; they must match the models on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from bot.storage.db import sync_url
from bot.storage.migrate import upgrade
from bot.storage.models import Base


def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    engine.dispose()
    assert diffs == []


def test_a_status_outside_its_list_is_refused_by_the_database(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    try:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO escalations (priority, reason, status, child_protection, created_at, "
                              "alert_round) VALUES ('urgent', 'test', 'resolved', false, CURRENT_TIMESTAMP, 0)"))
    finally:
        engine.dispose()


def test_the_status_checks_refuse_a_database_holding_a_value_they_do_not_know(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0008")
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO survivors (pseudonym, status, locale, country, timezone, plain_mode, "
                          "contact_windows, expiry_minutes, unlock_minutes, state, created_at, updated_at) "
                          "VALUES ('px1', 'paused', 'en', 'x', 'x', 'x', 'x', 60, 10, 'x', "
                          "'2026-11-30', '2026-11-30')"))
    with pytest.raises(RuntimeError, match=r"nothing changed: survivors\.status holds 'paused'"):
        upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM survivors")).scalar_one() == "paused"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0008"
    engine.dispose()


def _her_and_his_events(conn, pseudonym: str) -> int:
    conn.execute(text("INSERT INTO survivors (pseudonym, status, locale, country, timezone, plain_mode, "
                      "contact_windows, expiry_minutes, unlock_minutes, state, created_at, updated_at) "
                      f"VALUES ('{pseudonym}', 'active', 'en', 'x', 'x', 'x', 'x', 60, 10, 'x', "
                      "'2026-11-30', '2026-11-30')"))
    return conn.execute(text(f"SELECT id FROM survivors WHERE pseudonym = '{pseudonym}'")).scalar_one()


def test_events_matched_before_one_case_could_reach_two_women_keep_their_match(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0010")
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        sid = _her_and_his_events(conn, "px1")
        for n, (survivor, status) in enumerate([(sid, "matched"), (None, "unmatched")]):
            conn.execute(text(
                "INSERT INTO programme_events (site, source_event_id, kind, occurred_on, case_index, case_ref, "
                "survivor_id, status, received_via, received_by, received_at, matched_at) VALUES "
                f"('north', 'e{n}', 'started', '2026-11-01', 'ci', 'x', :sid, '{status}', 'api', 's', "
                "'2026-11-02 10:00:00', NULL)"), {"sid": survivor})
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT e.source_event_id, m.survivor_id, m.matched_at FROM programme_event_matches m "
                                 "JOIN programme_events e ON e.id = m.event_id")).all()
        columns = [c[1] for c in conn.execute(text("PRAGMA table_info(programme_events)")).all()]
    engine.dispose()
    assert [(r[0], r[1]) for r in rows] == [("e0", sid)] and rows[0][2] is not None  # received_at stands in
    assert "survivor_id" not in columns
