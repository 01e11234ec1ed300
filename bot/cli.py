"""The `liaison` command."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from aiohttp import web

from bot.cli_db import cli_settings, load_ring, run_db
from bot.logs import setup_logging
from bot.settings import DEFAULT_DB_URL, DEFAULT_KEY_FILE, Settings, SettingsError
from safety.crypto import KeyFileError, KeyRing

if TYPE_CHECKING:
    pass

T = TypeVar("T")

DEV_WARNING = """
  ************************************************************************
  *  DEVELOPMENT KEY FILE GENERATED: {path}
  *  It encrypts everything this instance stores. It is for development
  *  and demonstration only: never use it for a real survivor's data.
  ************************************************************************
"""


@click.group()
def cli() -> None:
    """Survivor liaison messaging service."""


@cli.command()
def migrate() -> None:
    """Apply database migrations (a deploy step; the service never creates tables itself)."""
    from bot.storage.migrate import upgrade

    settings = cli_settings()
    upgrade(settings.database_url)
    click.echo("database is at the latest schema")


def _run(settings: Settings, ring: KeyRing) -> None:
    from bot.service import Service

    setup_logging(settings.log_level)
    try:
        service = Service.create(settings, keyring=ring)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if not service.channels:
        # a service that can reach nobody must not look healthy: her messages would go nowhere
        raise click.ClickException(f"no channel is on ({settings.channel_summary()}); configure Telegram or "
                                   f"Twilio, or use --simulator for local testing")

    async def keys_open_the_database() -> bool:
        try:
            return await service.check_keys()
        finally:
            await service.db.dispose()

    if service.problems or not asyncio.run(keys_open_the_database()):
        raise click.ClickException("refusing to start: " + "; ".join(service.problems))
    click.echo(settings.channel_summary())
    click.echo(f"listening on http://{settings.host}:{settings.port}"
               + ("  (simulator: /simulator)" if settings.simulator_enabled else ""))
    app = service.web_app()

    async def freeze_heap(_app: web.Application) -> None:
        service.freeze_heap_when_warm()  # a long-running process: see bot/heap.py

    app.on_startup.append(freeze_heap)  # after the service's own start-up
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)


@cli.command()
@click.option("--simulator/--no-simulator", default=None, help="Turn the local simulator channel on.")
def serve(simulator: bool | None) -> None:
    """Run the service with the configured channels."""
    overrides = {} if simulator is None else {"LIAISON_SIMULATOR": simulator}
    settings = cli_settings(**overrides)
    _run(settings, load_ring(settings))


@cli.command()
def demo() -> None:
    """Run on the embedded default: SQLite under ./var, a development key, the simulator channel."""
    from bot.storage.migrate import upgrade

    os.environ.setdefault("DATABASE_URL", DEFAULT_DB_URL)
    os.environ.setdefault("LIAISON_KEY_FILE", DEFAULT_KEY_FILE)
    settings = cli_settings(LIAISON_SIMULATOR=True)
    if settings.environment == "production":
        raise click.ClickException("demo refuses to run with LIAISON_ENV=production")
    if not settings.key_file.exists():
        KeyRing.generate(settings.key_file, development=True)
        click.secho(DEV_WARNING.format(path=settings.key_file), fg="red", bold=True, err=True)
    upgrade(settings.database_url)
    _print_demo_invitation(settings)
    _print_dev_admin(settings)
    _run(settings, load_ring(settings))


def _print_demo_invitation(settings: Settings) -> None:
    """A code to try the simulator with at once: enrolment is by invitation only, so without one the
    bot answers as an unknown number would."""
    from datetime import timedelta

    from bot.enrolment import create_invitation

    async def work(db: Any, ring: KeyRing) -> Any:
        async with db.transaction() as s:
            return await create_invitation(s, ring, channel="simulator", locale="en", country="GB",
                                           created_by="demo", now=db.clock(), valid_for=timedelta(hours=24))

    created = run_db(settings, work)
    click.secho(f"simulator: open http://{settings.host}:{settings.port}/simulator and send the invitation code "
                f"{created.display_code} (valid 24 h, once; more with `liaison invite create --channel simulator "
                f"--locale en`)", fg="green", err=True)


def _print_dev_admin(settings: Settings) -> None:
    """A development console account, so the console can be tried at once (never in production)."""
    from bot.staff.cli import DEV_ADMIN, DEV_ADMIN_WARNING, enrol_link, ensure_dev_admin

    token = run_db(settings, lambda db, _ring: ensure_dev_admin(db, db.clock()))
    click.secho(DEV_ADMIN_WARNING.format(name=DEV_ADMIN, roles="admin, liaison, supervisor",
                                         link=enrol_link(settings.public_url, token)), fg="red", bold=True, err=True)


@cli.group()
def keys() -> None:
    """Encryption keys."""


@keys.command("generate")
@click.option("--file", "path", type=click.Path(path_type=Path), default=None,
              help="Where to write the key file (default LIAISON_KEY_FILE).")
def keys_generate(path: Path | None) -> None:
    """Create a new key file (refuses to overwrite one)."""
    target = path or cli_settings().key_file
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

    settings = cli_settings()
    ring = load_ring(settings)
    new_id = ring.add_key()
    install_keyring(ring)
    click.echo(f"new active key {new_id}; re-encrypting stored values")

    async def run() -> int:
        from datetime import UTC, datetime

        from bot.storage.key_canary import KeyMismatch, check_or_record, record

        db = Database(settings.database_url)
        try:
            try:
                await check_or_record(db, ring, datetime.now(UTC))
            except KeyMismatch as exc:
                raise click.ClickException(f"not rotating: {exc}") from None
            async with db.sessions() as s:
                todo = await count_not_under_active(s, ring)
            with tqdm(total=todo, unit="value", file=sys.stderr) as bar:
                done = await reencrypt(db.sessions, ring, batch=batch, progress=bar.update)
            async with db.transaction() as s:
                await record(s, ring, datetime.now(UTC))
            return done
        finally:
            await db.dispose()

    done = asyncio.run(run())
    click.echo(f"re-encrypted {done} values; old keys stay in the file for reading until removed")


@cli.group()
def invite() -> None:
    """Enrolment invitations (after speaking to her on the phone)."""


@invite.command("create")
@click.option("--channel", type=click.Choice(["telegram", "sms", "simulator"]), required=True)
@click.option("--locale", type=click.Choice(["en", "de"]), required=True)
@click.option("--country", type=click.Choice(["GB", "IE", "DE", "AT", "EU"], case_sensitive=False), default="GB",
              show_default=True, help="Her country: emergency numbers and default time zone.")
@click.option("--phone", default=None, help="SMS only: her number, international form (+447700900123).")
@click.option("--valid-hours", default=72, show_default=True, type=click.IntRange(1, 24 * 14),
              help="How long the code can be used.")
@click.option("--by", "created_by", default=None, help="Worker name for the audit log (default: $USER).")
def invite_create(channel: str, locale: str, country: str, phone: str | None, valid_hours: int,
                  created_by: str | None) -> None:
    """Create a one-time code. Telegram: also a t.me deep link. SMS: one neutral opt-in text is sent."""
    from datetime import timedelta

    from bot.enrolment import InvitationError, create_invitation

    settings = cli_settings()
    enabled = {"telegram": settings.telegram_enabled, "sms": settings.sms_enabled,
               "simulator": settings.simulator_enabled or settings.environment != "production"}
    if not enabled[channel]:
        # the code would wait for a channel that never runs, and an SMS opt-in would stay queued for ever
        raise click.ClickException(f"the {channel} channel is off on this instance ({settings.channel_summary()}); "
                                   f"configure it first or invite her on a channel that is on")
    if channel == "telegram" and not settings.telegram_bot_username:
        click.secho("note: set TELEGRAM_BOT_USERNAME to get a t.me link", fg="yellow", err=True)

    async def work(db: Any, ring: KeyRing) -> Any:
        async with db.transaction() as s:
            return await create_invitation(
                s, ring, channel=channel, locale=locale, country=country, phone=phone,
                created_by=created_by or getpass.getuser(), now=db.clock(),
                valid_for=timedelta(hours=valid_hours), bot_username=settings.telegram_bot_username,
            )

    try:
        created = run_db(settings, work)
    except InvitationError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"code: {created.display_code}")
    click.echo(f"valid until: {created.expires_at:%Y-%m-%d %H:%M} UTC, once")
    if created.deep_link:
        click.echo(f"link: {created.deep_link}")
    if created.optin_queued:
        click.echo("an opt-in text is queued to her number; it goes out while the service runs")


@cli.group()
def callbacks() -> None:
    """Call-back requests."""


@callbacks.command("list")
@click.option("--tz", "tz_name", default="UTC", show_default=True, help="Show times in this time zone.")
@click.option("--show-identifying", is_flag=True, help="Also show the number to ring (audited per request).")
@click.option("--by", "actor", default=None, help="Worker name for the audit log (default: $USER).")
def callbacks_list(tz_name: str, show_identifying: bool, actor: str | None) -> None:
    """Open requests, oldest first, with her safe times in your time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from bot.callbacks import format_slot, open_callbacks

    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.ClickException(f"unknown time zone {tz_name!r}; use a name like Europe/London") from None
    settings = cli_settings()

    async def work(db: Any, ring: KeyRing) -> Any:
        async with db.transaction() as s:
            return await open_callbacks(s, db.clock(), show_identifying=show_identifying,
                                        actor=actor or getpass.getuser())

    requests = run_db(settings, work)
    if not requests:
        click.echo("no open call-back requests")
        return
    click.echo(f"times in {tz_name}")
    for r in requests:
        click.echo(f"#{r.id}  {r.pseudonym}  requested {r.requested_at.astimezone(tz):%Y-%m-%d %H:%M}")
        slots = ", ".join(format_slot(s, tz) for s in r.slots[:6]) or "no time in the next 7 days"
        click.echo(f"    safe to ring: {slots}")
        if show_identifying:
            click.echo(f"    number: {r.phone or '(none given)'}")


def _register_groups() -> None:
    """The commands of the other concerns, in one visible place."""
    from bot.actions.cli import erase_command, retention_group, reverify_command
    from bot.staff.cli import audit_group, staff_group
    from nlu.cli import nlu_group
    from scheduler.cli import register

    cli.add_command(nlu_group)
    cli.add_command(erase_command)
    cli.add_command(retention_group)
    cli.add_command(reverify_command)
    cli.add_command(staff_group)
    cli.add_command(audit_group)
    register(cli)


_register_groups()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
