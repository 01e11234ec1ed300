"""Shared fixtures: the test clock, a migrated database (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), a key ring, NLU models built once per session, and the service.

Time: every test runs at `TEST_NOW` (tests/support/clock.py). The service is handed a clock that
starts there; the process's wall clock is moved there too (time-machine), so a stray read of the
wall clock agrees with the service instead of passing or failing by the hour of the day.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.storage.migrate import upgrade
from bot.storage.models import Base
from safety.crypto import KeyRing
from tests.support.clock import HOSTILE_INSTANTS, TEST_NOW, OffsetClock

PG_SKIP_REASON = "TEST_DATABASE_URL is not set; PostgreSQL tests need a server (.ci/run sets it)"


@pytest.fixture(autouse=True)
def test_instant(request: pytest.FixtureRequest) -> datetime:
    """The instant this test runs at: TEST_NOW, or the instant its `@pytest.mark.at(ISO)` pins (a test
    whose subject is not the time of day, but whose assertions need her contact windows open). A
    time-sensitive test runs once more at each hostile instant (its id names which)."""
    marker = request.node.get_closest_marker("at")
    if marker:
        return datetime.fromisoformat(marker.args[0])
    return getattr(request, "param", TEST_NOW)


@pytest.fixture(autouse=True)
def wall_clock_at_test_now(request: pytest.FixtureRequest, test_instant: datetime) -> Iterator[None]:
    """The process's clock at the test's instant, running on. Fault tests, which run real service
    processes, stay on the machine's clock."""
    if request.node.get_closest_marker("faults"):
        # real `liaison serve` processes run on the machine's clock: the test that counts their work
        # must read the same clock, or it sees their retries and leases from another date
        yield
        return
    with time_machine.travel(test_instant, tick=True):
        yield


@pytest.fixture
def clock() -> OffsetClock:
    """The service's clock: TEST_NOW, running on; tests move it with `.offset`, `.advance()`, `.set()`."""
    return OffsetClock()


@pytest.fixture(scope="session")
def nlu_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Embedded NLU models trained once per test run into a temporary cache that every xdist worker
    shares (the first one trains under a lock, the others load), before any test waits on them."""
    from nlu.service import NluService

    shared = tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") \
        else tmp_path_factory.getbasetemp()
    path = shared / "nlu-cache"
    path.mkdir(exist_ok=True)
    with open(shared / "nlu-cache.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        nlu = NluService(cache_dir=path)
        for locale in ("en", "de"):
            nlu.model(locale)
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once, copy per test: every test starts from the real Alembic schema."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str | None]:
    """A private PostgreSQL database for this test session, migrated once, dropped at the end."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    name = f"liaison_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Each test using this runs on SQLite and, where configured, on PostgreSQL."""
    if request.param == "sqlite":
        db = tmp_path / "liaison.db"
        shutil.copy(sqlite_template, db)
        return f"sqlite:///{db}"
    url = request.getfixturevalue("pg_database_url")
    if url is None:
        pytest.skip(PG_SKIP_REASON)
    _truncate_pg(url)
    return url


@pytest.fixture
def keyring(tmp_path: Path) -> KeyRing:
    ring = KeyRing.generate(tmp_path / "keys.json")
    return ring


@pytest.fixture
def settings_env(database_url: str, keyring: KeyRing, nlu_cache_dir: Path) -> dict[str, object]:
    """Settings for a test service: fast retries, no real network."""
    return {
        "NLU_CACHE_DIR": nlu_cache_dir,
        "LIAISON_ENV": "test",
        "DATABASE_URL": database_url,
        "LIAISON_KEY_FILE": keyring.path,
        "LIAISON_SIMULATOR": True,
        "OUTBOX_BASE_BACKOFF_SECONDS": 0.01,
        "OUTBOX_POLL_SECONDS": 0.05,
        # the programme's answers are held to a floor (bot/programme/answer_floor.py); its own tests set one
        "PROGRAMME_ANSWER_FLOOR_SECONDS": 0,
    }


@pytest.fixture
async def service(settings_env: dict[str, object], keyring: KeyRing, clock: OffsetClock) -> AsyncIterator[object]:
    """The service (not yet serving HTTP) on the test clock; tests drive the pipeline and dispatcher directly."""
    from bot.settings import load_settings
    from liaison.service import create_service

    svc = create_service(load_settings(**settings_env), keyring=keyring, clock=clock)
    yield svc
    await svc.stop()


# The tests whose subject is time (windows, pauses, waves, expiry, sessions, SLA timers, retries by
# time): each runs at TEST_NOW and again at every hostile instant (on SQLite: the clock, not the
# database, is on trial), so a test that passes only in office hours fails at once, in every run.
TIME_SENSITIVE = (
    "tests/outbox/",
    "tests/safety/test_windows.py",
    "tests/scheduler/test_waves.py",
    "tests/waves/test_checkin_io.py",
    "tests/scheduler/test_runner.py",
    "tests/safety/test_safety_jobs.py",
    "tests/safety/test_retention.py",
    "tests/safety/test_from_his_side_sms.py",
    "tests/conversations/test_pin.py",
    "tests/conversations/test_settings.py",
    "tests/conversations/test_invitations.py",
    "tests/conversations/test_plain_mode_checkin.py",
    "tests/conversations/test_waves_in_the_simulator.py",
    "tests/conversations/test_her_side_waves.py",
    "tests/conversations/test_worker_commands.py",
    "tests/console/test_sign_in.py",
    "tests/console/test_oncall_alerts.py",
    "tests/notices/",
)


# Her journeys through the flows and the console's browser tests are about what she and a worker see,
# not about storage: they run on SQLite only, except these, which also walk the same journeys on
# PostgreSQL. Storage itself (outbox, inbound, waves, encryption, migrations, channels, fault tests)
# runs on both. This keeps CI's wall time down without losing a backend for what a backend decides.
SQLITE_ONLY = ("tests/conversations/", "tests/console/test_browser", "tests/notices/test_her_phone.py",
               "tests/safety/test_pin_in_every_flow.py", "tests/safety/test_pins_on_a_thread_he_can_read.py",
               "tests/safety/test_checkins_open_like_notices.py", "tests/property/")
JOURNEYS_ON_BOTH = (
    "tests/conversations/test_enrolment_to_callback.py",
    "tests/conversations/test_channels.py",
    "tests/conversations/test_danger_check.py",
    "tests/conversations/test_free_text.py",
    "tests/conversations/test_account_change.py",
    "tests/conversations/test_waves_in_the_simulator.py",
)


# The slowest files (real processes, hundreds of messages, whole cohorts) start first, so that no
# worker picks one up at the end while the others have finished (`--dist worksteal` then evens out
# the rest).
SLOW_FIRST = (
    "tests/faults/",
    "tests/property/test_conversation_engine.py",
    "tests/safety/test_from_his_side_telegram.py",
    "tests/safety/test_quick_exit_and_erasure_actions.py",
    "tests/evaluation/",
    "tests/conversations/test_waves_in_the_simulator.py",
    "tests/conversations/test_danger_check.py",
    "tests/conversations/test_her_side.py",
)


def _slowness_rank(where: str) -> int:
    return next((rank for rank, slow in enumerate(SLOW_FIRST) if where.startswith(slow)), len(SLOW_FIRST))


def _where(config: pytest.Config, path: Path) -> str:
    return Path(str(path)).relative_to(Path(str(config.rootpath))).as_posix()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Time-sensitive tests run at TEST_NOW and at each hostile instant, unless they pin their own."""
    if _where(metafunc.config, metafunc.definition.path).startswith(TIME_SENSITIVE) \
            and not metafunc.definition.get_closest_marker("at"):
        metafunc.parametrize("test_instant", [TEST_NOW, *HOSTILE_INSTANTS.values()], indirect=True,
                             ids=["test-now", *HOSTILE_INSTANTS])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        where = _where(config, item.path)
        if where.startswith(TIME_SENSITIVE):
            item.add_marker(pytest.mark.time_sensitive)
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_pg = "postgresql" in params.values()
        hostile = params.get("test_instant", TEST_NOW) != TEST_NOW
        if on_pg and (hostile or where.startswith(SQLITE_ONLY) and not where.startswith(JOURNEYS_ON_BOTH)):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    kept.sort(key=lambda item: _slowness_rank(_where(config, item.path)))  # stable: else as collected
    items[:] = kept
