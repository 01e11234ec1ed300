"""A deletion queued before the plan had its own column (its plan was JSON in the message body) is
carried over by the migration: the plan in `deletion_plan`, still ciphertext, the body emptied; a
body that is not a plan stops the migration with nothing changed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from bot.storage.db import Database, sync_url
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.models import OutboundMessage
from safety.crypto import KeyRing
from safety.deletion import DeletionPlan

PENDING = {"ids": ["501", "502"], "out": [7, 8], "in": [9]}
DONE = {"ids": [], "out": [3], "in": [4, 5], "count": 3}


def _database_at_0010(tmp_path: Path, keyring: KeyRing, bodies: list[object]) -> str:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0010")
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        for i, body in enumerate(bodies):
            conn.execute(text(
                "INSERT INTO outbound_messages (idempotency_key, channel, address, recipient_index, kind, text_key, "
                "body, sensitive, urgent, is_reply, status, attempts, next_attempt_at, created_at) VALUES "
                "(:key, 'telegram', :addr, 'ix', 'delete', 'delete', :body, 0, 0, 1, 'pending', 0, "
                "'2026-11-30', '2026-11-30')"),
                {"key": f"k{i}", "addr": keyring.encrypt("4242"),
                 "body": keyring.encrypt(body if isinstance(body, str) else json.dumps(body))})
    engine.dispose()
    return url


def _read(url: str, keyring: KeyRing) -> list[OutboundMessage]:
    async def read() -> list[OutboundMessage]:
        db = Database(url, keyring)
        try:
            async with db.sessions() as s:
                return list(await s.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
        finally:
            await db.dispose()

    return asyncio.run(read())


def _raw(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(sync_url(url))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


@pytest.fixture
def key_file_env(keyring: KeyRing, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIAISON_KEY_FILE", str(keyring.path))


@pytest.mark.usefixtures("key_file_env")
def test_a_queued_and_a_finished_deletion_keep_their_plans_in_their_own_encrypted_column(tmp_path, keyring) -> None:
    url = _database_at_0010(tmp_path, keyring, [PENDING, DONE])
    upgrade(url)
    assert _raw(url, "SELECT body FROM outbound_messages") == [(None,), (None,)]
    stored = [v for (v,) in _raw(url, "SELECT deletion_plan FROM outbound_messages ORDER BY id")]
    assert all(str(v).startswith(f"enc1:{keyring.active_id}:") and "501" not in str(v) for v in stored)
    plans = [DeletionPlan.from_json(json.loads(keyring.decrypt(str(v)))) for v in stored]
    assert plans == [DeletionPlan(("501", "502"), (7, 8), (9,)), DeletionPlan((), (3,), (4, 5), count=3)]
    rows = _read(url, keyring)
    assert [r.deletion_plan for r in rows] == plans  # as the service reads it


@pytest.mark.usefixtures("key_file_env")
def test_going_back_puts_the_plan_into_the_body_again(tmp_path, keyring) -> None:
    url = _database_at_0010(tmp_path, keyring, [PENDING])
    upgrade(url)
    command.downgrade(alembic_config(url), "0010")
    (body,) = _raw(url, "SELECT body FROM outbound_messages")[0]
    assert json.loads(keyring.decrypt(str(body))) == {**PENDING, "count": 0}


@pytest.mark.usefixtures("key_file_env")
def test_a_deletion_whose_body_is_not_a_plan_stops_the_migration_with_nothing_changed(tmp_path, keyring) -> None:
    url = _database_at_0010(tmp_path, keyring, [PENDING, "not a plan"])
    with pytest.raises(RuntimeError, match="row 2 is a deletion whose body is not a deletion plan"):
        upgrade(url)
    assert _raw(url, "SELECT version_num FROM alembic_version") == [("0010",)]
    assert json.loads(keyring.decrypt(str(_raw(url, "SELECT body FROM outbound_messages")[0][0]))) == PENDING


def test_the_database_refuses_a_deletion_without_a_plan_and_a_send_with_one(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    insert = ("INSERT INTO outbound_messages (idempotency_key, channel, address, recipient_index, kind, text_key, "
              "deletion_plan, sensitive, urgent, is_reply, status, attempts, next_attempt_at, created_at) VALUES "
              "(:key, 'telegram', 'x', 'ix', :kind, 't', :plan, false, false, true, 'pending', 0, "
              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
    try:
        for kind, plan in (("delete", None), ("send", "enc1:x")):
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(text(insert), {"key": kind, "kind": kind, "plan": plan})
    finally:
        engine.dispose()
