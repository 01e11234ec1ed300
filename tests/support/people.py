"""Enrolled people made directly in the database, for tests of safety actions and channels.
Numbers are from Ofcom's drama range and chat ids are made up."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.storage.models import ChannelIdentity, ConsentRecord, Survivor


async def enrolled(db, keyring, *, channel: str = "simulator", address: str = "+447700900777",
                   pseudonym: str = "ps-test", evaluation_consent: bool = False, **survivor_fields) -> tuple[int, int]:
    """An active survivor with one confirmed identity; returns (survivor_id, identity_id)."""
    async with db.transaction() as s:
        survivor = Survivor(pseudonym=pseudonym, status="active", **survivor_fields)
        s.add(survivor)
        await s.flush()
        identity = ChannelIdentity(survivor_id=survivor.id, channel=channel, address=address,
                                   address_index=keyring.blind_index(channel, address), status="active",
                                   verified_at=datetime.now(UTC))
        s.add(identity)
        s.add(ConsentRecord(survivor_id=survivor.id, kind="evaluation", granted=evaluation_consent,
                            text_version="test-1", channel=channel))
        await s.flush()
        return survivor.id, identity.id
