"""The audit log under attack from someone who can write the database but holds neither the key file
nor the witness file: a rewritten chain, a deleted row and a cut tail are each caught by `liaison audit
verify`, which names the row; the head is anchored outside the database while the service runs and
when it stops; and a chain written before it was keyed is carried over only after it verifies."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, delete, select, text

from bot.audit_anchor import AuditAnchor, read_witness
from bot.storage.audit import GENESIS, row_hash, verify_chain
from bot.storage.db import sync_url
from bot.storage.migrate import upgrade
from bot.storage.models import AuditEvent
from liaison.cli import cli
from safety.crypto import KeyRing
from tests.support.running import wait_until

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


async def _six_rows(service) -> list[int]:
    async with service.db.transaction() as s:
        for i in range(6):
            s.add(AuditEvent(actor="test", action=f"step.{i}", details={"n": i}, at=NOW + timedelta(seconds=i)))
    async with service.db.sessions() as s:
        return list((await s.scalars(select(AuditEvent.id).order_by(AuditEvent.seq))).all())


async def _verify(settings_env, witness: Path | None = None) -> tuple[int, str]:
    env = {k: str(v) for k, v in settings_env.items()}
    if witness is not None:
        env["LIAISON_AUDIT_WITNESS_FILE"] = str(witness)
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["audit", "verify"], env=env)
    return result.exit_code, result.output


async def test_a_chain_rewritten_without_the_key_file_is_caught_at_the_first_changed_row(settings_env,
                                                                                        service) -> None:
    ids = await _six_rows(service)
    assert (await _verify(settings_env))[0] == 0
    # the attack of the issue: change a row, recompute every later hash with the published function
    async with service.db.transaction() as s:
        rows = (await s.scalars(select(AuditEvent).where(AuditEvent.seq >= 3).order_by(AuditEvent.seq))).all()
        prev = (await s.scalar(select(AuditEvent.row_hash).where(AuditEvent.seq == 2))) or GENESIS
        for row in rows:
            if row.seq == 3:
                row.actor = "someone else"
            digest = row_hash(row, prev)
            await s.execute(text("UPDATE audit_events SET actor = :a, prev_hash = :p, row_hash = :h WHERE id = :i"),
                            {"a": row.actor, "p": prev, "h": digest, "i": row.id})
            prev = digest
    code, output = await _verify(settings_env)
    assert code == 1 and f"row id {ids[2]}" in output and "MAC" in output


async def test_a_row_deleted_from_the_middle_is_named(settings_env, service) -> None:
    ids = await _six_rows(service)
    async with service.db.transaction() as s:
        await s.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": ids[3]})
    code, output = await _verify(settings_env)
    assert code == 1 and f"row id {ids[4]}" in output and "seq 4 is missing" in output


async def test_writers_at_once_each_holding_the_chain_only_as_they_commit_never_fork_it(settings_env,
                                                                                     service) -> None:
    # the chain is extended at commit (not at the first audit row's flush): transactions that audit,
    # flush and go on working side by side still leave one chain, every seq once
    async def writer(n: int) -> None:
        async with service.db.transaction() as s:
            s.add(AuditEvent(actor="test", action="first", details={"n": n}, at=NOW))
            await s.flush()
            for _ in range(3):
                await asyncio.sleep(0)  # the others' turns, between this one's flush and its commit
            s.add(AuditEvent(actor="test", action="second", details={"n": n}, at=NOW))

    await asyncio.gather(*(writer(n) for n in range(8)))
    async with service.db.sessions() as s:
        seqs = sorted((await s.scalars(select(AuditEvent.seq))).all())
        report = await verify_chain(s)
    assert seqs == list(range(1, 17)) and report.ok, report


@pytest.mark.parametrize("cut", [1, 5])
async def test_a_cut_tail_is_caught_against_the_witness_file(settings_env, service, tmp_path, cut) -> None:
    witness = tmp_path / "elsewhere" / "audit-witness.jsonl"
    ids = await _six_rows(service)
    anchor = AuditAnchor(service.db, witness, every=300)
    assert await anchor.anchor("periodic") == (6, await _mac_of(service, ids[-1]))
    assert (await _verify(settings_env, witness))[0] == 0
    async with service.db.transaction() as s:
        await s.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids[-cut:])))
    async with service.db.sessions() as s:
        assert (await verify_chain(s)).ok  # what is left is a perfect chain: only the witness knows
    code, output = await _verify(settings_env, witness)
    assert code == 1 and f"row id {ids[-cut - 1]}" in output and "witness recorded row seq 6" in output
    assert "cut" in output
    # and new rows chained onto the cut log do not hide it
    async with service.db.transaction() as s:
        for i in range(cut + 1):
            s.add(AuditEvent(actor="test", action=f"after.{i}", at=NOW + timedelta(minutes=1)))
    code, output = await _verify(settings_env, witness)
    assert code == 1 and "seq 6" in output and "rewritten" in output


async def _mac_of(service, row_id: int) -> str:
    async with service.db.sessions() as s:
        return str(await s.scalar(select(AuditEvent.row_hash).where(AuditEvent.id == row_id)))


async def test_the_service_writes_its_head_to_the_witness_and_the_log_while_running_and_at_stop(
        settings_env, keyring, clock, tmp_path, caplog) -> None:
    from bot.settings import load_settings
    from liaison.service import create_service

    caplog.set_level(logging.INFO, logger="liaison")
    witness = tmp_path / "witness.jsonl"
    svc = create_service(load_settings(**settings_env, LIAISON_AUDIT_WITNESS_FILE=witness), keyring=keyring,
                         clock=clock)
    await _six_rows(svc)
    await svc.start_background(scheduler=False)
    try:
        # the first periodic pass runs at start; the file exists a moment before its line is written
        assert [h.seq for h in await wait_until(lambda: read_witness(witness))] == [6]
        async with svc.db.transaction() as s:
            s.add(AuditEvent(actor="test", action="later"))
    finally:
        await svc.stop()
    lines = [json.loads(line) for line in witness.read_text().splitlines()]
    assert [(line["seq"], line["why"]) for line in lines] == [(6, "periodic"), (7, "shutdown")]
    logged = [r for r in caplog.records if r.getMessage() == "audit.head"]
    assert logged and logged[-1].fields["seq"] == 7  # type: ignore[attr-defined]
    assert logged[-1].fields["mac"].replace(":", "") == lines[-1]["mac"]  # type: ignore[attr-defined]


def _unkeyed_chain(conn, count: int, *, break_at: int | None = None) -> None:
    prev = GENESIS
    for seq in range(1, count + 1):
        at = NOW + timedelta(seconds=seq)
        body = {"seq": seq, "actor": "old", "action": f"old.{seq}", "survivor_pseudonym": None,
                "details": {"n": seq}, "at": at}
        digest = row_hash(body, prev)
        actor = "tampered" if seq == break_at else "old"
        conn.execute(text("INSERT INTO audit_events (actor, action, details, at, seq, prev_hash, row_hash) VALUES "
                          "(:a, :c, :d, :t, :s, :p, :h)"),
                     {"a": actor, "c": f"old.{seq}", "d": json.dumps({"n": seq}),
                      "t": at.strftime("%Y-%m-%d %H:%M:%S.%f"), "s": seq, "p": prev, "h": digest})
        prev = digest


async def test_an_unkeyed_chain_is_verified_then_keyed_by_the_migration(tmp_path, keyring, monkeypatch) -> None:
    from bot.storage.db import Database

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0011")
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        _unkeyed_chain(conn, 4)
    monkeypatch.setenv("LIAISON_KEY_FILE", str(keyring.path))
    upgrade(url)
    db = Database(url, KeyRing.load(keyring.path))
    try:
        async with db.sessions() as s:
            report = await verify_chain(s)
            last = await s.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        assert report.ok and report.rows == 5
        assert last is not None and last.action == "audit.chain_keyed" and last.details["rows"] == 4
        other = KeyRing.generate(tmp_path / "other-keys.json")
        async with db.sessions() as s:
            assert not (await verify_chain(s, key=other.audit_key)).ok  # the MACs need this key file
    finally:
        await db.dispose()
        engine.dispose()


def test_a_broken_unkeyed_chain_is_refused_with_its_row_and_nothing_changes(tmp_path, keyring, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0011")
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        _unkeyed_chain(conn, 4, break_at=3)
        broken_id = conn.execute(text("SELECT id FROM audit_events WHERE seq = 3")).scalar_one()
    monkeypatch.setenv("LIAISON_KEY_FILE", str(keyring.path))
    with pytest.raises(RuntimeError, match=f"row id {broken_id} "):
        upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0011"
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 4
    engine.dispose()
