"""Her message to the worker's screen (issue 28): from her message posted to the simulator's API to
the worker's open alert page receiving it (the Server-Sent Event that carries her words), while a
worker holds her conversation, over N messages one after another.

It builds the real service in this process (migrated database, generated key file, the simulator
channel, the console, the outbox dispatcher in the background) and serves it on loopback. She writes
a danger text; a worker signs in, claims the alert and writes to her (so her free text now goes to
the worker); the worker's page stream (GET /console/escalations/{id}/events) is open. Then each of
her messages is timed from just before the simulator POST to the arrival, at the worker's HTTP
client, of the first event whose HTML holds that message's words.

    python bench/worker_screen_latency_bench.py                   # temp SQLite file, 100 messages
    python bench/worker_screen_latency_bench.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "bench"):  # run as a plain script from anywhere
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _common import add_database_options, prepared, run_in_temp_dir  # noqa: E402
from stats import percentile  # noqa: E402

from bot.settings import load_settings  # noqa: E402
from bot.storage.models import Escalation  # noqa: E402
from liaison.service import create_service  # noqa: E402
from tests.support.console import ConsoleClient, make_staff  # noqa: E402
from tests.support.http import serve_app  # noqa: E402
from tests.support.people import enrolled  # noqa: E402

HER = "sim-bench-her"
DANGER = "he is outside my door right now"


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    ring = prepared(workdir, database_url)
    settings = load_settings(LIAISON_ENV="development", DATABASE_URL=database_url, LIAISON_KEY_FILE=ring.path,
                             LIAISON_SIMULATOR=True, NLU_CACHE_DIR=str(workdir / "nlu"))
    service = create_service(settings, keyring=ring)
    await enrolled(service.db, ring, channel="simulator", address=HER, pseudonym="ps-bench-screen")
    latencies: list[float] = []
    answered: list[float] = []  # the simulator's POST answered (stored, processed, the commit rang)
    async with serve_app(service.web_app()) as base, aiohttp.ClientSession() as her:
        for task in list(service._tasks):  # the NLU warm-up would compete for the CPU
            if task.get_name() == "nlu-warm-up":
                await task

        async def she_writes(text: str) -> None:
            async with her.post(f"{base}/simulator/api/messages", json={"user": HER, "text": text}) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"the simulator answered {resp.status}")

        await she_writes(DANGER)
        async with service.db.sessions() as s:
            esc = await s.scalar(select(Escalation).where(Escalation.reason == "danger_now"))
        assert esc is not None
        worker = ConsoleClient(base)
        try:
            if await worker.sign_in(await make_staff(service, "ana", ["liaison"]), service.clock()) != 303:
                raise RuntimeError("the worker could not sign in")
            page = f"/console/escalations/{esc.id}"
            await worker.post(f"{page}/claim", {"back": page})
            await worker.post(f"{page}/reply", {"body": "Can you talk now?"})
            if worker.flash_kind == "error":
                raise RuntimeError(f"the reply was refused: {worker.flash}")
            events: asyncio.Queue[tuple[float, str]] = asyncio.Queue()

            async def watch() -> None:
                async with worker.http.get(f"{base}{page}/events") as resp:
                    async for raw in resp.content:
                        line = raw.decode()
                        if line.startswith("data: "):
                            await events.put((time.monotonic(), json.loads(line[6:])["html"]))

            watcher = asyncio.create_task(watch())
            await asyncio.wait_for(events.get(), 10)  # the page's first state
            for n in range(args.messages):
                words = f"message {n} about the garden fence"
                started = time.monotonic()
                await she_writes(words)
                answered.append((time.monotonic() - started) * 1000)
                while True:
                    at, html = await asyncio.wait_for(events.get(), 10)
                    if words + "<" in html or words + "\n" in html:
                        latencies.append((at - started) * 1000)
                        break
            watcher.cancel()
        finally:
            await worker.close()
    await service.stop()
    return {
        "backend": make_url(database_url).get_backend_name(), "messages": args.messages,
        "p50_ms": round(statistics.median(latencies), 1), "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1), "simulator_post_p50_ms": round(statistics.median(answered), 1),
        "within_1000_ms": sum(1 for v in latencies if v <= 1000), "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--messages", type=int, default=100, help="her messages, one after another")
    add_database_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a line")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = run_in_temp_dir(args, "worker-screen-bench-", run)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"her message -> worker's screen ({report['backend']}, {report['messages']} messages): p50 "
          f"{report['p50_ms']} ms, p99 {report['p99_ms']} ms, max {report['max_ms']} ms, "
          f"{report['within_1000_ms']}/{report['messages']} within 1 s (simulator POST -> SSE event at the "
          f"worker's client); the POST itself p50 {report['simulator_post_p50_ms']} ms; "
          f"load average {report['loadavg']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
