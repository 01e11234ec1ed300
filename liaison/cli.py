"""The `liaison` command: `serve` and `demo` run the whole service; every other group is added here,
explicitly, from the package it belongs to."""

from __future__ import annotations

import asyncio
import socket
from typing import Any, TypeVar

import click

from bot.actions.cli import erase_command, retention_group, reverify_command
from bot.cli import callbacks, invite, keys, migrate
from bot.cli_db import checked_url, cli_settings, load_ring, migrate_database, require_migrated, run_db
from bot.logs import setup_logging
from bot.settings import Settings, SettingsError, demo_settings
from console.staff.cli import audit_group, staff_group
from evaluation.cli import eval_group
from nlu.cli import nlu_group
from safety.crypto import KeyRing
from scheduler.cli import programme, waves_group
from scheduler.programme_cli import add_commands as add_programme_commands

T = TypeVar("T")

DEV_WARNING = """
  ************************************************************************
  *  DEVELOPMENT KEY FILE GENERATED: {path}
  *  It encrypts everything this instance stores. It is for development
  *  and demonstration only: never use it for a real survivor's data.
  ************************************************************************
"""


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Survivor liaison messaging service."""
    if ctx.invoked_subcommand == "nlu":  # nlu reads no environment: its defaults are the service's settings
        ctx.default_map = nlu_defaults(cli_settings())


def nlu_defaults(settings: Settings) -> dict[str, Any]:
    """`liaison nlu` trains into and reads from the cache the service uses, and asks its Rasa server."""
    rasa = {"rasa_url": settings.rasa_url}
    return {"nlu": {"cache_dir": settings.nlu_cache_dir, "parse": rasa, "evaluate": rasa}}


def _run(settings: Settings, ring: KeyRing) -> None:
    from liaison.service import create_service  # the whole service: not for `liaison --help` or `keys`

    setup_logging(settings.log_level)
    try:
        service = create_service(settings, keyring=ring)
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

    if service.problems:  # what the settings alone refuse: said even when the database is out of reach
        raise click.ClickException("refusing to start: " + "; ".join(service.problems))
    require_migrated(settings)  # one line, and no empty database file left behind
    if not asyncio.run(keys_open_the_database()):
        raise click.ClickException("refusing to start: " + "; ".join(service.problems))
    click.echo(settings.channel_summary())
    click.echo(f"listening on http://{settings.host}:{settings.port}"
               + ("  (simulator: /simulator)" if settings.simulator_enabled else ""))
    from aiohttp import web

    app = service.web_app()

    async def freeze_heap(_app: web.Application) -> None:
        service.freeze_heap_when_warm()  # a long-running process: see bot/heap.py

    app.on_startup.append(freeze_heap)  # after the service's own start-up
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)


@click.command()
@click.option("--simulator/--no-simulator", default=None, help="Turn the local simulator channel on.")
def serve(simulator: bool | None) -> None:
    """Run the service with the configured channels."""
    overrides = {} if simulator is None else {"LIAISON_SIMULATOR": simulator}
    settings = cli_settings(**overrides)
    checked_url(settings.database_url)
    _run(settings, load_ring(settings))


@click.command()
def demo() -> None:
    """Run on the embedded default: SQLite under ./var, a development key, the simulator channel."""
    try:
        settings = demo_settings(LIAISON_SIMULATOR=True)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.environment == "production":
        raise click.ClickException("demo refuses to run with LIAISON_ENV=production")
    _port_is_free(settings)  # before any link is printed: they would point at whatever holds the port
    if not settings.key_file.exists():
        KeyRing.generate(settings.key_file, development=True)
        click.secho(DEV_WARNING.format(path=settings.key_file), fg="red", bold=True, err=True)
    migrate_database(settings.database_url)
    _print_demo_invitation(settings)
    _print_dev_admin(settings)
    _print_demo_programme(settings)
    _run(settings, load_ring(settings))


def _port_is_free(settings: Settings) -> None:
    with socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds: TIME_WAIT is no obstacle
        try:
            probe.bind((settings.host, settings.port))
        except OSError as exc:
            raise click.ClickException(
                f"port {settings.port} on {settings.host} is taken ({exc.strerror}; another `liaison demo` or "
                f"`serve`?): stop it, or set LIAISON_PORT to a free port") from None


def _print_demo_invitation(settings: Settings) -> None:
    """A code to try the simulator with at once: enrolment is by invitation only, so without one the
    bot answers as an unknown number would."""
    from datetime import timedelta

    from bot.enrolment import create_invitation

    async def work(db: Any, ring: KeyRing) -> Any:
        async with db.transaction() as s:
            return await create_invitation(s, ring, channel="simulator", locale="en", country="GB",
                                           created_by="demo", now=db.clock(), valid_for=timedelta(hours=24),
                                           case_site=DEMO_SITE, case_ref=DEMO_CASE)

    created = run_db(settings, work)
    click.secho(f"simulator: open http://{settings.host}:{settings.port}/simulator and send the invitation code "
                f"{created.display_code} (valid 24 h, once; linked to his programme case {DEMO_CASE} at site "
                f"{DEMO_SITE}; more with `liaison invite create --channel simulator --locale en`)",
                fg="green", err=True)


DEMO_SITE, DEMO_CASE = "demo", "DEMO-1"


def _print_demo_programme(settings: Settings) -> None:
    """A site token and the curl call that posts a programme event for the demo invitation's case, so
    a risk notice can be followed from his programme to her phone (a second worker approves it).
    One demo token lives at a time: the ones earlier starts printed are revoked."""
    from bot.programme.tokens import create_token, list_tokens, revoke_token

    async def work(db: Any, _ring: KeyRing) -> tuple[tuple[str, str], int]:
        revoked = 0
        async with db.transaction() as s:
            for earlier in await list_tokens(s):
                if earlier.site == DEMO_SITE and earlier.created_by == "demo" and earlier.revoked_at is None:
                    await revoke_token(s, earlier.id, actor="demo", now=db.clock())
                    revoked += 1
            _row, token = await create_token(s, DEMO_SITE, actor="demo", now=db.clock())
            return (token, db.clock().date().isoformat()), revoked

    (token, today), revoked = run_db(settings, work)
    if revoked:
        click.secho(f"the demo site token printed by the earlier start is revoked ({revoked}); this one replaces it",
                    fg="yellow", err=True)
    click.secho(f"programme event for that case (after she enrols): curl -sS -X POST "
                f"http://{settings.host}:{settings.port}/api/programme-events -H 'Authorization: Bearer {token}' "
                f"-H 'Content-Type: application/json' -d '{{\"event_id\": \"demo-{today}\", \"case_ref\": "
                f"\"{DEMO_CASE}\", \"kind\": \"risk_raised\", \"occurred_on\": \"{today}\"}}'",
                fg="green", err=True)


def _print_dev_admin(settings: Settings) -> None:
    """Development console accounts, so the console can be tried at once (never in production); an
    account that has signed up already keeps its password and TOTP across restarts."""
    from console.staff.cli import DEV_ADMIN, DEV_ADMIN_WARNING, DEV_SUPERVISOR, enrol_link, ensure_dev_admin

    # an urgent notice needs a second person's approval: a second account to give it
    for name, roles in ((DEV_ADMIN, ["admin", "liaison", "supervisor"]), (DEV_SUPERVISOR, ["supervisor"])):
        async def work(db: Any, _ring: KeyRing, name: str = name, roles: list[str] = roles) -> str | None:
            return await ensure_dev_admin(db, db.clock(), name=name, roles=roles)

        token = run_db(settings, work)
        if token is None:
            click.secho(f"console account {name}: signed up already, unchanged (a new sign-up link: "
                        f"`liaison staff reset {name}`)", fg="yellow", err=True)
            continue
        link = enrol_link(settings.public_url, token)
        click.secho(DEV_ADMIN_WARNING.format(name=name, roles=", ".join(roles), link=link), fg="red", bold=True,
                    err=True)


# -- every command, in one visible place ---------------------------------------------------------
for command in (
    serve, demo,
    migrate, keys, invite, callbacks,                      # bot/cli.py
    erase_command, reverify_command, retention_group,      # bot/actions/cli.py
    staff_group, audit_group,                              # console/staff/cli.py
    nlu_group,                                             # nlu/cli.py
    programme, waves_group,                                # scheduler/cli.py
    eval_group,                                            # evaluation/cli.py
):
    cli.add_command(command)
add_programme_commands(programme)                          # scheduler/programme_cli.py: programme events|token


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
