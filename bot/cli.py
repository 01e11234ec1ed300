"""The `liaison` command."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import click
from aiohttp import web

from bot.logs import setup_logging
from bot.settings import DEFAULT_DB_URL, DEFAULT_KEY_FILE, Settings, SettingsError, load_settings
from safety.crypto import KeyFileError, KeyRing

DEV_WARNING = """
  ************************************************************************
  *  DEVELOPMENT KEY FILE GENERATED: {path}
  *  It encrypts everything this instance stores. It is for development
  *  and demonstration only: never use it for a real survivor's data.
  ************************************************************************
"""


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def cli() -> None:
    """Survivor liaison messaging service."""


@cli.command()
def migrate() -> None:
    """Apply database migrations (a deploy step; the service never creates tables itself)."""
    from bot.storage.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    click.echo("database is at the latest schema")


def _run(settings: Settings, ring: KeyRing) -> None:
    from bot.service import Service

    setup_logging(settings.log_level)
    try:
        service = Service.create(settings, keyring=ring)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(settings.channel_summary())
    click.echo(f"listening on http://{settings.host}:{settings.port}"
               + ("  (simulator: /simulator)" if settings.simulator_enabled else ""))
    web.run_app(service.web_app(), host=settings.host, port=settings.port, print=None,
                access_log=None)


def _load_ring(settings: Settings) -> KeyRing:
    try:
        return KeyRing.load(settings.key_file)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.option("--simulator/--no-simulator", default=None, help="Turn the local simulator channel on.")
def serve(simulator: bool | None) -> None:
    """Run the service with the configured channels."""
    overrides = {} if simulator is None else {"LIAISON_SIMULATOR": simulator}
    settings = _settings(**overrides)
    _run(settings, _load_ring(settings))


@cli.command()
def demo() -> None:
    """Run on the embedded default: SQLite under ./var, a development key, the simulator channel."""
    from bot.storage.migrate import upgrade

    os.environ.setdefault("DATABASE_URL", DEFAULT_DB_URL)
    os.environ.setdefault("LIAISON_KEY_FILE", DEFAULT_KEY_FILE)
    settings = _settings(LIAISON_SIMULATOR=True)
    if settings.environment == "production":
        raise click.ClickException("demo refuses to run with LIAISON_ENV=production")
    if not settings.key_file.exists():
        KeyRing.generate(settings.key_file)
        click.secho(DEV_WARNING.format(path=settings.key_file), fg="red", bold=True, err=True)
    upgrade(settings.database_url)
    _run(settings, _load_ring(settings))


@cli.group()
def keys() -> None:
    """Encryption keys."""


@keys.command("generate")
@click.option("--file", "path", type=click.Path(path_type=Path), default=None,
              help="Where to write the key file (default LIAISON_KEY_FILE).")
def keys_generate(path: Path | None) -> None:
    """Create a new key file (refuses to overwrite one)."""
    target = path or _settings().key_file
    try:
        KeyRing.generate(target)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"key file written to {target} (mode 600); keep a backup: without it the data is lost")


@keys.command("rotate")
@click.option("--batch", default=500, show_default=True, help="Rows per transaction.")
def keys_rotate(batch: int) -> None:
    """Add a key, make it active, and re-encrypt every stored value under it (service may keep running)."""
    from tqdm import tqdm

    from bot.storage.db import Database
    from safety.crypto import install_keyring
    from safety.rotation import count_not_under_active, reencrypt

    settings = _settings()
    ring = _load_ring(settings)
    new_id = ring.add_key()
    install_keyring(ring)
    click.echo(f"new active key {new_id}; re-encrypting stored values")

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            async with db.sessions() as s:
                todo = await count_not_under_active(s, ring)
            with tqdm(total=todo, unit="value", file=sys.stderr) as bar:
                done = await reencrypt(db.sessions, ring, batch=batch, progress=bar.update)
            return done
        finally:
            await db.dispose()

    done = asyncio.run(run())
    click.echo(f"re-encrypted {done} values; old keys stay in the file for reading until removed")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
