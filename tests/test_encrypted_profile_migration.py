"""Her safe hours, time zone, country, cover and plain-mode choice, and her call-back windows, are
ciphertext at rest; a database written before they were is re-encrypted by the migration."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from bot.storage.db import Database, sync_url
from bot.storage.migrate import upgrade
from bot.storage.models import CallbackRequest, Survivor
from tests.support.db_scan import everything_stored

WINDOWS = [{"days": [0, 2, 4], "start": "13:15", "end": "14:45"}]
ZONE = "America/Argentina/Ushuaia"  # distinctive, so a dump search cannot match by accident


async def test_a_survivors_windows_zone_cover_and_plain_mode_are_ciphertext(service) -> None:
    async with service.db.transaction() as s:
        s.add(Survivor(pseudonym="pe1", timezone=ZONE, persona="gardening", plain_mode=True,
                       contact_windows=WINDOWS, country="IE"))
        await s.flush()
        s.add(CallbackRequest(survivor_id=1, windows=[{"days": [1], "start": "16:20", "end": "17:40"}]))
    async with service.db.sessions() as s:
        raw = (await s.execute(text("SELECT timezone, persona, plain_mode, contact_windows, country "
                                    "FROM survivors"))).one()
        cb = (await s.execute(text("SELECT windows FROM callback_requests"))).scalar_one()
        back = await s.get(Survivor, 1)
    for value in [*raw, cb]:
        assert str(value).startswith(f"enc1:{service.keyring.active_id}:")
    for plain in ("13:15", "14:45", "16:20", "Ushuaia", "gardening"):  # (two letters could occur in base64)
        assert all(plain not in str(v) for v in [*raw, cb])
    assert (back.timezone, back.persona, back.plain_mode, back.contact_windows, back.country) == \
        (ZONE, "gardening", True, WINDOWS, "IE")
    assert "13:15" in await everything_stored(service.db)  # readable with the key, for the dump scan's sake


def test_the_migration_encrypts_profiles_written_in_plaintext(database_url, keyring, monkeypatch, tmp_path) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the step from 0002 is shown on a fresh SQLite file (PostgreSQL's database is shared)")
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO survivors (pseudonym, status, locale, country, timezone, persona, plain_mode, "
            "contact_windows, expiry_minutes, unlock_minutes, state, created_at, updated_at) VALUES "
            "('po1', 'active', 'en', 'GB', :tz, 'recipes', 1, :w, 60, 10, :st, '2026-11-30', '2026-11-30')"),
            {"tz": ZONE, "w": json.dumps(WINDOWS), "st": keyring.encrypt("{}")})
        conn.execute(text("INSERT INTO callback_requests (survivor_id, windows, status, created_at) "
                          "VALUES (1, :w, 'open', '2026-11-30')"), {"w": json.dumps(WINDOWS)})
    monkeypatch.setenv("LIAISON_KEY_FILE", str(keyring.path))
    upgrade(url)
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT timezone, persona, plain_mode, contact_windows FROM survivors")).one()
        cb = conn.execute(text("SELECT windows FROM callback_requests")).scalar_one()
    engine.dispose()
    assert all(str(v).startswith("enc1:") for v in [*raw, cb])

    import asyncio

    async def read() -> Survivor:
        db = Database(url, keyring)
        try:
            async with db.sessions() as s:
                return await s.get(Survivor, 1)
        finally:
            await db.dispose()

    her = asyncio.run(read())
    assert (her.timezone, her.persona, her.plain_mode, her.contact_windows) == (ZONE, "recipes", True, WINDOWS)
