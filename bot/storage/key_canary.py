"""The key-ring canary: does this key file open this database?

A valid key file that is not this database's own starts without an error and reads nothing: her
blind index no longer matches (her "hello" gets the stranger's reply) and every stored value fails
to decrypt. So the database records the key ids its data is under and a value encrypted and
blind-indexed with them. `liaison migrate` writes it (and so does the first command or start that opens
the database with a key file); every start checks it.

A database with stored values and no canary (written before the canary existed, or given invitations
before its first start) is checked by decrypting a sample of every encrypted column: a key file that
cannot open them is refused, never recorded as the database's own. And a key id the canary remembers
but the key file no longer holds is refused while any value is still under it (an old key removed
before `liaison keys rotate` had moved everything off it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database
from bot.storage.models import KeyCanary
from bot.storage.rotation import encrypted_columns, stored, values_per_key
from safety.crypto import DecryptionError, KeyRing

CHECK_TEXT = "liaison key canary v1"
SAMPLE = 20  # values read per encrypted column when there is no canary


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


async def unreadable_in_sample(db: Database, ring: KeyRing, per_column: int = SAMPLE) -> set[str]:
    """The key ids of sampled stored values `ring` cannot open (the first values of every encrypted column)."""
    bad: set[str] = set()
    async with db.sessions() as s:
        for col in encrypted_columns():
            tokens = (await s.scalars(select(stored(col)).where(stored(col).isnot(None)).limit(per_column))).all()
            for token in tokens:
                try:
                    ring.decrypt(token)
                except DecryptionError:
                    bad.add(KeyRing.key_id_of(token) or "(not a ciphertext)")
    return bad


async def count_under(db: Database, key_ids: set[str]) -> int:
    """How many stored values are under any of `key_ids`."""
    async with db.sessions() as s:
        counts = await values_per_key(s)
    return sum(n for key_id, n in counts.items() if key_id in key_ids)


async def check_or_record(db: Database, ring: KeyRing, now: datetime) -> None:
    """Raise `KeyMismatch` when the canary is there and `ring` cannot open it, or when values remain
    under a key the file no longer holds; with no canary, check a sample of the stored values and write
    it. Two processes starting at once: the loser of the insert checks the winner's."""
    for _ in range(2):
        async with db.sessions() as s:
            canary = (await s.scalars(select(KeyCanary).where(KeyCanary.id == 1))).first()
        if canary is not None:
            if not opens(ring, canary):
                raise KeyMismatch(mismatch_message(canary, ring))
            await _no_values_under_removed_keys(db, ring, canary, now)
            return
        bad = await unreadable_in_sample(db, ring)
        if bad:
            raise KeyMismatch(f"the key file {ring.path} does not open this database: it has no key canary and "
                              f"holds values under key id(s) {_ids(bad)}, the key file has {_ids(set(ring.keys))}; "
                              f"use the key file this database was written with")
        try:
            async with db.transaction() as s:
                await record(s, ring, now)
            return
        except IntegrityError:
            continue


async def _no_values_under_removed_keys(db: Database, ring: KeyRing, canary: KeyCanary, now: datetime) -> None:
    """A key id the canary remembers and the file lacks: refuse while any value is under it; once none
    is, forget it (the check then costs nothing on the next start)."""
    removed = {k for k in canary.key_ids.split(",") if k} - set(ring.keys)
    if not removed:
        return
    left = await count_under(db, removed)
    if left:
        raise KeyMismatch(f"{left} stored value(s) are under key id(s) {_ids(removed)}, which the key file "
                          f"{ring.path} no longer holds: put the old key back and run `liaison keys rotate` until "
                          f"it reports no value left under an old key, then remove it")
    async with db.transaction() as s:
        row = await s.get(KeyCanary, 1)
        if row is not None:
            row.key_ids = _ids({k for k in row.key_ids.split(",") if k} - removed)
            row.updated_at = now
