"""Inbound benchmark: how many simulator messages per second the service takes in, and how long
each waits between arriving and having its reply in the outbox.

It builds the real service in this process (migrated database, generated key file, simulator
channel on), serves its web app on a free loopback port and drives POST /simulator/api/messages
from C concurrent aiohttp clients spread over U simulated people, each message with a unique id.

Figures:
- inbound msg/s: timed messages / wall time from the first request to the last response;
- inbound -> outbox: inbound_messages.received_at to the first outbound_messages.created_at
  of the rows it caused (caused_by_inbound_id), read back from the database;
- inbound -> sent: the same to outbound_messages.sent_at (the simulator "provider" accepted it);
- HTTP round trip: as the client saw it (the simulator endpoint answers after processing and a
  dispatch pass, so this is the full inbound path).

    python bench/inbound_bench.py                                  # temp SQLite file
    python bench/inbound_bench.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/inbound_bench.py --database-url postgresql://...  # an existing, empty database
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import secrets
import socket
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
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

from bot.service import Service  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage.models import InboundMessage, OutboundMessage  # noqa: E402
from liaison.service import create_service  # noqa: E402

ENDPOINT = "/simulator/api/messages"
TEXTS = ("hello", "hi, who is this?", "what time is it", "ok", "can you call me later",
         "thanks", "is this the right number?", "stop")


# ---------------------------------------------------------------- statistics

def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


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


async def drive(base: str, *, messages: int, concurrency: int, users: Sequence[str], run_id: str,
                offset: int = 0, rate: float | None = None) -> Load:
    """Send `messages` POSTs from `concurrency` clients; message i goes to users[i % len(users)].
    With `rate`, message i is not sent before i/rate seconds from the start (offered load)."""
    load = Load()
    counter = iter(range(offset, offset + messages))
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def client(http: aiohttp.ClientSession) -> None:
        for i in counter:  # shared iterator: each client takes the next message
            if rate:
                await asyncio.sleep(max(0.0, t0 + (i - offset) / rate - time.perf_counter()))
            body = {"user": users[i % len(users)], "text": TEXTS[i % len(TEXTS)], "id": f"{run_id}-{i}"}
            started = time.perf_counter()
            try:
                async with http.post(base + ENDPOINT, json=body) as resp:
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


async def outbox_latencies(service: Service, after_id: int) -> dict[str, Any]:
    """Per timed inbound row: received_at -> first outbox row created / sent, from the database."""
    async with service.db.sessions() as s:
        inbound = (await s.execute(
            select(InboundMessage.id, InboundMessage.received_at, InboundMessage.processed_at)
            .where(InboundMessage.id > after_id)
        )).all()
        outbound = (await s.execute(
            select(OutboundMessage.caused_by_inbound_id, OutboundMessage.created_at,
                   OutboundMessage.sent_at, OutboundMessage.status)
            .where(OutboundMessage.caused_by_inbound_id > after_id)
        )).all()
    first_created: dict[int, datetime] = {}
    first_sent: dict[int, datetime] = {}
    statuses: dict[str, int] = {}
    for cause, created, sent, status in outbound:
        statuses[status] = statuses.get(status, 0) + 1
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
        "to_outbox": to_outbox,
        "to_sent": to_sent,
    }


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    ring = prepared(workdir, database_url)
    settings = load_settings(
        LIAISON_ENV="development", DATABASE_URL=database_url, LIAISON_KEY_FILE=ring.path,
        LIAISON_SIMULATOR=True,
    )
    service = create_service(settings, keyring=ring)
    run_id = secrets.token_hex(4)
    users = [f"bench-{run_id}-{j:05d}" for j in range(args.users)]
    async with serving(service) as base:
        if args.warmup:
            await drive(base, messages=args.warmup, concurrency=args.concurrency,
                        users=[f"warm-{run_id}-{j}" for j in range(args.concurrency)], run_id=f"{run_id}w")
        async with service.db.sessions() as s:
            after_id = (await s.scalar(select(func.max(InboundMessage.id)))) or 0
        load = await drive(base, messages=args.messages, concurrency=args.concurrency, users=users,
                           run_id=run_id, rate=args.rate)
        db = await outbox_latencies(service, after_id)
    return {
        "backend": make_url(database_url).get_backend_name(),
        "database": make_url(database_url).render_as_string(hide_password=True),
        "messages": args.messages,
        "concurrency": args.concurrency,
        "users": args.users,
        "warmup": args.warmup,
        "offered_per_second": args.rate,
        "ok": load.ok,
        "errors": load.errors,
        "duplicates": load.duplicates,
        "wall_seconds": round(load.wall_s, 3),
        "inbound_per_second": round(load.ok / load.wall_s, 1) if load.wall_s else None,
        "inbound_rows": db["inbound_rows"],
        "unprocessed": db["unprocessed"],
        "without_outbox_row": db["without_outbox_row"],
        "outbox_rows": db["outbox_rows"],
        "outbox_status": db["outbox_status"],
        "inbound_to_outbox_ms": summary(db["to_outbox"]),
        "inbound_to_sent_ms": summary(db["to_sent"]),
        "http_rtt_ms": summary(load.rtt_ms),
    }


# ---------------------------------------------------------------- output

def table(r: dict[str, Any]) -> str:
    def ms(v: float | int | None) -> str:
        return f"{v:>10.1f}" if v is not None else f"{'-':>10}"

    def row(name: str, s: dict[str, Any]) -> str:
        return f"  {name:<22}{ms(s['p50'])}{ms(s['p99'])}{ms(s['max'])}{s['n']:>8}"

    errors = ", ".join(f"{k}: {v}" for k, v in sorted(r["errors"].items())) or "none"
    lines = [
        f"inbound benchmark: {r['backend']} ({r['database']})",
        f"  {r['messages']} messages, {r['concurrency']} concurrent clients, {r['users']} users "
        f"(+{r['warmup']} warm-up, not counted)",
        "",
        f"  {'throughput':<22}{ms(r['inbound_per_second'])} inbound msg/s "
        f"({r['ok']} in {r['wall_seconds']:.2f} s)",
        f"  {'errors':<22}{errors}; duplicates: {r['duplicates']}",
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
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = run_in_temp_dir(args, "inbound-bench-", run)
    print(json.dumps(result) if args.json else table(result))
    failed = result["errors"] or result["unprocessed"] or result["without_outbox_row"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
