"""The running service: settings, keys, database, channels, inbound pipeline, dispatcher, web app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from bot.audit_anchor import AuditAnchor
from bot.channels.base import Channel
from bot.channels.registry import build_channels, channel_routes
from bot.clock import Clock, system_clock
from bot.delivery_events import DELIVERY_EVENTS
from bot.heap import freeze_after
from bot.inbound import InboundPipeline
from bot.logs import log_event
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.urgent_first import UrgentFirst
from bot.policies import Policies
from bot.programme.answer_floor import answer_floor
from bot.programme.api import programme_api_routes
from bot.programme.settler import Settler
from bot.settings import Settings
from bot.startup_checks import production_problems
from bot.storage.db import Database
from bot.storage.key_canary import KeyMismatch, check_or_record
from bot.voice import webhook as voice_webhook
from bot.voice.client import VoiceClient
from bot.web.health import health_routes
from bot.web.host import WebHost
from content import LOCALES
from nlu.service import NluService
from safety.crypto import KeyRing
from safety.pin import PinHasher


class Timer(Protocol):
    """Something that runs on a timer while the service runs (scheduler/runner.py: the ticks)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


TimerFactory = Callable[["Service"], Timer]
# web pages above bot (the staff console, with the evaluators' pages) installed on the service's app
InstallPages = Callable[[web.Application, WebHost], None]
# replan her check-in waves at once after her programme milestones moved (the scheduler's)
ReplanWaves = Callable[[Database, KeyRing, Iterable[int]], Awaitable[None]]


@dataclass
class Service:
    settings: Settings
    keyring: KeyRing
    db: Database
    channels: dict[str, Channel]
    dispatcher: Dispatcher
    pipeline: InboundPipeline
    nlu: NluService
    clock: Clock = system_clock
    # why this service must not be trusted to serve (a key file that does not open the database,
    # production refusals): /healthz reports them with 503 and nothing is dispatched
    problems: list[str] = field(default_factory=list)
    # given by the composition root (liaison/service.py), so bot never imports the layers above it
    timers: tuple[TimerFactory, ...] = ()
    pages: tuple[InstallPages, ...] = ()
    replan_waves: ReplanWaves | None = None  # None: the scheduler's next tick replans them
    voice: VoiceClient | None = None  # "Call her now" (issue 29): on with Twilio and a number to ring from
    runners: list[Timer] = field(default_factory=list)
    anchor: AuditAnchor | None = None  # the audit chain's head, written outside the database while running
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # programme events are matched after their sender has the answer (bot/programme/settler.py)
        self.settler = Settler(self.db, self.replan)

    def settle_later(self, event_id: int, actor: str) -> None:
        """Match a stored programme event to her case in the background, after the answer."""
        self.settler.submit(event_id, actor)

    @classmethod
    def create(cls, settings: Settings, keyring: KeyRing | None = None,
               channels: dict[str, Channel] | None = None, clock: Clock = system_clock, *,
               timers: tuple[TimerFactory, ...] = (), pages: tuple[InstallPages, ...] = (),
               replan_waves: ReplanWaves | None = None) -> Service:
        """`clock` is the one source of "now" for everything the service does (tests set it). The
        whole service, with its timers and the staff console, is `liaison.service.create_service`."""
        ring = keyring or KeyRing.load(settings.key_file)
        db = Database(settings.database_url, ring, clock=clock, policies=Policies.from_settings(settings))
        chans = channels if channels is not None else build_channels(settings)
        urgent_first = UrgentFirst()  # her danger text, then its answers' sends, before ordinary work
        dispatcher = Dispatcher(db, chans, events=DELIVERY_EVENTS, retry_budgets=settings.outbox_retry_budgets,
                                base_backoff=settings.outbox_base_backoff, max_backoff=settings.outbox_max_backoff,
                                claim_lease=settings.outbox_claim_lease,
                                poll_interval=settings.outbox_poll_interval, clock=clock, urgent_first=urgent_first)
        pipeline = InboundPipeline(db, ring, on_outbox=dispatcher.wake_for, clock=clock,
                                   pin_hasher=PinHasher.for_environment(settings.environment),
                                   urgent_first=urgent_first)
        # a model missing from the cache is trained in a child process: scikit-learn never stays resident here
        nlu = NluService(cache_dir=settings.nlu_cache_dir, rasa_url=settings.rasa_url, timeout=settings.rasa_timeout,
                         train_apart=True)
        problems = production_problems(settings, ring, chans)
        return cls(settings, ring, db, chans, dispatcher, pipeline, nlu, clock, problems, timers, pages,
                   replan_waves, VoiceClient.from_settings(settings))

    async def replan(self, survivor_ids: Iterable[int]) -> None:
        """Her waves follow her moved milestones now, where the scheduler is part of this service."""
        if self.replan_waves is not None:
            await self.replan_waves(self.db, self.keyring, survivor_ids)

    async def check_keys(self) -> bool:
        """The key-ring canary (bot.storage.key_canary): written on the first start, checked on every
        other. A mismatch is recorded as a problem; returns whether the keys open the database."""
        try:
            await check_or_record(self.db, self.keyring, self.clock())
        except KeyMismatch as exc:
            if str(exc) not in self.problems:
                self.problems.append(str(exc))
            return False
        return True

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024, middlewares=[
            answer_floor(self.settings.programme_answer_floor), self._count_requests, self._refuse_when_unsafe])
        app.add_routes(health_routes(self))
        app.add_routes(channel_routes(self))
        app.add_routes(programme_api_routes(self))
        if self.voice is not None:
            app.add_routes(voice_webhook.routes(self, self.voice))
        for install in self.pages:
            install(app, self)
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    @web.middleware
    async def _count_requests(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """The programme events' matching waits for a pause in the requests (bot/programme/settler.py)."""
        with self.settler.traffic.answering():
            return await handler(request)

    @web.middleware
    async def _refuse_when_unsafe(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """With a problem recorded (a key file that does not open the database, a refused production
        set-up) nothing is accepted or written: only /healthz answers, with the reasons."""
        if self.problems and request.path != "/healthz":
            return web.json_response({"ok": False, "error": "service refused to start"}, status=503)
        return await handler(request)

    async def _on_startup(self, _app: web.Application) -> None:
        await self.start_background()

    async def _on_cleanup(self, _app: web.Application) -> None:
        await self.stop()

    @property
    def pin_hasher(self) -> PinHasher:
        """The one argon2id hasher, for her PINs and the staff's passwords."""
        return self.pipeline.pin_hasher

    async def interpret(self, text: str, locale: str) -> str | None:
        """The intent for free text no flow understood, after the danger decision (nlu/service.py):
        ``danger_now``, ``danger_check`` (ask her), a classifier intent, or None when unsure."""
        return (await self.nlu.understand(text, locale)).flow_intent

    def freeze_heap_when_warm(self) -> None:
        """For the long-running `serve` process: once start-up (and the NLU warm-up) is done, its
        objects leave the garbage collector's sight (bot/heap.py)."""
        warm_up = [t for t in self._tasks if t.get_name() == "nlu-warm-up"]
        self._tasks.append(asyncio.create_task(freeze_after(warm_up), name="heap-freeze"))

    async def _warm_nlu(self) -> None:
        for locale in LOCALES:
            try:
                await asyncio.to_thread(self.nlu.model, locale)
            except Exception:
                log_event("nlu.warm_up_failed", logging.WARNING, locale=locale)

    async def start_background(self, *, scheduler: bool = True) -> None:
        """Recover what a crash left behind, then run the dispatcher and the scheduled jobs; with a
        key file that does not open the database, or a refused production set-up, run nothing."""
        if not await self.check_keys() or self.problems:
            log_event("service.refused", logging.CRITICAL, problems=len(self.problems))
            return
        self.pipeline.interpreter = self.interpret
        # train or load the embedded models now, off the loop, so her first free text does not wait
        self._tasks.append(asyncio.create_task(self._warm_nlu(), name="nlu-warm-up"))
        await self.pipeline.process_pending()
        await self.settler.recover()
        if scheduler:
            self.runners = [make(self) for make in self.timers]
            for runner in self.runners:
                runner.start()
        self._tasks.append(asyncio.create_task(self.dispatcher.run_forever(), name="outbox-dispatcher"))
        self.anchor = AuditAnchor(self.db, self.settings.audit_witness_file, self.settings.audit_anchor_minutes * 60)
        self._tasks.append(asyncio.create_task(self.anchor.run_forever(), name="audit-anchor"))
        for channel in self.channels.values():
            starter = getattr(channel, "start_background", None)
            if starter is not None:
                self._tasks.append(asyncio.create_task(starter(self), name=f"{channel.name}-background"))
        log_event("service.started", channels=sorted(self.channels))

    async def stop(self) -> None:
        await self.settler.stop()
        for runner in self.runners:
            await runner.stop()
        self.runners.clear()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self.anchor is not None:  # the head as this process leaves it
            await self.anchor.stop()
            self.anchor = None
        await self.dispatcher.stop_workers()
        for channel in self.channels.values():
            try:
                await channel.close()
            except Exception:
                log_event("channel.close_failed", logging.WARNING, channel=channel.name)
        if self.voice is not None:
            await self.voice.close()
        await self.nlu.close()
        await self.db.dispose()
