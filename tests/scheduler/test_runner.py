"""The APScheduler runner: catch-up at start, a persistent tick that survives restarts, the misfire
and coalesce settings chosen on purpose, and two schedulers on one database sending nothing twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.storage.db import Database
from bot.storage.models import apscheduler_jobs
from scheduler.jobs import TickSummary, WaveJobs
from scheduler.runner import TICK_JOB_ID, WaveRunner
from tests.scheduler.support import enrol, outbox

ALWAYS_OPEN = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]


class CountingJobs(WaveJobs):
    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.ticks = 0
        self.ticked = asyncio.Event()

    async def run_once(self) -> TickSummary:
        summary = await super().run_once()
        self.ticks += 1
        self.ticked.set()
        return summary


@pytest.fixture
async def db(database_url: str, keyring):
    database = Database(database_url, keyring)
    yield database
    await database.dispose()


async def _job_rows(db: Database) -> int:
    async with db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(apscheduler_jobs)) or 0)


async def test_the_runner_catches_up_at_start_and_its_tick_survives_restarts(db, database_url, keyring) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    sid = await enrol(db, keyring, created_at=yesterday, windows=ALWAYS_OPEN)  # T0 fell due while nothing ran
    for restart in range(3):
        jobs = CountingJobs(db, keyring)
        runner = WaveRunner(jobs, interval_seconds=3600, jobstore_url=database_url)
        runner.start()
        try:
            await asyncio.wait_for(jobs.ticked.wait(), 15)  # the catch-up runs at once, not in an hour
            assert runner.scheduler is not None
            job = runner.scheduler.get_job(TICK_JOB_ID)
            assert job.misfire_grace_time is None  # a late tick runs however late (default 1 s drops it)
            assert job.coalesce is True and job.max_instances == 1
            assert job.next_run_time > datetime.now(UTC) + timedelta(minutes=50)
        finally:
            await runner.stop()
        # PostgreSQL keeps the tick in APScheduler's table; SQLite keeps it in memory (the synchronous
        # store would wait on the event loop's own write lock), re-adding it at every start
        expected = 0 if database_url.startswith("sqlite") else 1
        assert await _job_rows(db) == expected, f"restart {restart}: persisted tick jobs"
    rows = await outbox(db, sid)
    assert [r.text_key for r in rows] == ["checkin.opening"]  # sent once, across three starts


async def test_two_schedulers_on_one_database_send_each_wave_once(db, database_url, keyring) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    ids = [await enrol(db, keyring, created_at=yesterday, windows=ALWAYS_OPEN) for _ in range(8)]
    other_db = Database(database_url, keyring)
    runners = [WaveRunner(CountingJobs(d, keyring), interval_seconds=3600) for d in (db, other_db)]
    try:
        for r in runners:
            r.start()
        await asyncio.wait_for(asyncio.gather(*(r.jobs.ticked.wait() for r in runners)), 15)
        await asyncio.gather(*(r.run_now() for r in runners))
    finally:
        for r in runners:
            await r.stop()
        await other_db.dispose()
    rows = await outbox(db)
    assert sorted(r.survivor_id for r in rows) == sorted(ids)
    assert len({r.idempotency_key for r in rows}) == len(rows)


async def test_two_runners_in_one_process_each_run_their_own_wave_jobs(db, keyring) -> None:
    """Two services in one process (tests, benchmarks) each tick their own jobs: a runner's state is its
    own (it was a module registry under one key, so the second runner's start took the first one's ticks)."""
    runners = [WaveRunner(CountingJobs(db, keyring), interval_seconds=3600) for _ in range(2)]
    try:
        for r in runners:
            r.start()
        await asyncio.wait_for(asyncio.gather(*(r.jobs.ticked.wait() for r in runners)), 15)
    finally:
        for r in runners:
            await r.stop()
    assert [r.jobs.ticks for r in runners] == [1, 1]
    assert [r.ticks_in_progress() for r in runners] == [0, 0]
