"""APScheduler drives the wave jobs: one interval job, the "tick", that runs `WaveJobs.run_once`.

Why one tick and not one APScheduler job per wave: the truth about waves is in `wave_instances`
(one row per survivor and wave, with its state). The tick looks at what is due *now* in that table,
so nothing depends on APScheduler remembering individual runs, and 100,000 survivors do not mean
a million pickled jobs in a synchronous job store.

Choices made on purpose:
- Job store: APScheduler 3.11's SQLAlchemyJobStore (table `apscheduler_jobs`, created by migration
  0002, not by the store) when `jobstore_url` is given, so the tick survives a restart; else memory.
  The store is synchronous: its few small queries run on the event loop when the scheduler wakes
  (once per interval). It is meant for one scheduler per store; a second scheduler on the same
  store may run the tick too, which is safe because every wave transition is a conditional UPDATE
  on `wave_instances` (see scheduler/jobs.py). APScheduler 4 (async stores, coordination) is alpha.
- `misfire_grace_time=None`: a tick that starts late (event loop busy, process suspended, the
  service was down) still runs, however late. APScheduler's default of 1 second would silently
  drop it.
- `coalesce=True`: many missed ticks run once, not once per missed interval.
- `max_instances=1`: a long catch-up is never overlapped by the next tick.
- On start the tick runs at once (`next_run_time=now`): waves that fell due while nothing ran are
  sent then (until their deadline; past it they are recorded as missing).
- The stored job names `run_tick`, a reference (a persistent store cannot hold a live object); each
  runner's own job store hands every due tick to that runner, so no registry of runners lives in the
  module and two services in one process never run each other's ticks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.logs import log_event
from bot.storage.db import sync_url
from scheduler.jobs import TickSummary, WaveJobs

TICK_JOB_ID = "waves-tick"
JOB_TABLE = "apscheduler_jobs"
MISFIRE_GRACE_TIME: int | None = None  # run late ticks however late (never silently drop one)
COALESCE = True
DEFAULT_INTERVAL_SECONDS = 60


async def run_tick(*_args: Any) -> None:
    """What a job store records for a tick. A persistent store keeps a reference to an importable
    function, never a live runner; the runner's own store hands each due tick to that runner
    (`_OwnedStore`), so this runs only for a tick loaded by a store that no runner owns."""
    log_event("waves.tick_without_runner", logging.WARNING)


class _OwnedStore:
    """Mixed into a job store owned by one runner: each due job runs that runner's `tick`."""

    def __init__(self, tick: Callable[[], Awaitable[Any]], **options: Any) -> None:
        super().__init__(**options)
        self._tick = tick

    def get_due_jobs(self, now: datetime) -> list[Job]:
        jobs: list[Job] = super().get_due_jobs(now)  # type: ignore[misc]  # the store it is mixed into
        for job in jobs:
            job.func, job.args, job.kwargs = self._tick, (), {}
        return jobs


class _OwnedMemoryStore(_OwnedStore, MemoryJobStore):
    pass


class _OwnedSQLAlchemyStore(_OwnedStore, SQLAlchemyJobStore):
    pass


class WaveRunner:
    def __init__(self, jobs: WaveJobs | Any, *, interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
                 jobstore_url: str | None = None, job_id: str = TICK_JOB_ID) -> None:
        """`jobs`: anything with `async run_once()` (the wave jobs, or scheduler.safety_jobs)."""
        self.job_id = job_id
        self.jobs = jobs
        self.interval_seconds = interval_seconds
        self.jobstore_url = jobstore_url
        self.scheduler: AsyncIOScheduler | None = None
        # ticks in progress: stop() waits for them, so the database is never closed under a tick
        self._running: set[asyncio.Task[Any]] = set()

    async def tick(self) -> TickSummary | None:
        """One scheduled tick (APScheduler runs it through this runner's job store)."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            return await self.jobs.run_once()
        except Exception:
            log_event("waves.tick_failed", logging.ERROR, exc_info=True)
            raise
        finally:
            if task is not None:
                self._running.discard(task)

    def ticks_in_progress(self) -> int:
        """How many of its ticks are running now (a benchmark waits for the catch-up)."""
        return len(self._running)

    @classmethod
    def for_service(cls, service: Any, *, interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
                    persistent: bool = True) -> WaveRunner:
        """The runner for bot.service.Service: its database, key ring and dispatcher wake-up."""
        jobs = WaveJobs(service.db, service.keyring, on_outbox=service.dispatcher.wake, clock=service.clock)
        return cls(jobs, interval_seconds=interval_seconds,
                   jobstore_url=service.settings.database_url if persistent else None)

    def _jobstore(self) -> Any:
        if self.jobstore_url is None or self.jobstore_url.startswith("sqlite"):
            # SQLite: the synchronous store would wait on the event loop's own write lock (a
            # deadlock); the tick is re-added at every start and the truth is in our tables anyway
            return _OwnedMemoryStore(self.tick)
        return _OwnedSQLAlchemyStore(self.tick, url=sync_url(self.jobstore_url), tablename=JOB_TABLE,
                                     engine_options={"pool_pre_ping": True})

    def start(self) -> None:
        """Start on the running event loop; the first tick (the catch-up) runs at once."""
        if self.scheduler is not None:
            return
        scheduler = AsyncIOScheduler(
            jobstores={"default": self._jobstore()}, timezone=UTC,
            job_defaults={"coalesce": COALESCE, "misfire_grace_time": MISFIRE_GRACE_TIME, "max_instances": 1},
        )
        scheduler.add_job(
            run_tick, "interval", seconds=self.interval_seconds, id=self.job_id,
            name=self.job_id, replace_existing=True, next_run_time=datetime.now(UTC),
            coalesce=COALESCE, misfire_grace_time=MISFIRE_GRACE_TIME, max_instances=1,
        )
        scheduler.start()
        self.scheduler = scheduler
        store = "memory" if isinstance(scheduler._jobstores["default"], MemoryJobStore) else "sqlalchemy"
        log_event("scheduler.runner_started", job=self.job_id, interval=self.interval_seconds, store=store)

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        # a tick still running is cancelled (its transaction rolls back; every step is idempotent)
        # and awaited, so the caller can close the database safely
        in_flight = list(self._running)
        for task in in_flight:
            task.cancel()
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)

    @classmethod
    def safety_for_service(cls, service: Any, *, interval_seconds: float = 30.0,
                           persistent: bool = True) -> WaveRunner:
        """Expiry, retention, route re-checks and requested erasures, on the same kind of tick."""
        from safety.retention import RetentionPolicy
        from scheduler.safety_jobs import SafetyJobs

        settings = service.settings
        jobs = SafetyJobs(service.db, on_outbox=service.dispatcher.wake, clock=service.clock,
                          retention=RetentionPolicy(settings.retention_message_days, settings.retention_case_days),
                          route_check_days=settings.route_check_days)
        return cls(jobs, interval_seconds=interval_seconds, job_id="safety-tick",
                   jobstore_url=settings.database_url if persistent else None)

    async def run_now(self) -> TickSummary:
        """One tick now, outside APScheduler (tests, `liaison` commands)."""
        return await self.jobs.run_once()
