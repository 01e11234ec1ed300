"""The key file and the database: the canary is written by `migrate`, a database with values and no
canary is checked by decrypting a sample, `keys rotate` leaves no value under an old key and says so,
`keys status` counts values per key id, and a key removed too early is refused at start."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.settings import load_settings
from bot.storage.db import Database
from bot.storage.key_canary import KeyMismatch, check_or_record, record
from bot.storage.models import CallbackRequest, KeyCanary, Survivor
from bot.storage.rotation import values_per_key
from liaison.cli import cli
from liaison.service import create_service
from safety.crypto import KeyRing

HER_NUMBER = "+447700900123"


def liaison(args: list[str], url: str, ring: KeyRing) -> Result:
    return CliRunner().invoke(cli, args, env={"LIAISON_ENV": "test", "DATABASE_URL": url,
                                              "LIAISON_KEY_FILE": str(ring.path), "USER": "worker-7"})


async def _populate(url: str, ring: KeyRing, n: int = 3) -> None:
    """Values encrypted under `ring` and no key canary: a database from before the canary existed."""
    db = Database(url, ring)
    async with db.transaction() as s:
        for i in range(n):
            survivor = Survivor(pseudonym=f"pw-{i}")
            s.add(survivor)
            await s.flush()
            s.add(CallbackRequest(survivor_id=survivor.id, phone=HER_NUMBER, windows=[]))
    await db.dispose()


async def _canary(url: str, ring: KeyRing) -> KeyCanary | None:
    db = Database(url, ring)
    async with db.sessions() as s:
        found = (await s.scalars(select(KeyCanary))).first()
    await db.dispose()
    return found


async def _per_key(url: str, ring: KeyRing) -> dict[str, int]:
    db = Database(url, ring)
    async with db.sessions() as s:
        counts = dict(await values_per_key(s))
    await db.dispose()
    return counts


def test_migrate_writes_the_key_canary(database_url: str, keyring: KeyRing) -> None:
    assert asyncio.run(_canary(database_url, keyring)) is None
    result = liaison(["migrate"], database_url, keyring)
    assert result.exit_code == 0, result.output
    assert "key canary" in result.output
    canary = asyncio.run(_canary(database_url, keyring))
    assert canary is not None and keyring.active_id in canary.key_ids


async def test_a_database_with_values_and_no_canary_refuses_a_key_file_that_cannot_open_them(
        database_url: str, settings_env: dict[str, object], keyring: KeyRing, tmp_path: Path) -> None:
    await _populate(database_url, keyring)
    other = KeyRing.generate(tmp_path / "other-keys.json")
    svc = create_service(load_settings(**{**settings_env, "LIAISON_KEY_FILE": other.path}), keyring=other)
    try:
        assert not await svc.check_keys()
    finally:
        await svc.db.dispose()
    (problem,) = svc.problems
    assert "no key canary" in problem and keyring.active_id in problem and other.active_id in problem
    assert HER_NUMBER not in problem
    assert await _canary(database_url, keyring) is None  # the wrong key is never recorded as the database's own
    right = create_service(load_settings(**settings_env), keyring=keyring)
    try:
        assert await right.check_keys()
    finally:
        await right.db.dispose()


def test_a_cli_command_with_the_wrong_key_on_a_database_without_canary_is_one_line(
        database_url: str, keyring: KeyRing, tmp_path: Path) -> None:
    asyncio.run(_populate(database_url, keyring))
    other = KeyRing.generate(tmp_path / "other-keys.json")
    result = liaison(["invite", "create", "--channel", "simulator", "--locale", "en"], database_url, other)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert "does not open this database" in result.output and "code:" not in result.output


def test_rotate_leaves_no_value_under_an_old_key_says_so_and_status_counts_per_key(
        database_url: str, keyring: KeyRing) -> None:
    asyncio.run(_populate(database_url, keyring, n=4))
    old = keyring.active_id
    (total,) = asyncio.run(_per_key(database_url, keyring)).values()
    before = liaison(["keys", "status"], database_url, keyring)
    assert before.exit_code == 0, before.output
    assert f"{old}  {total} value(s)  (active)" in before.output
    assert "every value is under the active key" in before.output
    rotated = liaison(["keys", "rotate", "--batch", "3"], database_url, keyring)
    assert rotated.exit_code == 0, rotated.output
    assert f"re-encrypted {total} values" in rotated.output and "no value is left under an old key" in rotated.output
    new = KeyRing.load(keyring.path).active_id
    assert asyncio.run(_per_key(database_url, keyring)) == {new: total}
    after = liaison(["keys", "status"], database_url, keyring)
    assert f"{new}  {total} value(s)  (active)" in after.output
    assert f"{old}  0 value(s)  (in the key file)" in after.output


def _remove_key(path: Path, key_id: str) -> None:
    data = json.loads(path.read_text())
    data["keys"] = [k for k in data["keys"] if k["id"] != key_id]
    path.write_text(json.dumps(data))


async def test_an_old_key_removed_while_values_remain_under_it_is_refused_at_start(
        database_url: str, keyring: KeyRing) -> None:
    await _populate(database_url, keyring)
    db = Database(database_url, keyring)
    await check_or_record(db, keyring, db.clock())
    await db.dispose()
    old = keyring.active_id
    keyring.add_key()  # a rotation cut short: the canary under the new key, the values still under the old
    db = Database(database_url, keyring)
    async with db.transaction() as s:
        await record(s, keyring, db.clock())
    await db.dispose()
    _remove_key(keyring.path, old)
    pruned = KeyRing.load(keyring.path)
    db = Database(database_url, pruned)
    try:
        with pytest.raises(KeyMismatch, match=rf"stored value\(s\) are under key id\(s\) {old}.*put the old key back"):
            await check_or_record(db, pruned, db.clock())
    finally:
        await db.dispose()


async def test_an_old_key_removed_after_a_full_rotation_is_forgotten(database_url: str, keyring: KeyRing) -> None:
    await _populate(database_url, keyring)
    old = keyring.active_id
    result = await asyncio.to_thread(liaison, ["keys", "rotate"], database_url, keyring)
    assert result.exit_code == 0, result.output
    _remove_key(keyring.path, old)
    pruned = KeyRing.load(keyring.path)
    db = Database(database_url, pruned)
    try:
        await check_or_record(db, pruned, db.clock())
        await check_or_record(db, pruned, db.clock())
    finally:
        await db.dispose()
    canary = await _canary(database_url, pruned)
    assert canary is not None and old not in canary.key_ids
