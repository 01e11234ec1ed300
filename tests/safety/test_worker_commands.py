"""`liaison erase`, `liaison reverify` and `liaison retention run` as a worker uses them."""

from __future__ import annotations

import asyncio
import shutil

from click.testing import CliRunner
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.outbox.enqueue import enqueue
from bot.storage.db import Database
from bot.storage.models import AuditEvent, ChannelIdentity, OutboundMessage, Survivor
from liaison.cli import cli
from safety.crypto import KeyRing
from tests.support.people import enrolled


def _env(tmp_path, sqlite_template, keyring) -> tuple[dict[str, str], str]:
    db_path = tmp_path / "w.db"
    shutil.copy(sqlite_template, db_path)
    url = f"sqlite:///{db_path}"
    return {"DATABASE_URL": url, "LIAISON_KEY_FILE": str(keyring.path)}, url


async def _read(url: str, keyring: KeyRing):
    db = Database(url, keyring)
    try:
        async with db.sessions() as s:
            return ((await s.scalars(select(Survivor))).all(), (await s.scalars(select(AuditEvent))).all(),
                    (await s.scalars(select(ChannelIdentity))).all())
    finally:
        await db.dispose()


async def _setup(url: str, keyring, status: str = "active") -> None:
    db = Database(url, keyring)
    try:
        await enrolled(db, keyring, pseudonym="ps-cli", channel="sms")
        async with db.transaction() as s:
            (await s.scalar(select(ChannelIdentity))).status = status
    finally:
        await db.dispose()


def test_a_worker_erases_a_survivor_and_it_is_audited(tmp_path, sqlite_template, keyring) -> None:
    env, url = _env(tmp_path, sqlite_template, keyring)
    asyncio.run(_setup(url, keyring))
    result = CliRunner().invoke(cli, ["erase", "ps-cli", "--worker", "w7", "--yes"], env=env)
    assert result.exit_code == 0, result.output
    assert "erased ps-cli" in result.output
    survivors, audit, identities = asyncio.run(_read(url, keyring))
    assert survivors == [] and identities == []
    assert [(a.actor, a.action) for a in audit] == [("worker:w7", "erased")]


def test_erasing_an_unknown_pseudonym_is_a_clear_error(tmp_path, sqlite_template, keyring) -> None:
    env, _url = _env(tmp_path, sqlite_template, keyring)
    result = CliRunner().invoke(cli, ["erase", "ps-nobody", "--worker", "w7", "--yes"], env=env)
    assert result.exit_code != 0 and "no survivor with pseudonym 'ps-nobody'" in result.output


def test_a_worker_reverifies_a_suspect_route_after_speaking_to_her(tmp_path, sqlite_template, keyring) -> None:
    env, url = _env(tmp_path, sqlite_template, keyring)
    asyncio.run(_setup(url, keyring, status="suspect"))
    result = CliRunner().invoke(cli, ["reverify", "ps-cli", "--worker", "w7", "--yes"], env=env)
    assert result.exit_code == 0 and "re-verified 1 contact route" in result.output
    _survivors, audit, identities = asyncio.run(_read(url, keyring))
    assert identities[0].status == "active"
    assert [a.action for a in audit] == ["identity.reverified"]


async def _paused_with_a_held_message(url: str, keyring) -> None:
    """Her route was suspect, so her messages were paused for years: one reply waits, held by the pause."""
    await _setup(url, keyring, status="suspect")
    db = Database(url, keyring)
    try:
        async with db.transaction() as s:
            survivor = await s.scalar(select(Survivor))
            identity = await s.scalar(select(ChannelIdentity))
            survivor.outbound_paused_until = datetime.now(UTC) + timedelta(days=3650)
            row = enqueue(s, channel=identity.channel, address=identity.address, address_index=identity.address_index,
                          cause="test:held", index=0, text_key="console.message", body="Garden club news",
                          survivor_id=survivor.id, identity_id=identity.id, is_reply=False)
            row.status, row.last_error, row.next_attempt_at = "held", "paused", survivor.outbound_paused_until
    finally:
        await db.dispose()


async def _held(url: str, keyring) -> OutboundMessage:
    db = Database(url, keyring)
    try:
        async with db.sessions() as s:
            return await s.scalar(select(OutboundMessage))
    finally:
        await db.dispose()


def test_after_reverifying_her_route_the_message_her_pause_held_goes_out_now_not_in_ten_years(
        tmp_path, sqlite_template, keyring) -> None:
    env, url = _env(tmp_path, sqlite_template, keyring)
    asyncio.run(_paused_with_a_held_message(url, keyring))
    before = datetime.now(UTC)
    result = CliRunner().invoke(cli, ["reverify", "ps-cli", "--worker", "w7", "--yes"], env=env)
    assert result.exit_code == 0, result.output
    survivors, _audit, _ids = asyncio.run(_read(url, keyring))
    held = asyncio.run(_held(url, keyring))
    assert survivors[0].outbound_paused_until is None
    assert held.status == "held" and held.next_attempt_at <= before + timedelta(minutes=1)


def test_retention_dry_run_says_what_would_go_and_changes_nothing(tmp_path, sqlite_template, keyring) -> None:
    env, url = _env(tmp_path, sqlite_template, keyring)
    asyncio.run(_setup(url, keyring))
    result = CliRunner().invoke(cli, ["retention", "run", "--dry-run"], env=env)
    assert result.exit_code == 0 and result.output.startswith("would purge:")
    survivors, _audit, _ids = asyncio.run(_read(url, keyring))
    assert len(survivors) == 1


def test_reverify_with_nothing_to_reverify_changes_nothing_and_keeps_her_pause(tmp_path, sqlite_template,
                                                                               keyring) -> None:
    from datetime import UTC, datetime

    env, url = _env(tmp_path, sqlite_template, keyring)
    asyncio.run(_setup(url, keyring))
    paused_until = datetime(2030, 1, 1, tzinfo=UTC)  # the pause she chose after a quick exit

    async def pause() -> None:
        db = Database(url, keyring)
        async with db.transaction() as s:
            (await s.scalar(select(Survivor))).outbound_paused_until = paused_until
        await db.dispose()

    asyncio.run(pause())
    result = CliRunner().invoke(cli, ["reverify", "ps-cli", "--worker", "w7", "--yes"], env=env)
    assert result.exit_code == 1 and "nothing to re-verify" not in result.output
    assert "no contact route waiting to be re-verified" in result.output
    survivors, audit, _identities = asyncio.run(_read(url, keyring))
    assert survivors[0].outbound_paused_until == paused_until and audit == []
