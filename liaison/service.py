"""The whole service: bot's Service with the scheduler's timers and the evaluators' console pages."""

from __future__ import annotations

from bot.channels.base import Channel
from bot.clock import Clock, system_clock
from bot.service import ConsolePages, Service, TimerFactory
from bot.settings import Settings
from evaluation import console as evaluation_console
from safety.crypto import KeyRing
from scheduler.jobs import replan_waves
from scheduler.runner import WaveRunner

# the check-in waves and the safety jobs (expiry, retention, route re-checks, erasures, SLA)
TIMERS: tuple[TimerFactory, ...] = (WaveRunner.for_service, WaveRunner.safety_for_service)
CONSOLE_PAGES: tuple[ConsolePages, ...] = (evaluation_console.HANDLERS,)


def create_service(settings: Settings, keyring: KeyRing | None = None, channels: dict[str, Channel] | None = None,
                   clock: Clock = system_clock) -> Service:
    """`Service.create` with everything the running service has: the one way to build it."""
    return Service.create(settings, keyring, channels, clock, timers=TIMERS, console_pages=CONSOLE_PAGES,
                          replan_waves=replan_waves)
