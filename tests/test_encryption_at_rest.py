"""What someone with a copy of the database file, or a new key, would find."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime

from sqlalchemy import select, text

from bot.channels.base import InboundEvent
from bot.storage.models import ChannelIdentity, InboundMessage, OutboundMessage, Survivor
from bot.storage.rotation import count_not_under_active, reencrypt

PHONE = "+447700900123"  # Ofcom drama range: fictional
SECRET_WORDS = "he came to the flat at midnight"


async def _receive(service, provider_id: str, address: str, body: str) -> None:
    await service.pipeline.accept(InboundEvent(
        channel="simulator", provider_id=provider_id, address=address,
        received_at=datetime.now(UTC), text=body,
    ))
    await service.dispatcher.dispatch_due()


def _strings(path: str) -> str:
    out = subprocess.run(["strings", "-n", "4", path], capture_output=True, text=True, check=False).stdout
    return out if out else open(path, "rb").read().decode("latin-1")


async def test_a_dumped_database_file_shows_no_number_chat_id_or_words(service, tmp_path) -> None:
    if not service.db.is_sqlite:
        return  # the file check is about the embedded default; PostgreSQL is covered below by SQL
    await _receive(service, "p1", PHONE, SECRET_WORDS)
    await _receive(service, "p2", "731842233", "my name is Jo Example")
    await service.db.engine.dispose()  # flush WAL into the main file
    db_path = service.db.url.split("///", 1)[1]
    dump = _strings(db_path)
    for plain in (PHONE, "7700900123", "731842233", "midnight", "Jo Example", "does not take messages"):
        assert plain not in dump


async def test_stored_personal_fields_are_ciphertext_with_a_key_id(service) -> None:
    await _receive(service, "p1", PHONE, SECRET_WORDS)
    async with service.db.sessions() as s:
        raw_rows = (await s.execute(text("SELECT sender, body FROM inbound_messages"))).all()
        raw_out = (await s.execute(text("SELECT address, body FROM outbound_messages"))).all()
    for value in [v for row in raw_rows + raw_out for v in row if v is not None]:
        assert re.fullmatch(rf"enc1:{service.keyring.active_id}:[A-Za-z0-9_\-=]+", value)
        assert PHONE not in value and "midnight" not in value


async def test_lookups_use_a_keyed_blind_index_not_the_number(service) -> None:
    async with service.db.transaction() as s:
        survivor = Survivor(pseudonym="pz1")
        s.add(survivor)
        await s.flush()
        s.add(ChannelIdentity(survivor_id=survivor.id, channel="sms", address=PHONE,
                              address_index=service.keyring.blind_index("sms", PHONE)))
    async with service.db.sessions() as s:
        stored = (await s.execute(text("SELECT address_index, address FROM channel_identities"))).one()
    assert stored[0] == service.keyring.blind_index("sms", PHONE)
    assert PHONE not in stored[0] and PHONE not in stored[1]
    assert stored[0] != service.keyring.blind_index("telegram", PHONE)


async def test_key_rotation_keeps_every_record_readable(service) -> None:
    for i in range(7):
        await _receive(service, f"r{i}", f"+4477009001{i:02d}", f"words number {i}")
    old_key = service.keyring.active_id
    new_key = service.keyring.add_key()
    async with service.db.sessions() as s:
        assert await count_not_under_active(s, service.keyring) > 0
    rewritten = await reencrypt(service.db.sessions, service.keyring, batch=3)
    assert rewritten >= 14
    async with service.db.sessions() as s:
        assert await count_not_under_active(s, service.keyring) == 0
        bodies = sorted((await s.scalars(select(InboundMessage.body))).all())
        outs = (await s.scalars(select(OutboundMessage))).all()
        raw = (await s.execute(text("SELECT body FROM inbound_messages"))).scalars().all()
    assert bodies == sorted(f"words number {i}" for i in range(7))
    assert all(o.body and o.address.startswith("+4477009001") for o in outs)
    assert all(v.startswith(f"enc1:{new_key}:") for v in raw) and old_key != new_key


async def test_a_process_with_the_old_key_file_reads_rows_written_after_rotation(service, keyring) -> None:
    from safety.crypto import KeyRing

    stale = KeyRing.load(keyring.path)  # another process loaded the file before rotation
    keyring.add_key()
    token = keyring.encrypt("written under the new key")
    assert stale.decrypt(token) == "written under the new key"


async def test_a_dump_does_not_show_when_it_is_safe_to_reach_her(service) -> None:
    from bot.storage.models import CallbackRequest
    from tests.support.db_scan import raw_dump

    async with service.db.transaction() as s:
        s.add(Survivor(pseudonym="pw9", timezone="Pacific/Chatham", persona="knitting", plain_mode=True,
                       contact_windows=[{"days": [0, 3], "start": "07:35", "end": "08:55"}]))
        await s.flush()
        s.add(CallbackRequest(survivor_id=1, windows=[{"days": [2], "start": "19:05", "end": "19:50"}]))
    dump = await raw_dump(service.db)
    for plain in ("07:35", "08:55", "19:05", "19:50", "Chatham", "knitting", '"days"'):
        assert plain not in dump
    if service.db.is_sqlite:
        await service.db.engine.dispose()
        file_dump = _strings(service.db.url.split("///", 1)[1])
        for plain in ("07:35", "19:05", "Chatham", "knitting"):
            assert plain not in file_dump


async def test_key_rotation_keeps_a_queued_deletion_s_plan_readable(service) -> None:
    from bot.outbox.enqueue import enqueue_deletion
    from safety.deletion import DeletionPlan

    plan = DeletionPlan(("701", "702"), (1,), (2,))
    async with service.db.transaction() as s:
        enqueue_deletion(s, channel="simulator", address=PHONE, address_index="ix", cause="qe:rot", index=0,
                         plan=plan, survivor_id=None, identity_id=None)
    new_key = service.keyring.add_key()
    assert await reencrypt(service.db.sessions, service.keyring) >= 2  # the address and the plan
    async with service.db.sessions() as s:
        row = (await s.scalars(select(OutboundMessage).where(OutboundMessage.kind == "delete"))).one()
        raw = (await s.execute(text("SELECT deletion_plan FROM outbound_messages"))).scalar_one()
    assert row.deletion_plan == plan and raw.startswith(f"enc1:{new_key}:")
