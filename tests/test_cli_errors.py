"""Every CLI mistake a person can make is one line saying what to do: no traceback, no password."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result

from bot.storage.db import Database
from bot.storage.migrate import upgrade
from bot.storage.models import CallbackRequest, Survivor
from liaison.cli import cli
from safety.crypto import KeyRing


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
