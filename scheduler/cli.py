"""`liaison programme set|import` and `liaison waves tick|status` (added to `liaison` in liaison/cli.py;
`liaison programme events|token`: scheduler/programme_cli.py)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import func, select

from bot.cli_db import cli_settings, run_db
from bot.programme.milestones import (
    CLEAR,
    Change,
    MilestoneError,
    apply_change,
    describe,
    parse_csv,
    parse_date,
    parse_outcome,
    parse_site,
)
from bot.storage.db import Database
from bot.storage.models import Survivor, WaveInstance
from safety.crypto import KeyRing

T = TypeVar("T")


def _run(work: Callable[[Database, KeyRing], Awaitable[T]]) -> T:
    """Open the configured database and key ring, run `work`, close."""
    return run_db(cli_settings(), work)


def _actor(actor: str | None) -> str:
    return f"worker:{actor or getpass.getuser()}"


async def _replan(db: Database, ring: KeyRing, survivor_ids: list[int]) -> None:
    from scheduler.jobs import WaveJobs

    jobs = WaveJobs(db, ring)
    for sid in survivor_ids:
        await jobs.replan(sid)


# -- programme -------------------------------------------------------------------------------------
@click.group("programme")
def programme() -> None:
    """His programme: milestones (which anchor her check-in waves), events, and the sites' API tokens."""


def _date_option(value: str | None, name: str) -> object | None:
    if value is None:
        return None
    if value.strip().lower() in ("none", "-", ""):
        return CLEAR
    try:
        return parse_date(value, name)
    except MilestoneError as exc:
        raise click.BadParameter(str(exc)) from None


@programme.command("set")
@click.argument("pseudonym")
@click.option("--start", help="Programme start, YYYY-MM-DD.")
@click.option("--expected-end", help="Expected end, YYYY-MM-DD.")
@click.option("--actual-end", help="Actual end, YYYY-MM-DD ('none' to clear).")
@click.option("--outcome", help="How it ended: completed, dropped_out, excluded ('none' to clear).")
@click.option("--enrolled", help="Her enrolment day if not the day her record was made, YYYY-MM-DD.")
@click.option("--site", help="The programme's site code, for evaluation by site ('none' to clear).")
@click.option("--by", "actor", default=None, help="Worker name for the audit log (default: $USER).")
def programme_set(pseudonym: str, start: str | None, expected_end: str | None, actual_end: str | None,
                  outcome: str | None, enrolled: str | None, site: str | None, actor: str | None) -> None:
    """Set milestones of the survivor with PSEUDONYM; her waves are replanned at once."""
    values: dict[str, object] = {}
    for name, raw in (("programme_start", start), ("expected_end", expected_end), ("actual_end", actual_end),
                      ("enrolled_on", enrolled)):
        v = _date_option(raw, name)
        if v is not None:
            values[name] = v
    if outcome is not None:
        if outcome.strip().lower() in ("none", "-", ""):
            values["outcome"] = CLEAR
        else:
            try:
                values["outcome"] = parse_outcome(outcome)
            except MilestoneError as exc:
                raise click.BadParameter(str(exc), param_hint="--outcome") from None
    if site is not None:
        if site.strip().lower() in ("none", "-", ""):
            values["site"] = CLEAR
        else:
            try:
                values["site"] = parse_site(site)
            except MilestoneError as exc:
                raise click.BadParameter(str(exc), param_hint="--site") from None
    if not values:
        raise click.UsageError("nothing to set: give --start, --expected-end, --actual-end, --outcome, --enrolled "
                               "or --site")

    async def work(db: Database, ring: KeyRing) -> list[tuple[str, str, str]]:
        now = db.clock()
        async with db.transaction() as s:
            sid, problems = await apply_change(s, Change(pseudonym, values), actor=_actor(actor),
                                               today=now.date(), now=now)
            if problems:
                raise click.ClickException("; ".join(problems))
        assert sid is not None
        await _replan(db, ring, [sid])
        async with db.sessions() as s:
            rows = (await s.execute(select(WaveInstance.wave_code, WaveInstance.due_at, WaveInstance.state)
                                    .where(WaveInstance.survivor_id == sid).order_by(WaveInstance.due_at))).all()
        return [(code, due.date().isoformat(), state) for code, due, state in rows]

    waves = _run(work)
    click.echo(f"milestones saved for {pseudonym}; her waves:")
    for code, due, state in waves:
        click.echo(f"  {code:<5} {due}  {state}")


@programme.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "actor", default=None, help="Worker name for the audit log (default: $USER).")
@click.option("--dry-run", is_flag=True, help="Validate only; save nothing.")
def programme_import(csv_file: Path, actor: str | None, dry_run: bool) -> None:
    """Import milestones from the case system's CSV export.

    Columns: pseudonym, programme_start, expected_end, and optionally actual_end, outcome,
    enrolled_on, site. Every row is validated on its own: bad rows are reported with their line and
    not saved, good rows are saved. Exit status 1 when any row was rejected.
    """
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{csv_file}: not UTF-8 text") from None
    parsed = parse_csv(text)

    async def work(db: Database, ring: KeyRing) -> tuple[int, list[tuple[int, str]]]:
        now = db.clock()
        today = now.date()
        errors = list(parsed.errors)
        valid: list[int] = []
        for change in parsed.changes:
            try:
                async with db.transaction() as s:  # one row, one transaction: a bad row costs only itself
                    sid, problems = await apply_change(s, change, actor=_actor(actor), today=today, now=now)
                    if problems:
                        errors.extend((change.line or 0, p) for p in problems)
                        raise _Discard
                    assert sid is not None
                    valid.append(sid)
                    if dry_run:
                        raise _Discard
            except _Discard:
                continue
        if not dry_run:
            await _replan(db, ring, valid)
        return len(valid), errors

    count, errors = _run(work)
    for message in describe(sorted(errors)):
        click.echo(f"{csv_file.name}: {message}", err=True)
    verb = "valid" if dry_run else "imported"
    click.echo(f"{count} row(s) {verb}, {len({line for line, _ in errors})} rejected")
    if errors:
        sys.exit(1)


class _Discard(Exception):
    """Roll this row back (invalid, or a dry run)."""


# -- waves -----------------------------------------------------------------------------------------
@click.group("waves")
def waves_group() -> None:
    """Check-in waves."""


@waves_group.command("tick")
def waves_tick() -> None:
    """Run the wave jobs once now (plan, close, open due, remind); the service does this every minute."""
    from scheduler.jobs import WaveJobs

    summary = _run(lambda db, ring: WaveJobs(db, ring).run_once())
    click.echo(f"planned {summary.planned}, closed {summary.closed}, opened {summary.opened}, "
               f"reminded {summary.reminded}")


@waves_group.command("status")
def waves_status() -> None:
    """How many waves are in each state, by wave (counts only)."""

    async def work(db: Database, _ring: KeyRing) -> list[Any]:
        async with db.sessions() as s:
            return list((await s.execute(
                select(WaveInstance.wave_code, WaveInstance.state, func.count())
                .join(Survivor, Survivor.id == WaveInstance.survivor_id, isouter=True)
                .group_by(WaveInstance.wave_code, WaveInstance.state)
                .order_by(WaveInstance.wave_code, WaveInstance.state)
            )).all())

    rows = _run(work)
    if not rows:
        click.echo("no waves yet: the scheduler plans them on its next tick after a survivor enrols with evaluation "
                   "consent (`liaison waves tick` runs one now)")
    for code, state, n in rows:
        click.echo(f"{code:<5} {state:<10} {n}")
