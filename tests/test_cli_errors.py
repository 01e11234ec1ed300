"""Every CLI mistake a person can make is one line saying what to do: no traceback, no password."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.storage.db import Database
from bot.storage.migrate import upgrade
from bot.storage.models import CallbackRequest, Survivor
from liaison.cli import cli
from safety.crypto import KeyRing
from tests.conftest import PG_SKIP_REASON


def liaison(args: list[str], **env: str) -> Result:
    return CliRunner().invoke(cli, args, env={"LIAISON_ENV": "test", "USER": "worker-7", **env})


def one_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_a_database_that_was_never_migrated_says_run_liaison_migrate(tmp_path: Path) -> None:
    ring = KeyRing.generate(tmp_path / "keys.json")
    line = one_line(liaison(["callbacks", "list"], DATABASE_URL=f"sqlite:///{tmp_path / 'new.db'}",
                            LIAISON_KEY_FILE=str(ring.path)))
    assert "was never migrated" in line and "run `liaison migrate`" in line


def test_the_wrong_key_file_names_the_key_ids_the_data_needs_and_the_file_has(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    upgrade(url)
    theirs = KeyRing.generate(tmp_path / "theirs.json")

    async def populate() -> None:
        db = Database(url, theirs)
        async with db.transaction() as s:
            survivor = Survivor(pseudonym="pw-1")
            s.add(survivor)
            await s.flush()
            s.add(CallbackRequest(survivor_id=survivor.id, phone="+447700900123", windows=[]))
        await db.dispose()

    asyncio.run(populate())
    other = KeyRing.generate(tmp_path / "other.json")
    line = one_line(liaison(["callbacks", "list", "--show-identifying"], DATABASE_URL=url,
                            LIAISON_KEY_FILE=str(other.path)))
    assert theirs.active_id in line and other.active_id in line and "LIAISON_KEY_FILE" in line
    assert "+447700900123" not in line


def test_an_unreachable_database_shows_the_url_without_its_password_and_the_reason(tmp_path: Path) -> None:
    ring = KeyRing.generate(tmp_path / "keys.json")
    line = one_line(liaison(["waves", "status"], LIAISON_KEY_FILE=str(ring.path),
                            DATABASE_URL="postgresql://liaison:hunter2secret@127.0.0.1:1/liaison"))
    assert "cannot reach the database at postgresql://liaison:***@127.0.0.1:1/liaison" in line
    assert "hunter2secret" not in line


def test_an_unsupported_database_is_named_with_what_is_supported(tmp_path: Path) -> None:
    ring = KeyRing.generate(tmp_path / "keys.json")
    line = one_line(liaison(["waves", "status"], LIAISON_KEY_FILE=str(ring.path),
                            DATABASE_URL="mysql://liaison:hunter2secret@127.0.0.1/liaison"))
    assert "unsupported database backend 'mysql'" in line and "hunter2secret" not in line


def test_a_missing_key_file_gives_its_full_path_and_how_to_make_one(tmp_path: Path) -> None:
    line = one_line(liaison(["waves", "status"], LIAISON_KEY_FILE="var/nowhere-keys.json",
                            DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"))
    assert str(Path("var/nowhere-keys.json").resolve()) in line and "LIAISON_KEY_FILE" in line


def test_erase_checks_the_pseudonym_before_asking_for_confirmation(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    upgrade(url)
    ring = KeyRing.generate(tmp_path / "keys.json")
    result = CliRunner().invoke(cli, ["erase", "nobody-here", "--worker", "w7"], input="y\n",
                                env={"LIAISON_ENV": "test", "DATABASE_URL": url, "LIAISON_KEY_FILE": str(ring.path)})
    assert result.exit_code == 1 and "Erase all identifying data" not in result.output
    assert "no survivor with pseudonym 'nobody-here'" in result.output


def test_waves_status_on_an_empty_database_says_there_are_none(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    upgrade(url)
    ring = KeyRing.generate(tmp_path / "keys.json")
    result = liaison(["waves", "status"], DATABASE_URL=url, LIAISON_KEY_FILE=str(ring.path))
    assert result.exit_code == 0 and "no waves yet" in result.output


def test_serve_with_no_channel_refuses_to_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    upgrade(url)
    ring = KeyRing.generate(tmp_path / "keys.json")
    line = one_line(liaison(["serve"], DATABASE_URL=url, LIAISON_KEY_FILE=str(ring.path)))
    assert line.startswith("Error: no channel is on") and "--simulator" in line


# -- serve, migrate and demo: the first commands a new user runs (issue 24, item 7) ----------------------
@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """A PostgreSQL database of its own that was never migrated."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(PG_SKIP_REASON)
    name = f"liaison_unmigrated_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_serve_on_a_sqlite_file_never_migrated_says_run_migrate_and_creates_nothing(tmp_path: Path) -> None:
    ring = KeyRing.generate(tmp_path / "keys.json")
    line = one_line(liaison(["serve", "--simulator"], DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'liaison.db'}",
                            LIAISON_KEY_FILE=str(ring.path)))
    assert "does not exist" in line and "run `liaison migrate` first" in line
    assert not (tmp_path / "var" / "liaison.db").exists()


def test_serve_on_a_postgresql_database_never_migrated_says_run_migrate(tmp_path: Path, empty_pg_url: str) -> None:
    ring = KeyRing.generate(tmp_path / "keys.json")
    line = one_line(liaison(["serve", "--simulator"], DATABASE_URL=empty_pg_url, LIAISON_KEY_FILE=str(ring.path)))
    assert "was never migrated" in line and "run `liaison migrate` first" in line


@pytest.mark.parametrize("url, says", [
    ("postgresql://liaison:hunter2secret@127.0.0.1:1/liaison", "cannot reach the database at"),
    ("mysql://liaison:hunter2secret@127.0.0.1/liaison", "unsupported database backend 'mysql'"),
    ("not a url", "DATABASE_URL cannot be parsed"),
    ("", "DATABASE_URL cannot be parsed"),
])
def test_serve_and_migrate_on_a_database_they_cannot_use_say_why_in_one_line(
        tmp_path: Path, url: str, says: str) -> None:
    ring = KeyRing.generate(tmp_path / "keys.json")
    for command in (["serve", "--simulator"], ["migrate"]):
        line = one_line(liaison(command, DATABASE_URL=url, LIAISON_KEY_FILE=str(ring.path)))
        assert says in line and "hunter2secret" not in line, command


def test_serve_on_a_postgresql_database_that_does_not_exist_says_so(tmp_path: Path) -> None:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(PG_SKIP_REASON)
    url = make_url(base).set(database=f"nowhere_{uuid.uuid4().hex[:8]}").render_as_string(hide_password=False)
    ring = KeyRing.generate(tmp_path / "keys.json")
    line = one_line(liaison(["serve", "--simulator"], DATABASE_URL=url, LIAISON_KEY_FILE=str(ring.path)))
    assert "cannot reach the database" in line and "does not exist" in line


def test_migrate_says_what_it_applied_then_that_nothing_was_left(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'liaison.db'}"
    ring = KeyRing.generate(tmp_path / "keys.json")
    first = liaison(["migrate"], DATABASE_URL=url, LIAISON_KEY_FILE=str(ring.path))
    assert first.exit_code == 0, first.output
    assert re.search(r"applied \d+ migration\(s\)", first.output)
    again = liaison(["migrate"], DATABASE_URL=url, LIAISON_KEY_FILE=str(ring.path))
    assert again.exit_code == 0 and "nothing applied" in again.output and "applied 1" not in again.output


def test_demo_with_its_port_taken_says_so_before_printing_any_link(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = liaison(["demo"], LIAISON_ENV="development", LIAISON_PORT=str(port),
                         DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}", LIAISON_KEY_FILE=str(tmp_path / "k.json"))
    line = one_line(result)
    assert f"port {port} on 127.0.0.1 is taken" in line and "LIAISON_PORT" in line
    assert not (tmp_path / "demo.db").exists()
