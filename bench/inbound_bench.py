"""Inbound benchmark: how many simulator messages per second the service takes in, and how long
each waits between arriving and having its reply in the outbox.

By default it builds the real service in this process (migrated database, generated key file,
simulator channel on) and serves its web app on a free loopback port; with --processes N it
starts N real `liaison serve` processes on the database instead (person j is served by process
j mod N, as a load balancer with affinity would). It drives POST /simulator/api/messages from C
concurrent aiohttp clients spread over U simulated people, each message with a unique id.

Figures:
- inbound msg/s: timed messages / wall time from the first request to the last response;
- inbound -> outbox: inbound_messages.received_at to the first outbound_messages.created_at
  of the rows it caused (caused_by_inbound_id), read back from the database;
- inbound -> sent: the same to outbound_messages.sent_at (the simulator "provider" accepted it);
- HTTP round trip: as the client saw it (the simulator endpoint answers after processing and a
  dispatch pass, so this is the full inbound path);
- lost: a message answered 200 that has no processed row, or whose reply is not on her simulated
  phone once the outbox has settled; duplicates: a reply shown more often than the outbox holds it;
- service CPU per message: the CPU time each service process used during the timed run / messages
  (load-independent, unlike the wall-clock figures).

    python bench/inbound_bench.py                                  # temp SQLite file
    python bench/inbound_bench.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/inbound_bench.py --database-url postgresql://...  # an existing, empty database
    python bench/inbound_bench.py --processes 2 --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import secrets
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "bench"):  # run as a plain script from anywhere
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _common import prepared, run_in_temp_dir  # noqa: E402
from stats import percentile  # noqa: E402

from bot.channels.simulator.channel import SimulatorChannel  # noqa: E402
from bot.service import Service  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.models import InboundMessage, OutboundMessage  # noqa: E402
from liaison.service import create_service  # noqa: E402
from safety.crypto import KeyRing  # noqa: E402

ENDPOINT = "/simulator/api/messages"
TEXTS = ("hello", "hi, who is this?", "what time is it", "ok", "can you call me later",
         "thanks", "is this the right number?", "stop")


# ---------------------------------------------------------------- statistics

def summary(values_ms: Sequence[float]) -> dict[str, float | int | None]:
    """n, p50, p99 and max in milliseconds (None when there are no values)."""
    if not values_ms:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    return {
        "n": len(values_ms),
        "p50": round(percentile(values_ms, 50), 3),
        "p99": round(percentile(values_ms, 99), 3),
        "max": round(max(values_ms), 3),
    }


# ---------------------------------------------------------------- the service under test

@asynccontextmanager
async def serving(service: Service) -> AsyncIterator[str]:
    runner = web.AppRunner(service.web_app(), access_log=None)
    await runner.setup()  # on_startup: recovers pending rows, starts the dispatcher
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # a free loopback port, chosen by the kernel
    port = sock.getsockname()[1]
    await web.SockSite(runner, sock).start()
    # as `liaison serve` does once warm (bot/heap.py): without it, full collections walking every
    # start-up object (130-300 ms each, several a run) were the p99 of the in-process figures
    service.freeze_heap_when_warm()
    started = datetime.now(UTC)
    for _ in range(600):  # the NLU warm-up first, and the scheduler's catch-up ticks (bounded: 60 s)
        # (the first safety tick does the daily work, route re-checks and retention: 190-340 ms
        # holding SQLite's writer, once a day in service, but inside the timed window here)
        caught_up = all(r.scheduler is not None and (job := r.scheduler.get_job(r.job_id)) is not None
                        and job.next_run_time > started for r in service.runners)
        if gc.get_freeze_count() and caught_up and not any(r.ticks_in_progress() for r in service.runners):
            break
        await asyncio.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()  # on_cleanup: stops the dispatcher, disposes the engine


@dataclass
class Load:
    rtt_ms: list[float] = field(default_factory=list)
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    wall_s: float = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def drive(bases: Sequence[str], *, messages: int, concurrency: int, users: Sequence[str], run_id: str,
                offset: int = 0, rate: float | None = None) -> Load:
    """Send `messages` POSTs from `concurrency` clients; message i goes to person j = i mod len(users),
    served by bases[j mod len(bases)]. With `rate`, message i is not sent before i/rate seconds
    from the start (offered load)."""
    load = Load()
    counter = iter(range(offset, offset + messages))
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def client(http: aiohttp.ClientSession) -> None:
        for i in counter:  # shared iterator: each client takes the next message
            if rate:
                await asyncio.sleep(max(0.0, t0 + (i - offset) / rate - time.perf_counter()))
            person = i % len(users)
            body = {"user": users[person], "text": TEXTS[i % len(TEXTS)], "id": f"{run_id}-{i}"}
            started = time.perf_counter()
            try:
                async with http.post(bases[person % len(bases)] + ENDPOINT, json=body) as resp:
                    data = await resp.json()
                    ok = resp.status == 200
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                load.error(type(exc).__name__)
                continue
            load.rtt_ms.append((time.perf_counter() - started) * 1000.0)
            if not ok:
                load.error(f"HTTP {resp.status}")
            elif data.get("duplicate"):
                load.duplicates += 1
            else:
                load.ok += 1

    t0 = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        load.wall_s = time.perf_counter() - started
    return load


async def settle(db: Database, after_id: int, within: float = 60.0) -> None:
    """Wait until no reply to a timed message is still queued or on its way (another process's
    dispatcher may be sending one the answering process found claimed)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with db.sessions() as s:
            open_rows = await s.scalar(select(func.count()).select_from(OutboundMessage).where(
                OutboundMessage.caused_by_inbound_id > after_id,
                OutboundMessage.status.in_(("pending", "sending", "held"))))
        if not open_rows:
            return
        await asyncio.sleep(0.2)


def delivery_check(replies: Sequence[tuple[str, str | None]], shown: Counter[tuple[str, str]]) -> dict[str, int]:
    """Replies the outbox says were sent, (address, text), against what the phones show."""
    expected = Counter((address, body or "") for address, body in replies)
    return {
        "not_shown": sum(max(0, n - shown[key]) for key, n in expected.items()),
        "shown_twice": sum(max(0, shown[key] - n) for key, n in expected.items()),
    }


async def outbox_latencies(db: Database, after_id: int) -> dict[str, Any]:
    """Per timed inbound row: received_at -> first outbox row created / sent, from the database."""
    async with db.sessions() as s:
        inbound = (await s.execute(
            select(InboundMessage.id, InboundMessage.received_at, InboundMessage.processed_at)
            .where(InboundMessage.id > after_id)
        )).all()
        outbound = (await s.execute(
            select(OutboundMessage.caused_by_inbound_id, OutboundMessage.created_at,
                   OutboundMessage.sent_at, OutboundMessage.status, OutboundMessage.address, OutboundMessage.body)
            .where(OutboundMessage.caused_by_inbound_id > after_id)
        )).all()
    first_created: dict[int, datetime] = {}
    first_sent: dict[int, datetime] = {}
    statuses: dict[str, int] = {}
    replies: list[tuple[str, str | None]] = []
    for cause, created, sent, status, address, body in outbound:
        statuses[status] = statuses.get(status, 0) + 1
        if status == "sent":
            replies.append((address, body))
        if cause is None:
            continue
        if cause not in first_created or created < first_created[cause]:
            first_created[cause] = created
        if sent is not None and (cause not in first_sent or sent < first_sent[cause]):
            first_sent[cause] = sent
    to_outbox, to_sent = [], []
    for row_id, received, _processed in inbound:
        if row_id in first_created:
            to_outbox.append((first_created[row_id] - received).total_seconds() * 1000.0)
        if row_id in first_sent:
            to_sent.append((first_sent[row_id] - received).total_seconds() * 1000.0)
    return {
        "inbound_rows": len(inbound),
        "unprocessed": sum(1 for r in inbound if r.processed_at is None),
        "without_outbox_row": sum(1 for r in inbound if r.id not in first_created),
        "outbox_rows": len(outbound),
        "outbox_status": statuses,
        "replies_sent": replies,
        "to_outbox": to_outbox,
        "to_sent": to_sent,
    }


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) used so far by a process (this one when pid is None)."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    ring = prepared(workdir, database_url)
    run_id = secrets.token_hex(4)
    users = [f"bench-{run_id}-{j:05d}" for j in range(args.users)]
    warm = [f"warm-{run_id}-{j}" for j in range(max(args.concurrency, args.processes))]
    if args.processes:
        async with serve_processes(args.processes, database_url, ring, workdir) as servers:
            bases = [server.url for server in servers]
            pids = [server.proc.pid for server in servers]
            return await measure(args, database_url, ring, bases, pids, users, warm, run_id, remote_phones(bases))
    settings = load_settings(
        LIAISON_ENV="development", DATABASE_URL=database_url, LIAISON_KEY_FILE=ring.path,
        LIAISON_SIMULATOR=True,
    )
    service = create_service(settings, keyring=ring)
    run_id = secrets.token_hex(4)
    users = [f"bench-{run_id}-{j:05d}" for j in range(args.users)]
    async with serving(service) as base:
        channel = service.channels["simulator"]
        assert isinstance(channel, SimulatorChannel)

        async def phones(names: Sequence[str]) -> Counter[tuple[str, str]]:
            return Counter((name, m.text) for name in names for m in channel.phones.get(name, []) if m.sender == "bot")

        return await measure(args, database_url, ring, [base], [], users, warm, run_id, phones)


async def measure(args: argparse.Namespace, database_url: str, ring: KeyRing, bases: Sequence[str], pids: Sequence[int],
                  users: Sequence[str], warm: Sequence[str], run_id: str, phones: Any) -> dict[str, Any]:
    """Warm up, run the timed load, let the outbox settle and read the figures back."""
    db = Database(database_url, ring)
    try:
        if args.warmup:
            await drive(bases, messages=args.warmup, concurrency=args.concurrency, users=warm, run_id=f"{run_id}w")
        async with db.sessions() as s:
            after_id = (await s.scalar(select(func.max(InboundMessage.id)))) or 0
        cpu_before = [cpu_seconds(pid) for pid in pids] or [cpu_seconds()]
        load = await drive(bases, messages=args.messages, concurrency=args.concurrency, users=users,
                           run_id=run_id, rate=args.rate)
        cpu_used = [cpu_seconds(pid) - before for pid, before in zip(pids or [None], cpu_before, strict=True)]
        await settle(db, after_id)
        figures = await outbox_latencies(db, after_id)
    finally:
        await db.dispose()
    shown = await phones(users)
    check = delivery_check(figures["replies_sent"], shown)
    unsent = sum(n for status, n in figures["outbox_status"].items() if status != "sent")
    per_message = round(sum(cpu_used) * 1000 / max(load.ok, 1), 2)
    return {
        "backend": make_url(database_url).get_backend_name(),
        "database": make_url(database_url).render_as_string(hide_password=True),
        "service": f"{len(pids)} serve processes" if pids else "in this process",
        "messages": args.messages,
        "concurrency": args.concurrency,
        "users": args.users,
        "warmup": args.warmup,
        "offered_per_second": args.rate,
        "ok": load.ok,
        "errors": load.errors,
        "replayed": load.duplicates,
        "wall_seconds": round(load.wall_s, 3),
        "inbound_per_second": round(load.ok / load.wall_s, 1) if load.wall_s else None,
        "inbound_rows": figures["inbound_rows"],
        "unprocessed": figures["unprocessed"],
        "without_outbox_row": figures["without_outbox_row"],
        "outbox_rows": figures["outbox_rows"],
        "outbox_status": figures["outbox_status"],
        "lost": (args.messages - figures["inbound_rows"]) + figures["unprocessed"] + figures["without_outbox_row"]
                + unsent + check["not_shown"],
        "duplicates": check["shown_twice"],
        "service_cpu_ms_per_message": per_message,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "inbound_to_outbox_ms": summary(figures["to_outbox"]),
        "inbound_to_sent_ms": summary(figures["to_sent"]),
        "http_rtt_ms": summary(load.rtt_ms),
    }


@asynccontextmanager
async def serve_processes(count: int, database_url: str, ring: KeyRing, workdir: Path) -> AsyncIterator[list[Any]]:
    """`count` real `liaison serve` processes on the database, simulator on, logging as in production."""
    from bot.storage.key_canary import check_or_record
    from nlu.service import NluService
    from tests.faults.harness import Serve

    db = Database(database_url, ring)
    await check_or_record(db, ring, db.clock())  # recorded once, before two processes race to do it
    await db.dispose()
    nlu_cache = workdir / "nlu-cache"  # trained here once, not by each process while it serves
    for locale in ("en", "de"):
        await asyncio.to_thread(NluService(cache_dir=nlu_cache).model, locale)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_", "OUTBOX_", "LIAISON_"))}
    env.update({"PYTHONPATH": str(REPO), "LIAISON_ENV": "development", "DATABASE_URL": database_url,
                "LIAISON_KEY_FILE": str(ring.path), "LIAISON_SIMULATOR": "true", "LIAISON_HOST": "127.0.0.1",
                "NLU_CACHE_DIR": str(nlu_cache)})
    servers = list(await asyncio.gather(*(Serve.start(env, workdir, within=180) for _ in range(count))))
    try:
        yield servers
    finally:
        await asyncio.gather(*(server.stop() for server in servers))


def remote_phones(bases: Sequence[str]) -> Any:
    """What every process's simulated phones show (a reply may be sent by any process)."""
    async def phones(names: Sequence[str]) -> Counter[tuple[str, str]]:
        shown: Counter[tuple[str, str]] = Counter()
        async with aiohttp.ClientSession() as http:
            for base in bases:
                for name in names:
                    async with http.get(base + ENDPOINT, params={"user": name}) as resp:
                        data = await resp.json()
                    shown.update((name, m["text"]) for m in data["messages"] if m["from"] == "bot")
        return shown

    return phones


# ---------------------------------------------------------------- output

def table(r: dict[str, Any]) -> str:
    def ms(v: float | int | None) -> str:
        return f"{v:>10.1f}" if v is not None else f"{'-':>10}"

    def row(name: str, s: dict[str, Any]) -> str:
        return f"  {name:<22}{ms(s['p50'])}{ms(s['p99'])}{ms(s['max'])}{s['n']:>8}"

    errors = ", ".join(f"{k}: {v}" for k, v in sorted(r["errors"].items())) or "none"
    lines = [
        f"inbound benchmark: {r['backend']} ({r['database']}), service {r['service']}",
        f"  {r['messages']} messages, {r['concurrency']} concurrent clients, {r['users']} users "
        f"(+{r['warmup']} warm-up, not counted)"
        + (f", offered {r['offered_per_second']} msg/s" if r["offered_per_second"] else ""),
        f"  load average {r['load_average']} (a busy machine stretches every wall-clock figure)",
        "",
        f"  {'throughput':<22}{ms(r['inbound_per_second'])} inbound msg/s "
        f"({r['ok']} in {r['wall_seconds']:.2f} s)",
        f"  {'CPU per message':<22}{r['service_cpu_ms_per_message']:>10.1f} ms "
        + ("(the serve processes together)" if r["service"] != "in this process"
           else "(this process: service and clients)"),
        f"  {'errors':<22}{errors}; replayed deliveries: {r['replayed']}",
        f"  {'delivery':<22}lost {r['lost']}, duplicates {r['duplicates']}",
        f"  {'database':<22}{r['inbound_rows']} inbound rows, {r['unprocessed']} unprocessed, "
        f"{r['without_outbox_row']} without a reply; outbox {r['outbox_status']}",
        "",
        f"  {'latency (ms)':<22}{'p50':>10}{'p99':>10}{'max':>10}{'n':>8}",
        row("inbound -> outbox row", r["inbound_to_outbox_ms"]),
        row("inbound -> sent", r["inbound_to_sent_ms"]),
        row("HTTP round trip", r["http_rtt_ms"]),
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--messages", type=int, default=2000, help="timed messages to send")
    p.add_argument("--concurrency", type=int, default=8, help="concurrent HTTP clients")
    p.add_argument("--users", type=int, default=200, help="distinct simulated people")
    p.add_argument("--rate", type=float, default=None, help="offered msg/s (default: as fast as it goes)")
    p.add_argument("--warmup", type=int, default=50, help="untimed messages sent first (0 for none)")
    p.add_argument("--processes", type=int, default=0,
                   help="run N `liaison serve` processes on the database (0: the service in this process)")
    db = p.add_mutually_exclusive_group()
    db.add_argument("--database-url", default=None,
                    help="database to migrate and use (default: a SQLite file in a temp directory); "
                         "its existing rows are left alone and not counted")
    db.add_argument("--pg-admin-url", default=None,
                    help="PostgreSQL URL allowed to CREATE DATABASE: a private bench_inbound_* "
                         "database is created there, used and dropped")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = p.parse_args(argv)
    for name in ("messages", "concurrency", "users"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        p.error("--warmup must be 0 or more")
    if args.processes < 0:
        p.error("--processes must be 0 or more")
    if args.processes > 1 and not (args.pg_admin_url or (args.database_url or "").startswith("postgresql")):
        p.error("several processes need PostgreSQL (--pg-admin-url): SQLite is for one process")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = run_in_temp_dir(args, "inbound-bench-", run)
    print(json.dumps(result) if args.json else table(result))
    failed = result["errors"] or result["lost"] or result["duplicates"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
