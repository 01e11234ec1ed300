"""Opening the configured database and key ring for a CLI command.

Every mistake a person can make here (no key file, the wrong key file, a database that was never
migrated, one that cannot be reached or is not supported) ends in one line saying what to do, never
a traceback. The embedded SQLite default migrates itself, so the first command on a fresh clone works.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bot.policies import Policies
from bot.settings import DEFAULT_DB_URL, Settings, SettingsError, load_settings
from bot.storage.db import Database, ensure_sqlite_dir, sync_url
from safety.crypto import DecryptionError, KeyFileError, KeyRing

T = TypeVar("T")


def cli_settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def safe_url(url: str) -> str:
    """The database URL as a person may see it: never its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable DATABASE_URL)"


def load_ring(settings: Settings) -> KeyRing:
    try:
        return KeyRing.load(settings.key_file)
    except KeyFileError as exc:
        where = settings.key_file.resolve()
        raise click.ClickException(
            f"{exc} (looked for {where}); set LIAISON_KEY_FILE to the instance's key file, "
            f"or run `liaison demo` once to create a development key"
        ) from None


def _one_line(exc: BaseException) -> str:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return reason[0] if reason else type(exc).__name__


def schema_state(url: str) -> str | None:
    """The database's Alembic revision (None: never migrated); a ClickException if it cannot be read."""
    try:
        engine = create_engine(sync_url(checked_url(url)))
    except NoSuchModuleError as exc:
        raise click.ClickException(f"DATABASE_URL {safe_url(url)}: {exc}") from None
    try:
        with engine.connect() as conn:
            try:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except DBAPIError:
                return None
    except DBAPIError as exc:
        raise click.ClickException(f"cannot reach the database at {safe_url(url)}: {_one_line(exc)}") from None
    finally:
        engine.dispose()


def checked_url(url: str) -> str:
    """The DATABASE_URL if it parses and names a supported backend, else one line saying so."""
    try:
        sync_url(url)
    except ArgumentError:
        raise click.ClickException("DATABASE_URL cannot be parsed; use sqlite:///path/to/file.db or "
                                   "postgresql://user:password@host:5432/name") from None
    except ValueError as exc:  # bot.storage.db: an unsupported backend
        raise click.ClickException(f"DATABASE_URL {safe_url(url)}: {exc}") from None
    return url


def _missing_sqlite_file(url: str) -> Path | None:
    """The file a sqlite:/// URL names when it does not exist (opening it would create it empty)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    path = Path(u.database)
    return None if path.exists() else path


def head_revision(url: str) -> str:
    from alembic.script import ScriptDirectory

    from bot.storage.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head is not None
    return head


def require_migrated(settings: Settings) -> None:
    """`serve` runs only on a database `liaison migrate` has brought to the code's schema. It never
    creates one: an empty var/liaison.db left behind would look like a database that lost its data."""
    url = checked_url(settings.database_url)
    missing = _missing_sqlite_file(url)
    if missing is not None:
        raise click.ClickException(f"the database file {missing.resolve()} does not exist: run `liaison migrate` "
                                   f"first (it creates the database), then `liaison serve`")
    current, head = schema_state(url), head_revision(url)
    if current != head:
        state = "was never migrated" if current is None else f"is at schema {current}, the code needs {head}"
        raise click.ClickException(f"the database at {safe_url(url)} {state}: run `liaison migrate` first")


def migrate_database(url: str) -> list[str]:
    """Bring the database to the latest schema; returns the revisions applied, oldest first (none:
    it was up to date). Every failure is one line."""
    from alembic.script import ScriptDirectory

    from bot.storage.migrate import alembic_config, upgrade

    ensure_sqlite_dir(checked_url(url))
    before = schema_state(url)  # unreachable: one line before anything is created
    script = ScriptDirectory.from_config(alembic_config(url))
    pending = [r.revision for r in script.iterate_revisions("heads", before)]
    try:
        upgrade(url)
    except DBAPIError as exc:
        raise click.ClickException(f"migrating the database at {safe_url(url)} failed: {_one_line(exc)}") from None
    return list(reversed(pending))


def ensure_migrated(settings: Settings) -> None:
    """The embedded default migrates itself; anything else must be migrated as a deploy step."""
    from alembic.script import ScriptDirectory

    from bot.storage.migrate import alembic_config, upgrade

    try:
        config = alembic_config(settings.database_url)
    except (ValueError, ArgumentError) as exc:
        raise click.ClickException(f"DATABASE_URL {safe_url(settings.database_url)}: {exc}") from None
    head = ScriptDirectory.from_config(config).get_current_head()
    current = schema_state(settings.database_url)
    if current == head:
        return
    if settings.database_url == DEFAULT_DB_URL and settings.environment != "production":
        upgrade(settings.database_url)
        return
    state = "was never migrated" if current is None else f"is at schema {current}, the code needs {head}"
    raise click.ClickException(f"the database at {safe_url(settings.database_url)} {state}: run `liaison migrate`")


async def _key_ids_in_data(db: Database) -> set[str]:
    """The key ids that encrypted values in the database were written with (a sample of each table)."""
    from bot.storage.models import Base
    from bot.storage.types import EncryptedJSON, EncryptedText

    found: set[str] = set()
    async with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, EncryptedText | EncryptedJSON):
                    raw = text(f'SELECT "{column.name}" FROM "{table.name}" '
                               f'WHERE "{column.name}" IS NOT NULL LIMIT 50')
                    for (value,) in (await conn.execute(raw)).all():
                        key_id = KeyRing.key_id_of(value)
                        if key_id:
                            found.add(key_id)
    return found


async def check_keys(db: Database, ring: KeyRing) -> None:
    """The key canary (bot.storage.key_canary): checked, or written by the first command that opens the
    database with a key file; a key file that does not open it is one line."""
    from bot.storage.key_canary import KeyMismatch, check_or_record

    try:
        await check_or_record(db, ring, db.clock())
    except KeyMismatch as exc:
        raise click.ClickException(f"{exc} (set LIAISON_KEY_FILE)") from None


def run_db(settings: Settings, work: Callable[[Database, KeyRing], Awaitable[T]]) -> T:
    """Run `work(db, ring)` on the configured database, opened with the key ring; errors as one line."""
    ring = load_ring(settings)
    ensure_migrated(settings)

    async def run() -> T:
        db = Database(settings.database_url, ring, policies=Policies.from_settings(settings))
        try:
            await check_keys(db, ring)
            return await work(db, ring)
        except DecryptionError:
            needed = await _key_ids_in_data(db)
            raise click.ClickException(
                f"the key file {settings.key_file} cannot open this database: the data needs key id(s) "
                f"{', '.join(sorted(needed)) or '(none found)'}, the file has {', '.join(sorted(ring.keys))}; "
                f"set LIAISON_KEY_FILE to this instance's key file"
            ) from None
        except DBAPIError as exc:
            raise click.ClickException(
                f"database error at {safe_url(settings.database_url)}: {_one_line(exc)}") from None
        finally:
            await db.dispose()

    return asyncio.run(run())
