"""`liaison programme set|import`, `liaison eval export|report`, `liaison waves tick|status`
(`liaison programme events|token`: bot/programme/cli.py).

Registered in bot/cli.py with `register(cli)` (or `cli.add_command` for each group).
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import func, select

from bot.storage.db import Database
from bot.storage.models import Survivor, WaveInstance
from safety.crypto import KeyRing
from scheduler.milestones import (
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

T = TypeVar("T")


def _run(work: Callable[[Database, KeyRing], Awaitable[T]]) -> T:
    """Open the configured database and key ring, run `work`, close."""
    from bot.cli_db import cli_settings, run_db

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


# -- evaluation ------------------------------------------------------------------------------------
@click.group("eval")
def eval_group() -> None:
    """Evaluation data: pseudonymised, consented answers by wave."""


def _selection(since: str | None, until: str | None, site: str | None) -> Any:
    from scheduler.evaluation.data import Selection

    try:
        first = parse_date(since, "--since") if since else None
        last = parse_date(until, "--until") if until else None
    except MilestoneError as exc:
        raise click.BadParameter(str(exc)) from None
    if first and last and last < first:
        raise click.BadParameter("--until is before --since")
    return Selection(since=first, until=last, site=site.strip() if site else None)


def _generated_at(value: str | None) -> datetime:
    from bot.clock import system_clock

    if not value:
        return system_clock()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"--generated-at: {value!r} is not an ISO date-time") from None
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed((
        click.option("--since", help="Only waves due on or after this day (YYYY-MM-DD, UTC)."),
        click.option("--until", help="Only waves due on or before this day (YYYY-MM-DD, UTC)."),
        click.option("--site", help="Only survivors whose programme is at this site (programme_milestones.site)."),
        click.option("--generated-at", "generated_at", help="The 'generated at' stamp (ISO date-time; default: now), "
                                                            "for a report that can be made again identically."),
    )):
        command = option(command)
    return command


@eval_group.command("export")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for responses.csv, codebook.json and codebook.csv.")
@click.option("--include-free-text", is_flag=True,
              help="Add her free-text answers (may identify her or others: personal data).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on large exports).")
@_selection_options
def eval_export(out_dir: Path, include_free_text: bool, progress: bool | None, since: str | None,
                until: str | None, site: str | None, generated_at: str | None) -> None:
    """Tidy CSV (one row per survivor pseudonym x wave x item) and its codebook."""
    from scheduler.evaluation.export import export

    selection, now = _selection(since, until, site), _generated_at(generated_at)
    result = _run(lambda db, ring: export(db, ring, out_dir, include_free_text=include_free_text,
                                          progress=progress, selection=selection, now=now))
    click.echo(f"{result.rows} rows ({result.survivors} survivors, {result.waves} waves) -> {result.data}; "
               f"codebook {result.codebook}")


@eval_group.command("report")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for index.html, the PNG charts and figures.json.")
@_selection_options
def eval_report(out_dir: Path, since: str | None, until: str | None, site: str | None,
                generated_at: str | None) -> None:
    """HTML report with charts: never afraid (paired and cross-sectional), fear, behaviours, response
    and attrition."""
    from scheduler.evaluation.report import report

    selection, now = _selection(since, until, site), _generated_at(generated_at)
    index = _run(lambda db, ring: report(db, ring, out_dir, now=now, selection=selection))
    click.echo(f"report written to {index}")


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


def register(cli: click.Group) -> None:
    """Add the groups to the `liaison` command."""
    for group in (programme, eval_group, waves_group):
        cli.add_command(group)
