"""`liaison staff ...` (accounts and one-time enrolment links) and `liaison audit verify`."""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import select

from bot.cli_db import cli_settings, run_db
from bot.settings import Settings
from console.staff import accounts

DEV_ADMIN = "dev-admin"
DEV_SUPERVISOR = "dev-supervisor"
DEV_ADMIN_WARNING = """
  ************************************************************************
  *  DEVELOPMENT CONSOLE ACCOUNT '{name}' (roles: {roles})
  *  One-time sign-up link: {link}
  *  For development and demonstration only: never on a real service.
  ************************************************************************
"""



T = TypeVar("T")


def run_staff(settings: Settings, work: Callable[[Any, Any], Awaitable[T]]) -> T:
    """`run_db` for the account commands: a refusal (unknown name, last admin...) is one line, no traceback."""
    try:
        return run_db(settings, work)
    except accounts.StaffError as exc:
        raise click.ClickException(str(exc)) from None


def enrol_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/console/enrol/{token}"


@click.group("staff")
def staff_group() -> None:
    """Console accounts: add, list, disable, reset (each add/reset prints a one-time enrolment link)."""


@staff_group.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(accounts.ROLES),
              help="Repeat for several roles.")
@click.option("--tz", "timezone", default="Europe/London", show_default=True, help="Their time zone.")
@click.option("--site", default=None, help="Programme role: the site whose events they send.")
def staff_add(name: str, roles: tuple[str, ...], timezone: str, site: str | None) -> None:
    settings = cli_settings()

    async def work(db: Any, _ring: Any) -> str:
        async with db.transaction() as s:
            _member, token = await accounts.add_staff(s, name, list(roles), db.clock(),
                                                      actor=f"cli:{getpass.getuser()}", timezone=timezone,
                                                      site=site)
            return token

    token = run_staff(settings, work)
    click.echo(f"added {name} ({', '.join(sorted(set(roles)))}{f'; site {site}' if site else ''})")
    if "programme" in roles and not site:
        click.secho("note: without --site this programme account cannot send events", fg="yellow", err=True)
    click.echo(f"one-time enrolment link (valid 72 hours): {enrol_link(settings.public_url, token)}")


@staff_group.command("list")
def staff_list() -> None:

    async def work(db: Any, _ring: Any) -> list[Any]:
        from bot.storage.models import StaffMember

        async with db.sessions() as s:
            return list((await s.scalars(select(StaffMember).order_by(StaffMember.name))).all())

    for m in run_db(cli_settings(), work):
        click.echo(f"{m.name}\t{','.join(m.roles)}\t{m.status}\ttelegram={'yes' if m.telegram_chat_index else 'no'}"
                   f"\tsms={'yes' if m.sms_number else 'no'}" + (f"\tsite={m.site}" if m.site else ""))


@staff_group.command("disable")
@click.argument("name")
def staff_disable(name: str) -> None:

    async def work(db: Any, _ring: Any) -> None:
        async with db.transaction() as s:
            await accounts.disable_staff(s, name, db.clock(), actor=f"cli:{getpass.getuser()}")

    run_staff(cli_settings(), work)
    click.echo(f"{name} disabled; their sessions have ended")


@staff_group.command("reset")
@click.argument("name")
def staff_reset(name: str) -> None:
    settings = cli_settings()

    async def work(db: Any, _ring: Any) -> str:
        async with db.transaction() as s:
            return await accounts.reset_staff(s, name, db.clock(), actor=f"cli:{getpass.getuser()}")

    token = run_staff(settings, work)
    click.echo(f"one-time enrolment link for {name} (valid 72 hours): {enrol_link(settings.public_url, token)}")


@staff_group.command("clear-slowdown")
@click.argument("name")
def staff_clear_slowdown(name: str) -> None:
    """Let NAME sign in again at once (and every address): failed sign-ins slowed them down."""

    async def work(db: Any, _ring: Any) -> int:
        async with db.transaction() as s:
            return await accounts.clear_slowdown(s, name, db.clock(), actor=f"cli:{getpass.getuser()}")

    cleared = run_staff(cli_settings(), work)
    click.echo(f"{name} can sign in again at once ({cleared} slow-down(s) cleared)")


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@click.option("--witness", "witness_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The witness file of chain heads (default: LIAISON_AUDIT_WITNESS_FILE).")
def audit_verify(witness_file: Path | None) -> None:
    """Exit 0 when the chain is intact and reaches every head the witness recorded; otherwise name
    the first row that breaks it and exit 1."""
    from bot.audit_anchor import WitnessError, read_witness
    from bot.storage.audit import verify_chain

    settings = cli_settings()
    path = witness_file or settings.audit_witness_file
    try:
        heads = read_witness(path)
    except WitnessError as exc:
        raise click.ClickException(str(exc)) from None
    if path is not None and not path.exists():
        raise click.ClickException(f"witness file {path} not found")

    async def work(db: Any, _ring: Any) -> Any:
        async with db.sessions() as s:
            return await verify_chain(s, heads)

    report = run_db(settings, work)
    if report.ok:
        click.echo(f"audit chain intact: {report.rows} rows, head seq {report.head_seq}; "
                   + (f"{report.witnessed} witnessed head(s) reached" if path is not None else
                      "no witness file (LIAISON_AUDIT_WITNESS_FILE): a cut tail cannot be seen"))
        return
    click.echo(f"audit chain BROKEN at row id {report.first_broken_id}: {report.problem}", err=True)
    raise SystemExit(1)


async def ensure_dev_admin(db: Any, now: Any, *, name: str = DEV_ADMIN,
                           roles: Sequence[str] = ("admin", "liaison", "supervisor")) -> str | None:
    """A development account (the admin is also liaison and supervisor, so the demo can be driven; a
    second supervisor gives an urgent notice its second approval) and its sign-up link. One that has
    signed up already is left as it is (None): restarting the demo never resets a password or TOTP."""
    async with db.transaction() as s:
        member = await accounts.by_name(s, name)
        if member is None:
            _m, token = await accounts.add_staff(s, name, list(roles), now, actor="demo")
            return token
        if member.status != "enrolling":
            return None
        return await accounts.reset_staff(s, name, now, actor="demo")  # its earlier link was never used
