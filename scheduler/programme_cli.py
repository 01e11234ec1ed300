"""`liaison programme events import FILE.csv --site SITE` and `liaison programme token create|revoke|list`,
added to the `liaison programme` group (scheduler/cli.py) by `add_commands` in liaison/cli.py."""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from bot.cli_db import cli_settings, run_db
from bot.storage.db import Database
from safety.crypto import KeyRing

PROGRESS_THRESHOLD = 200  # rows: a bar on long files


def _actor(actor: str | None) -> str:
    return f"worker:{actor or getpass.getuser()}"


@click.group("events")
def events_group() -> None:
    """Events from his programme (started, dropped out, excluded, risk raised, ...)."""


@dataclass
class ImportSummary:
    new: int = 0
    replays: int = 0
    matched: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


@events_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", required=True, help="The programme site that sent the file (its events are unique per site).")
@click.option("--by", "actor", default=None, help="Worker name for the audit log (default: $USER).")
@click.option("--progress/--no-progress", default=None, help=f"Progress bar (default: from {PROGRESS_THRESHOLD} rows).")
def events_import(csv_file: Path, site: str, actor: str | None, progress: bool | None) -> None:
    """Import events from a programme's CSV export.

    Columns: event_id, case_ref, kind, occurred_on, and optionally reason_class, sessions_missed,
    expected_end, detail (kinds: content/programme_events.yaml). Every row is checked on its own:
    bad rows are reported with their line and field and not saved, good rows are saved. A row
    already received (same site and event_id) is counted as a replay and changes nothing. Exit
    status 1 when any row was rejected.
    """
    from bot.programme.csv_import import parse_events_csv
    from bot.programme.intake import receive
    from bot.programme.milestones import MilestoneError, describe, parse_site
    from content.programme_events import EventKindsError, default_kinds
    from scheduler.jobs import replan_waves

    try:
        site = parse_site(site)
    except MilestoneError as exc:
        raise click.BadParameter(str(exc), param_hint="--site") from None
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{csv_file}: not UTF-8 text") from None
    try:
        kinds = default_kinds()
    except EventKindsError as exc:
        raise click.ClickException(str(exc)) from None

    async def work(db: Database, ring: KeyRing) -> ImportSummary:
        parsed = parse_events_csv(text, kinds, now=db.clock())
        summary = ImportSummary(errors=list(parsed.errors))
        touched: list[int] = []
        show = progress if progress is not None else len(parsed.events) >= PROGRESS_THRESHOLD
        from tqdm import tqdm

        with tqdm(total=len(parsed.events), unit="event", disable=not show, file=sys.stderr, desc="import") as bar:
            for _line, event in parsed.events:
                got = await receive(db, ring, event, site=site, via="csv", by=_actor(actor), kinds=kinds)
                if got.replay:
                    summary.replays += 1
                else:
                    summary.new += 1
                    summary.matched += got.matched
                    touched.extend(got.survivor_ids)
                bar.update(1)
        await replan_waves(db, ring, touched)
        return summary

    summary = run_db(cli_settings(), work)
    for message in describe(sorted(summary.errors)):
        click.echo(f"{csv_file.name}: {message}", err=True)
    rejected = len({line for line, _ in summary.errors})
    click.echo(f"{summary.new} new event(s) ({summary.matched} matched to her record, "
               f"{summary.new - summary.matched} held for a liaison worker to link), "
               f"{summary.replays} already received, {rejected} row(s) rejected")
    if summary.errors:
        sys.exit(1)


@click.group("token")
def token_group() -> None:
    """Bearer tokens with which a programme site posts events to /api/programme-events."""


@token_group.command("create")
@click.argument("site")
@click.option("--by", "actor", default=None, help="Worker name for the audit log (default: $USER).")
def token_create(site: str, actor: str | None) -> None:
    """A new token for SITE, printed once (only its SHA-256 is kept)."""
    from bot.programme.tokens import TokenError, create_token

    async def work(db: Database, _ring: KeyRing) -> tuple[int, str, str]:
        async with db.transaction() as s:
            row, token = await create_token(s, site, actor=_actor(actor), now=db.clock())
            return row.id, row.site, token

    try:
        token_id, site_code, token = run_db(cli_settings(), work)
    except TokenError as exc:
        raise click.BadParameter(str(exc), param_hint="SITE") from None
    click.echo(f"token {token_id} for site {site_code}:")
    click.echo(token)
    click.echo("it is shown only now: give it to the site's case system as 'Authorization: Bearer <token>'; "
               f"`liaison programme token revoke {token_id}` stops it", err=True)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@click.option("--by", "actor", default=None, help="Worker name for the audit log (default: $USER).")
def token_revoke(token_id: int, actor: str | None) -> None:
    """Stop token ID at once (it stays listed, so the audit log can still name it)."""
    from bot.programme.tokens import TokenError, revoke_token

    async def work(db: Database, _ring: KeyRing) -> str:
        async with db.transaction() as s:
            return (await revoke_token(s, token_id, actor=_actor(actor), now=db.clock())).site

    try:
        site = run_db(cli_settings(), work)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"token {token_id} (site {site}) revoked")


@token_group.command("list")
def token_list() -> None:
    """Every token: id, site, its first characters, made, last used, revoked."""
    from bot.programme.tokens import list_tokens

    async def work(db: Database, _ring: KeyRing) -> list[Any]:
        async with db.sessions() as s:
            return await list_tokens(s)

    rows = run_db(cli_settings(), work)
    if not rows:
        click.echo("no tokens: `liaison programme token create SITE` makes one")
    for t in rows:
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        click.echo(f"{t.id}\t{t.site}\t{t.label}...\tmade {t.created_at:%Y-%m-%d} by {t.created_by}\t"
                   f"last used {used}\t{state}")


def add_commands(programme: click.Group) -> None:
    """Add `events` and `token` to the `liaison programme` group."""
    programme.add_command(events_group)
    programme.add_command(token_group)
