"""The key-ring canary: does this key file open this database?

A valid key file that is not this database's own starts without an error and reads nothing: her
blind index no longer matches (her "hello" gets the stranger's reply) and every stored value fails
to decrypt. So the database records the key ids its data is under and a value encrypted and
blind-indexed with them; the service writes it on its first start and checks it on every start.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database
from bot.storage.models import KeyCanary
from safety.crypto import DecryptionError, KeyRing

CHECK_TEXT = "liaison key canary v1"


class KeyMismatch(Exception):
    """The key file cannot open this database; the message names key ids only, never key material."""


def _ids(ids: list[str] | set[str]) -> str:
    return ",".join(sorted(ids)) or "(none)"


def opens(ring: KeyRing, canary: KeyCanary) -> bool:
    """True when `ring` decrypts the check value and computes the same blind index."""
    try:
        ok = ring.decrypt(canary.check_value) == CHECK_TEXT
    except DecryptionError:
        return False
    return ok and ring.blind_index("canary", CHECK_TEXT) == canary.index_check


def mismatch_message(canary: KeyCanary, ring: KeyRing) -> str:
    return (f"the key file {ring.path} does not open this database: the database expects key ids "
            f"{canary.key_ids or '(none)'}, the key file has {_ids(set(ring.keys))} "
            f"(or the same ids with other keys); use the key file this database was written with")


async def record(session: AsyncSession, ring: KeyRing, now: datetime) -> None:
    """Write (or rewrite after a rotation) the canary under the ring's active key, remembering
    every key id the database has been under."""
    canary = await session.get(KeyCanary, 1)
    if canary is None:
        session.add(KeyCanary(id=1, key_ids=_ids(set(ring.keys)), check_value=ring.encrypt(CHECK_TEXT),
                              index_check=ring.blind_index("canary", CHECK_TEXT), updated_at=now))
        return
    known = {k for k in canary.key_ids.split(",") if k} | set(ring.keys)
    canary.key_ids = _ids(known)
    canary.check_value = ring.encrypt(CHECK_TEXT)
    canary.updated_at = now


async def check_or_record(db: Database, ring: KeyRing, now: datetime) -> None:
    """Raise `KeyMismatch` when the canary is there and `ring` cannot open it; write it when absent
    (the first start). Two processes starting at once: the loser of the insert checks the winner's."""
    for _ in range(2):
        async with db.sessions() as s:
            canary = (await s.scalars(select(KeyCanary).where(KeyCanary.id == 1))).first()
        if canary is not None:
            if not opens(ring, canary):
                raise KeyMismatch(mismatch_message(canary, ring))
            return
        try:
            async with db.transaction() as s:
                await record(s, ring, now)
            return
        except IntegrityError:
            continue
