"""The whole service: bot's Service with the scheduler's timers and the staff console (with the
evaluators' pages), given from here so no arrow runs from bot up to them."""

from __future__ import annotations

from aiohttp import web

from bot.channels.base import Channel
from bot.clock import Clock, system_clock
from bot.service import InstallPages, Service, TimerFactory
from bot.settings import Settings
from bot.web.host import WebHost
from console.app import install_console
from evaluation import console as evaluation_console
from safety.crypto import KeyRing
from scheduler.jobs import replan_waves
from scheduler.runner import WaveRunner

# the check-in waves and the safety jobs (expiry, retention, route re-checks, erasures, SLA)
TIMERS: tuple[TimerFactory, ...] = (WaveRunner.for_service, WaveRunner.safety_for_service)


def install_staff_console(app: web.Application, host: WebHost) -> None:
    """The console's own pages and the evaluators' (evaluation/console.py)."""
    install_console(app, host, (evaluation_console.HANDLERS,))


PAGES: tuple[InstallPages, ...] = (install_staff_console,)


def create_service(settings: Settings, keyring: KeyRing | None = None, channels: dict[str, Channel] | None = None,
                   clock: Clock = system_clock) -> Service:
    """`Service.create` with everything the running service has: the one way to build it."""
    return Service.create(settings, keyring, channels, clock, timers=TIMERS, pages=PAGES, replan_waves=replan_waves)
