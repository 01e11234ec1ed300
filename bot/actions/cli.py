"""Worker commands for erasure and retention (added to `liaison` in liaison/cli.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.pause import lift_pause
from bot.cli_db import cli_settings, run_db
from bot.storage.db import Database
from bot.storage.models import AuditEvent, ChannelIdentity, Survivor
from safety.crypto import KeyRing
from safety.retention import RetentionPolicy

T = TypeVar("T")


def _with_survivor(pseudonym: str, work: Callable[[AsyncSession, Survivor, datetime], Awaitable[T]]) -> T:
    """Run `work(session, survivor, now)` on the survivor with this pseudonym in one transaction; one clear
    line if there is none."""

    async def run(db: Database, _ring: KeyRing) -> T:
        async with db.transaction() as s:
            survivor = await s.scalar(select(Survivor).where(Survivor.pseudonym == pseudonym))
            if survivor is None:
                raise click.ClickException(f"no survivor with pseudonym {pseudonym!r}")
            return await work(s, survivor, db.clock())

    return run_db(cli_settings(), run)


def _exists(pseudonym: str) -> None:
    """Checked before any question is asked: a typo must not lead a worker through a confirmation."""

    async def check(s: AsyncSession, _survivor: Survivor, _now: datetime) -> None:
        return None

    _with_survivor(pseudonym, check)


@click.command("erase")
@click.argument("pseudonym")
@click.option("--worker", required=True, help="Your worker id, for the audit record.")
@click.option("--yes", is_flag=True, help="Confirm without the prompt.")
def erase_command(pseudonym: str, worker: str, yes: bool) -> None:
    """Erase everything identifying about the survivor with PSEUDONYM (audited)."""
    _exists(pseudonym)
    if not yes:
        click.confirm(f"Erase all identifying data of {pseudonym}? This cannot be undone", abort=True)

    async def work(s: AsyncSession, survivor: Survivor, now: datetime) -> str:
        from bot.actions.erasure import erase_survivor  # the outbox and flows: not for `--help`

        report = await erase_survivor(s, survivor, actor=f"worker:{worker}", reason="worker_request", now=now)
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

    settings = cli_settings()
    policy = RetentionPolicy(settings.retention_message_days, settings.retention_case_days)

    async def run(db: Database, _ring: KeyRing) -> None:
        from bot.actions.retention import run_retention

        async with db.transaction() as s:
            report = await run_retention(s, policy, db.clock(), dry_run=dry_run)
        verb = "would purge" if dry_run else "purged"
        click.echo(f"{verb}: content of {report.inbound_contents} inbound and {report.outbound_contents} outbound "
                   f"message(s) older than {policy.message_days} days; {report.stranger_messages} message(s) from "
                   f"unknown senders; {report.programme_details} programme event note(s) and {report.notice_texts} "
                   f"finished notice text(s) older than {policy.message_days} days; {report.closed_cases} case(s) "
                   f"closed more than {policy.closed_case_days} days")

    run_db(settings, run)


@click.command("reverify")
@click.argument("pseudonym")
@click.option("--worker", required=True, help="Your worker id, for the audit record.")
@click.option("--yes", is_flag=True, help="Confirm without the prompt.")
def reverify_command(pseudonym: str, worker: str, yes: bool) -> None:
    """After speaking to her: her number or account is hers again; resume messages to it (audited)."""
    async def suspect_routes(s: AsyncSession, survivor: Survivor, _now: datetime) -> int:
        return len((await s.scalars(select(ChannelIdentity.id).where(
            ChannelIdentity.survivor_id == survivor.id, ChannelIdentity.status == "suspect"))).all())

    if not _with_survivor(pseudonym, suspect_routes):
        # nothing to re-verify: her pause (after a quick exit, say) is hers and stays as it is
        raise click.ClickException(f"{pseudonym} has no contact route waiting to be re-verified; nothing changed")
    if not yes:
        click.confirm(f"Have you confirmed with {pseudonym} herself, by another route, that this contact is hers?",
                      abort=True)

    async def work(s: AsyncSession, survivor: Survivor, now: datetime) -> int:
        identities = (await s.scalars(select(ChannelIdentity).where(
            ChannelIdentity.survivor_id == survivor.id, ChannelIdentity.status == "suspect"))).all()
        for identity in identities:
            identity.status, identity.verified_at = "active", now
        await lift_pause(s, survivor, now)
        s.add(AuditEvent(actor=f"worker:{worker}", action="identity.reverified",
                         survivor_pseudonym=pseudonym, details={"identities": len(identities)}))
        return len(identities)

    click.echo(f"re-verified {_with_survivor(pseudonym, work)} contact route(s); messages resume inside her windows")
