"""Restarting `liaison demo` keeps a development console account that has signed up (its password and
TOTP), and gives a fresh link only to one that never used its link."""

from __future__ import annotations

from bot.storage.db import Database
from console.staff import accounts
from console.staff.cli import DEV_ADMIN, ensure_dev_admin


async def test_a_demo_restart_keeps_a_signed_up_console_account(database_url: str, keyring) -> None:
    db = Database(database_url, keyring)
    try:
        first = await ensure_dev_admin(db, db.clock())
        assert first
        again = await ensure_dev_admin(db, db.clock())  # never signed up: a new link, the old one void
        assert again and again != first
        async with db.transaction() as s:
            member = await accounts.by_name(s, DEV_ADMIN)
            assert member is not None
            member.status = "active"  # she chose a password and added the TOTP key
            kept_hash = member.password_hash
        assert await ensure_dev_admin(db, db.clock()) is None
        async with db.sessions() as s:
            member = await accounts.by_name(s, DEV_ADMIN)
            assert member is not None and member.status == "active" and member.password_hash == kept_hash
    finally:
        await db.dispose()
