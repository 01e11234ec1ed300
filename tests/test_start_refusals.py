"""A service that cannot serve her safely refuses to start, says why in one line, and /healthz
never says ok: a key file that does not open the database, and in production the simulator, the
development key (by content, wherever it lies) or no channel at all."""

from __future__ import annotations

import shutil
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from bot.service import Service
from bot.settings import load_settings
from bot.startup_checks import production_problems
from liaison.cli import cli
from liaison.service import create_service
from safety.crypto import KeyRing
from tests.support.http import serve_app


async def _healthz(svc: Service) -> tuple[int, dict[str, object]]:
    async with serve_app(svc.web_app()) as base, aiohttp.ClientSession() as http:
        resp = await http.get(f"{base}/healthz")
        return resp.status, await resp.json()


async def test_the_first_start_records_the_keys_and_the_same_key_file_starts_again(
        settings_env, keyring) -> None:
    first = create_service(load_settings(**settings_env), keyring=keyring)
    assert await first.check_keys()
    await first.db.dispose()
    again = create_service(load_settings(**settings_env), keyring=KeyRing.load(keyring.path))
    status, body = await _healthz(again)
    assert status == 200 and body["ok"] is True and "problems" not in body


async def test_another_valid_key_file_is_refused_and_healthz_is_never_ok(settings_env, keyring, tmp_path) -> None:
    first = create_service(load_settings(**settings_env), keyring=keyring)
    assert await first.check_keys()
    await first.db.dispose()
    other = KeyRing.generate(tmp_path / "other-keys.json")
    svc = create_service(load_settings(**{**settings_env, "LIAISON_KEY_FILE": other.path}), keyring=other)
    status, body = await _healthz(svc)  # startup runs the check; nothing is dispatched or accepted
    assert status == 503 and body["ok"] is False
    (problem,) = body["problems"]
    assert keyring.active_id in problem and other.active_id in problem
    assert not svc._tasks  # no dispatcher, no jobs


def test_serve_refuses_a_key_file_that_does_not_open_the_database_in_one_line(
        settings_env, keyring, tmp_path, monkeypatch) -> None:
    for name, value in settings_env.items():
        monkeypatch.setenv(name, str(value))
    runner = CliRunner()
    first = create_service(load_settings(**settings_env), keyring=keyring)
    import asyncio
    assert asyncio.run(first.check_keys())
    other = KeyRing.generate(tmp_path / "other-keys.json")
    monkeypatch.setenv("LIAISON_KEY_FILE", str(other.path))
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert keyring.active_id in lines[0] and other.active_id in lines[0] and "expects key ids" in lines[0]


def _production(**extra: object):
    return load_settings(LIAISON_ENV="production", DATABASE_URL="postgresql://db/x",
                         LIAISON_PUBLIC_URL="https://liaison.example", LIAISON_KEY_FILE="/etc/liaison/keys.json",
                         **extra)


def test_production_refuses_the_simulator(tmp_path) -> None:
    ring = KeyRing.generate(tmp_path / "keys.json")
    problems = production_problems(_production(LIAISON_SIMULATOR=True), ring, ["simulator", "telegram"],
                                   dev_key_file=tmp_path / "none.json")
    assert len(problems) == 1 and "simulator" in problems[0]


def test_production_refuses_the_development_key_by_content_wherever_it_lies(tmp_path: Path) -> None:
    dev = KeyRing.generate(tmp_path / "var" / "dev-keys.json", development=True)
    moved = tmp_path / "etc" / "keys.json"
    moved.parent.mkdir()
    shutil.copy(dev.path, moved)
    assert any("development key" in p for p in
               production_problems(_production(), KeyRing.load(moved), ["telegram"], dev_key_file=dev.path))
    # an older development key without the mark: recognised by holding the same keys
    unmarked = KeyRing.generate(tmp_path / "old-dev.json")
    assert any("development key" in p for p in
               production_problems(_production(), KeyRing.load(unmarked.path), ["telegram"],
                                   dev_key_file=unmarked.path))
    real = KeyRing.generate(tmp_path / "real.json")
    assert production_problems(_production(), real, ["telegram"], dev_key_file=dev.path) == []


def test_production_refuses_to_start_with_no_channel(tmp_path) -> None:
    ring = KeyRing.generate(tmp_path / "keys.json")
    (problem,) = production_problems(_production(), ring, [], dev_key_file=tmp_path / "none.json")
    assert "no channel" in problem


async def test_a_refused_production_start_answers_healthz_with_503_and_the_reason(settings_env, keyring) -> None:
    svc = create_service(load_settings(**settings_env), keyring=keyring)
    svc.problems.extend(production_problems(_production(LIAISON_SIMULATOR=True), keyring, []))
    status, body = await _healthz(svc)
    assert status == 503 and len(body["problems"]) >= 2


def test_serve_in_production_with_the_simulator_says_why_in_one_line(tmp_path, monkeypatch) -> None:
    ring = KeyRing.generate(tmp_path / "keys.json")
    monkeypatch.chdir(tmp_path)
    for name, value in {"LIAISON_ENV": "production", "DATABASE_URL": "postgresql://127.0.0.1:1/none",
                        "LIAISON_PUBLIC_URL": "https://liaison.example", "LIAISON_KEY_FILE": str(ring.path),
                        "LIAISON_SIMULATOR": "true"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "simulator" in lines[0] and "no channel" in lines[0], result.output


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
