"""What the service benchmarks share: the database they run on (a temp SQLite file, a private
PostgreSQL database made and dropped, or one given), a fresh key ring and schema, and a run of the
benchmark in a temporary working directory."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.storage.migrate import upgrade
from safety.crypto import KeyRing


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """The database a benchmark runs on, as `database_for` reads it: a temp SQLite file by default."""
    db = parser.add_mutually_exclusive_group()
    db.add_argument("--database-url", default=None, help="database to use (default: a temp SQLite file)")
    db.add_argument("--pg-admin-url", default=None,
                    help="PostgreSQL URL allowed to CREATE DATABASE: a private database is made and dropped")


@contextmanager
def private_pg_database(admin_url: str) -> Iterator[str]:
    """CREATE a throwaway database next to the admin URL's one, yield its URL, DROP it after."""
    base = make_url(admin_url)
    if base.get_backend_name() != "postgresql":
        raise SystemExit("--pg-admin-url must be a postgresql:// URL")
    name = f"bench_inbound_{secrets.token_hex(5)}"
    admin = create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def database_for(args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    if args.pg_admin_url:
        with private_pg_database(args.pg_admin_url) as url:
            yield url
    else:
        yield args.database_url or f"sqlite:///{workdir / 'bench.db'}"


def prepared(workdir: Path, database_url: str) -> KeyRing:
    """A new key ring in `workdir`, and the database migrated to the latest schema."""
    ring = KeyRing.generate(workdir / "keys.json")
    upgrade(database_url)
    return ring


def run_in_temp_dir(args: argparse.Namespace, prefix: str,
                    run: Callable[[argparse.Namespace, str, Path], Coroutine[Any, Any, dict[str, Any]]]
                    ) -> dict[str, Any]:
    """`run(args, database_url, workdir)` in a temporary working directory, on the database the
    arguments ask for (--database-url, --pg-admin-url, or a SQLite file in the directory)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        with database_for(args, workdir) as url:
            return asyncio.run(run(args, url, workdir))
