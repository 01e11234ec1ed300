"""Stored conversation states are rewritten to the typed, versioned shape by migration 0011, her
place in an open check-in moving from its wave instance into her state; and back on downgrade."""

from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from bot.storage.db import sync_url
from bot.storage.migrate import alembic_config, upgrade
from flows.flow_state import CheckinPosition, PinData, load_state

V0_PIN = {"flow": "pin", "step": "unlock", "data": {"then": "menu:info"}, "touched": "2026-11-30T10:00:00+00:00",
          "options": ["menu:main"]}


def test_stored_states_become_version_1_and_her_check_in_place_moves_into_her_state(
        database_url, keyring, monkeypatch, tmp_path) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the step from 0013 is shown on a fresh SQLite file (PostgreSQL's database is shared)")
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0013")  # the revision before 0011
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        for pseudonym, state in (("pm1", V0_PIN), ("pm2", {"flow": "menu", "step": "main"})):
            conn.execute(text(
                "INSERT INTO survivors (pseudonym, status, locale, country, timezone, plain_mode, contact_windows, "
                "expiry_minutes, unlock_minutes, state, created_at, updated_at) VALUES (:p, 'active', 'en', :c, :c, "
                ":c, :c, 60, 10, :st, '2026-11-30', '2026-11-30')"),
                {"p": pseudonym, "c": keyring.encrypt("null"), "st": keyring.encrypt(json.dumps(state))})
        conn.execute(text(
            "INSERT INTO wave_instances (survivor_id, wave_code, wave_kind, questionnaire, questionnaire_version, "
            "due_at, closes_at, state, sent_at, progress, created_at, updated_at) VALUES (2, 'C01', 'checkin', "
            "'checkin', '1', '2026-11-30 09:00:00', '2026-12-21 09:00:00', 'sent', '2026-11-30 09:05:00', :pr, "
            "'2026-11-30', '2026-11-30')"),
            {"pr": json.dumps({"stage": "asking", "item": "fear", "raised": 2, "offered_again": True})})
    monkeypatch.setenv("LIAISON_KEY_FILE", str(keyring.path))
    upgrade(url)

    def stored() -> tuple[list[dict], dict]:
        with engine.connect() as conn:
            states = [json.loads(keyring.decrypt(v)) for v in
                      conn.execute(text("SELECT state FROM survivors ORDER BY id")).scalars()]
            progress = json.loads(conn.execute(text("SELECT progress FROM wave_instances")).scalar_one())
        return states, progress

    (pinned, asking), progress = stored()
    assert pinned["version"] == asking["version"] == 1
    assert load_state(pinned).data == PinData(then="menu:info")
    assert load_state(asking).checkin == CheckinPosition(instance_id=1, opened_at="2026-11-30T09:05:00+00:00",
                                                         stage="asking", item="fear", raised=2)
    assert progress == {"offered_again": True}  # the scheduler's marker stays

    command.downgrade(alembic_config(url), "0013")
    (pinned, asking), progress = stored()
    engine.dispose()
    assert pinned == V0_PIN and "version" not in asking and "checkin" not in asking
    assert progress == {"stage": "asking", "item": "fear", "raised": 2, "offered_again": True}
