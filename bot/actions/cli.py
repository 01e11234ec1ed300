"""Worker commands for erasure and retention (registered in bot/cli.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.erasure import erase_survivor
from bot.actions.retention import run_retention
from bot.settings import Settings, SettingsError, load_settings
from bot.storage.db import Database
from bot.storage.models import AuditEvent, ChannelIdentity, Survivor
from safety.crypto import KeyFileError, KeyRing, install_keyring
from safety.retention import RetentionPolicy

T = TypeVar("T")


def _open() -> tuple[Database, Settings]:
    try:
        settings = load_settings()
        install_keyring(KeyRing.load(settings.key_file))
    except (SettingsError, KeyFileError) as exc:
        raise click.ClickException(str(exc)) from None
    return Database(settings.database_url), settings


def _with_survivor(pseudonym: str, work: Callable[[AsyncSession, Survivor], Awaitable[T]]) -> T:
    """Run `work` on the survivor with this pseudonym in one transaction; a clear error if there is none."""

    async def run() -> T:
        db, _settings = _open()
        try:
            async with db.transaction() as s:
                survivor = await s.scalar(select(Survivor).where(Survivor.pseudonym == pseudonym))
                if survivor is None:
                    raise click.ClickException(f"no survivor with pseudonym {pseudonym!r}")
                return await work(s, survivor)
        finally:
            await db.dispose()

    return asyncio.run(run())


@click.command("erase")
@click.argument("pseudonym")
@click.option("--worker", required=True, help="Your worker id, for the audit record.")
@click.option("--yes", is_flag=True, help="Confirm without the prompt.")
def erase_command(pseudonym: str, worker: str, yes: bool) -> None:
    """Erase everything identifying about the survivor with PSEUDONYM (audited)."""
    if not yes:
        click.confirm(f"Erase all identifying data of {pseudonym}? This cannot be undone", abort=True)

    async def work(s: AsyncSession, survivor: Survivor) -> str:
        report = await erase_survivor(s, survivor, actor=f"worker:{worker}", reason="worker_request",
                                      now=datetime.now(UTC))
        return (f"erased {pseudonym}; {report.provider_deletions} provider message(s) queued for deletion; "
                f"evaluation answers {'kept unlinkably' if report.kept_evaluation_answers else 'deleted'}")

    click.echo(_with_survivor(pseudonym, work))


@click.group("retention")
def retention_group() -> None:
    """Data retention."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Show what would go, change nothing.")
def retention_run(dry_run: bool) -> None:
    """Purge message content and closed cases past their retention period."""

    async def run() -> None:
        db, settings = _open()
        policy = RetentionPolicy(settings.retention_message_days, settings.retention_case_days)
        try:
            async with db.transaction() as s:
                report = await run_retention(s, policy, datetime.now(UTC), dry_run=dry_run)
        finally:
            await db.dispose()
        verb = "would purge" if dry_run else "purged"
        click.echo(f"{verb}: content of {report.inbound_contents} inbound and {report.outbound_contents} outbound "
                   f"message(s) older than {policy.message_days} days; {report.stranger_messages} message(s) from "
                   f"unknown senders; {report.closed_cases} case(s) closed more than {policy.closed_case_days} days")

    asyncio.run(run())


@click.command("reverify")
@click.argument("pseudonym")
@click.option("--worker", required=True, help="Your worker id, for the audit record.")
@click.option("--yes", is_flag=True, help="Confirm without the prompt.")
def reverify_command(pseudonym: str, worker: str, yes: bool) -> None:
    """After speaking to her: her number or account is hers again; resume messages to it (audited)."""
    if not yes:
        click.confirm(f"Have you confirmed with {pseudonym} herself, by another route, that this contact is hers?",
                      abort=True)

    async def work(s: AsyncSession, survivor: Survivor) -> int:
        identities = (await s.scalars(select(ChannelIdentity).where(
            ChannelIdentity.survivor_id == survivor.id, ChannelIdentity.status == "suspect"))).all()
        now = datetime.now(UTC)
        for identity in identities:
            identity.status, identity.verified_at = "active", now
        survivor.outbound_paused_until = None
        s.add(AuditEvent(actor=f"worker:{worker}", action="identity.reverified",
                         survivor_pseudonym=pseudonym, details={"identities": len(identities)}))
        return len(identities)

    click.echo(f"re-verified {_with_survivor(pseudonym, work)} contact route(s); messages resume inside her windows")
