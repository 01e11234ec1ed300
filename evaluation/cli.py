"""`liaison eval export|report`: the pseudonymised export and the printable report (added to `liaison`
in liaison/cli.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.cli_db import cli_settings, run_db
from bot.clock import system_clock
from bot.programme.milestones import MilestoneError, parse_date
from bot.storage.db import Database
from evaluation.data import Selection
from safety.crypto import KeyRing

T = TypeVar("T")


def _run(work: Callable[[Database, KeyRing], Awaitable[T]]) -> T:
    """Open the configured database and key ring, run `work`, close."""
    return run_db(cli_settings(), work)


# -- eval ------------------------------------------------------------------------------------
@click.group("eval")
def eval_group() -> None:
    """Evaluation data: pseudonymised, consented answers by wave."""


def _selection(since: str | None, until: str | None, site: str | None) -> Selection:
    try:
        first = parse_date(since, "--since") if since else None
        last = parse_date(until, "--until") if until else None
    except MilestoneError as exc:
        raise click.BadParameter(str(exc)) from None
    if first and last and last < first:
        raise click.BadParameter("--until is before --since")
    return Selection(since=first, until=last, site=site.strip() if site else None)


def _generated_at(value: str | None) -> datetime:
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
    from evaluation.export import export

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
    from evaluation.report import report

    selection, now = _selection(since, until, site), _generated_at(generated_at)
    index = _run(lambda db, ring: report(db, ring, out_dir, now=now, selection=selection))
    click.echo(f"report written to {index}")
