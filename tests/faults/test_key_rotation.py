"""deploy/OPERATIONS.md's key procedure with real processes: `liaison keys rotate` while a `liaison serve`
process takes her messages at about 20 a second, then the old key removed from the file as the
procedure says, the service restarted: it starts healthy and every stored value opens with the new key
alone. (Before: the values written during the rotation stayed under the old key, 234 of 951, and the
service started "healthy" with them unreadable.)"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.key_canary import check_or_record
from bot.storage.models import InboundMessage
from bot.storage.rotation import encrypted_columns, values_per_key
from safety.crypto import KeyRing
from tests.faults.harness import SECRET, TOKEN, Serve, serve_env, wait_for
from tests.support.fake_telegram import FakeTelegram, deliver

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]
RATE = 20  # her messages a second, from several chats


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


async def _traffic(fake: FakeTelegram, hook: str, stop: asyncio.Event, sent: list[int]) -> None:
    async with aiohttp.ClientSession() as http:
        n = 0
        while not stop.is_set():
            status = await deliver(fake.user_sends(7_000_000 + n % 25, f"hello {n}"), hook, SECRET, session=http)
            assert status == 200
            sent.append(n)
            n += 1
            await asyncio.sleep(1 / RATE)


async def _liaison(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "liaison.cli", *args, cwd=cwd, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def _every_value_opens(url: str, ring: KeyRing) -> dict[str, int]:
    """Read every encrypted column through the ORM type (decrypting each value) and count per key id."""
    db = Database(url, ring)
    try:
        async with db.sessions() as s:
            for col in encrypted_columns():
                await s.execute(select(col).where(col.isnot(None)))  # DecryptionError if any does not open
            return dict(await values_per_key(s))
    finally:
        await db.dispose()


async def test_rotating_under_load_then_removing_the_old_key_and_restarting_leaves_everything_readable(
        database_url: str, keyring: KeyRing, fake: FakeTelegram, nlu_cache_dir: Path, tmp_path: Path) -> None:
    db = Database(database_url, keyring)
    await check_or_record(db, keyring, db.clock())
    await db.dispose()
    env = serve_env(database_url, keyring, fake, nlu_cache_dir)
    serve = await Serve.start(env, tmp_path)
    stop, sent = asyncio.Event(), []
    traffic = asyncio.create_task(_traffic(fake, serve.url + "/webhooks/telegram", stop, sent))
    try:
        await wait_for(lambda: len(sent) >= RATE)  # a second of traffic before the rotation
        old = keyring.active_id
        code, out = await _liaison(env, tmp_path, "keys", "rotate", "--batch", "50")
        during = len(sent)
        await wait_for(lambda: len(sent) >= during + RATE)  # and after it: written under the new key
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await traffic
    assert code == 0, out
    assert "no value is left under an old key" in out
    # deploy/OPERATIONS.md: remove the old key once `keys rotate` reports zero values under it, restart
    await serve.stop()
    data = json.loads(keyring.path.read_text())
    data["keys"] = [k for k in data["keys"] if k["id"] != old]
    keyring.path.write_text(json.dumps(data))
    pruned = KeyRing.load(keyring.path)
    assert old not in pruned.keys
    serve = await Serve.start(env, tmp_path)  # healthy (Serve.start waits for /healthz 200)
    try:
        status_code, status = await _liaison(env, tmp_path, "keys", "status")
        assert status_code == 0 and "every value is under the active key" in status, status
        counts = await _every_value_opens(database_url, pruned)
        assert set(counts) == {pruned.active_id}
        db = Database(database_url, pruned)
        async with db.sessions() as s:
            bodies = (await s.scalars(select(InboundMessage.body))).all()
        await db.dispose()
        assert len(bodies) == len(sent) and {f"hello {n}" for n in sent} == set(bodies)
    finally:
        await serve.stop()
