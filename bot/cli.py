"""The service's own commands: `liaison migrate`, `keys`, `invite`, `callbacks` (the `liaison` command
itself, with every group, is liaison/cli.py)."""

from __future__ import annotations

import asyncio
import getpass
import sys
import time
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.channels import registry
from bot.cli_db import (
    check_keys,
    cli_settings,
    ensure_migrated,
    head_revision,
    load_ring,
    migrate_database,
    run_db,
    safe_url,
)
from content import LOCALES
from safety.crypto import FOLLOW_SECONDS, KeyFileError, KeyRing

T = TypeVar("T")

@click.command()
def migrate() -> None:
    """Apply database migrations (a deploy step; the service never creates tables itself)."""
    settings = cli_settings()
    applied = migrate_database(settings.database_url)
    where = safe_url(settings.database_url)
    if applied:
        click.echo(f"applied {len(applied)} migration(s) to {where} ({applied[0]} .. {applied[-1]}); "
                   f"the database is at the latest schema")
    else:
        click.echo(f"{where} was already at the latest schema ({head_revision(settings.database_url)}): "
                   f"nothing applied")
    if not settings.key_file.exists():
        click.echo(f"no key file at {settings.key_file.resolve()} yet: the key canary is written by the first "
                   f"command or start with one (`liaison keys generate` makes it)")
        return
    run_db(settings, _nothing)  # opening it checks the key canary, or writes it with this key file
    click.echo(f"the key file {settings.key_file} opens this database (key canary checked)")


async def _nothing(_db: object, _ring: KeyRing) -> None:
    return None


@click.group()
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
@click.option("--max-passes", default=10, show_default=True, type=click.IntRange(1, 100),
              help="Passes over the data before giving up (values written by processes still on the old key).")
def keys_rotate(batch: int, max_passes: int) -> None:
    """Add a key, make it active, and re-encrypt every stored value under it (the service may keep running).

    Repeats until no value is left under an old key: a running process notices the new key within
    seconds and meanwhile may still write under the old one."""
    from tqdm import tqdm

    from bot.storage.db import Database
    from bot.storage.rotation import count_not_under_active, reencrypt

    settings = cli_settings()
    ensure_migrated(settings)
    ring = load_ring(settings)

    async def run() -> tuple[int, int, int]:
        db = Database(settings.database_url, ring)
        try:
            await check_keys(db, ring)  # before adding a key: never rotate a database the file does not open
            new_id = ring.add_key()
            # a running process notices the new key within FOLLOW_SECONDS; until then it may still write
            # under the old one, so the pass that finds nothing left must start after that
            settled_at = time.monotonic() + FOLLOW_SECONDS + 1
            click.echo(f"new active key {new_id}; re-encrypting stored values")
            done = passes = left = 0
            while passes < max_passes:
                passes += 1
                async with db.sessions() as s:
                    todo = await count_not_under_active(s, ring)
                with tqdm(total=todo, unit="value", file=sys.stderr, disable=todo == 0) as bar:
                    done += await reencrypt(db.sessions, ring, batch=batch, progress=bar.update)
                if time.monotonic() < settled_at:
                    await asyncio.sleep(settled_at - time.monotonic())
                    continue
                async with db.sessions() as s:
                    left = await count_not_under_active(s, ring)
                if left == 0:
                    break
                await asyncio.sleep(1)  # a transaction that encrypted under the old key and commits late
            async with db.sessions() as s:
                left = await count_not_under_active(s, ring)  # what is reported is counted last
            async with db.transaction() as s:
                await record(s, ring, db.clock())
            return done, passes, left
        finally:
            await db.dispose()

    from bot.storage.key_canary import record

    done, passes, left = asyncio.run(run())
    old = ", ".join(sorted(k for k in ring.keys if k != ring.active_id)) or "(none)"
    if left:
        raise click.ClickException(f"re-encrypted {done} values in {passes} passes, but {left} value(s) are still "
                                   f"under an old key ({old}): run `liaison keys rotate` again; do not remove "
                                   f"an old key yet")
    click.echo(f"re-encrypted {done} values in {passes} pass(es); no value is left under an old key ({old}): "
               f"they may be removed from the key file (`liaison keys status` counts values per key)")


@keys.command("status")
def keys_status() -> None:
    """How many stored values each key id encrypted, and which of those keys the key file holds."""
    from bot.storage.rotation import values_per_key

    settings = cli_settings()

    async def work(db: Any, ring: KeyRing) -> Any:
        async with db.sessions() as s:
            return await values_per_key(s)

    counts = run_db(settings, work)
    ring = load_ring(settings)
    for key_id in sorted(set(counts) | set(ring.keys)):
        where = "active" if key_id == ring.active_id else ("in the key file" if key_id in ring.keys
                                                           else "NOT in the key file")
        click.echo(f"{key_id}  {counts.get(key_id, 0)} value(s)  ({where})")
    old = sum(n for k, n in counts.items() if k != ring.active_id)
    click.echo("every value is under the active key" if old == 0 else
               f"{old} value(s) under other keys: run `liaison keys rotate` before removing any key")


@click.group()
def invite() -> None:
    """Enrolment invitations (after speaking to her on the phone)."""


@invite.command("create")
@click.option("--channel", type=click.Choice(registry.names()), required=True)
@click.option("--locale", type=click.Choice(LOCALES), required=True)
@click.option("--country", type=click.Choice(["GB", "IE", "DE", "AT", "EU"], case_sensitive=False), default="GB",
              show_default=True, help="Her country: emergency numbers and default time zone.")
@click.option("--phone", default=None, help="SMS only: her number, international form (+447700900123).")
@click.option("--valid-hours", default=72, show_default=True, type=click.IntRange(1, 24 * 14),
              help="How long the code can be used.")
@click.option("--case", "case_ref", default=None,
              help="His programme's case reference: her record is linked to his case when she enrols "
                   "(programme events for it then reach her worker). Needs --site.")
@click.option("--site", "case_site", default=None, help="The programme site of --case.")
@click.option("--by", "created_by", default=None, help="Worker name for the audit log (default: $USER).")
def invite_create(channel: str, locale: str, country: str, phone: str | None, valid_hours: int,
                  case_ref: str | None, case_site: str | None, created_by: str | None) -> None:
    """Create a one-time code. Telegram: also a t.me deep link. SMS: one neutral opt-in text is sent."""
    from datetime import timedelta

    from bot.enrolment import InvitationError, create_invitation

    settings = cli_settings()
    entry = registry.entry(channel)
    # a channel for testing (the simulator) counts as on outside production
    if not (entry.enabled(settings) or (entry.for_testing and settings.environment != "production")):
        # the code would wait for a channel that never runs, and an SMS opt-in would stay queued for ever
        raise click.ClickException(f"the {channel} channel is off on this instance ({settings.channel_summary()}); "
                                   f"configure it first or invite her on a channel that is on")
    if entry.capabilities.deep_link and not settings.telegram_bot_username:
        click.secho("note: set TELEGRAM_BOT_USERNAME to get a t.me link", fg="yellow", err=True)

    async def work(db: Any, ring: KeyRing) -> Any:
        async with db.transaction() as s:
            return await create_invitation(
                s, ring, channel=channel, locale=locale, country=country, phone=phone,
                created_by=created_by or getpass.getuser(), now=db.clock(),
                valid_for=timedelta(hours=valid_hours), bot_username=settings.telegram_bot_username,
                case_ref=case_ref, case_site=case_site,
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
        click.echo("an opt-in text is queued to her number; it goes out while the service runs, "
                   "inside 09:00-20:00 of her time zone")
    if case_ref:
        click.echo("his case is linked to her record when she enrols")


@click.group()
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
