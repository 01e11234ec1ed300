"""Column types: UTC timestamps and encrypted text.

The encrypted types seal and open with the key ring of the engine they pass through: a `Database` is
built with its key ring (bot/storage/db.py) and hangs it on its engine's dialect, the one object
SQLAlchemy hands a type. No key ring lives in a module global."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.clock import system_clock
from safety.crypto import KeyFileError, KeyRing
from safety.deletion import DeletionPlan

KEYRING_ATTRIBUTE = "liaison_keyring"


def utcnow(context: Any) -> datetime:
    """Column default: "now" from the clock the Database was built with (`bot.clock`), so rows
    written by a test on a set clock carry that clock's time, not the wall clock's. (SQLAlchemy
    passes the execution context only to a default whose one argument has no default value.)"""
    clock = context.execution_options.get("clock")
    return clock() if clock is not None else system_clock()


def attach_keyring(dialect: Dialect, keyring: KeyRing) -> None:
    """Give one engine (its dialect is its own) the key ring its encrypted columns use."""
    setattr(dialect, KEYRING_ATTRIBUTE, keyring)


def keyring_of(dialect: Dialect) -> KeyRing:
    ring = getattr(dialect, KEYRING_ATTRIBUTE, None)
    if ring is None:
        raise KeyFileError("this engine has no key ring: open the database with Database(url, keyring)")
    return ring  # type: ignore[no-any-return]


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EncryptedText(TypeDecorator[str]):
    """A string stored as AES-GCM ciphertext with its key id (see safety.crypto)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_of(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_of(dialect).decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored encrypted (conversation state, buttons holding her words)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else keyring_of(dialect).encrypt(json.dumps(value, sort_keys=True))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(keyring_of(dialect).decrypt(value))


class EncryptedDeletionPlan(EncryptedJSON):
    """A queued deletion's plan, encrypted like the message bodies it stands beside (provider ids
    point at her messages), read back as a `DeletionPlan`."""

    cache_ok = True

    def process_bind_param(self, value: DeletionPlan | None, dialect: Dialect) -> str | None:
        return super().process_bind_param(None if value is None else value.to_json(), dialect)

    def process_result_value(self, value: str | None, dialect: Dialect) -> DeletionPlan | None:
        data = super().process_result_value(value, dialect)
        return None if data is None else DeletionPlan.from_json(data)
