"""On-call alert latency: from her danger text arriving at the Telegram webhook to the on-call
worker's alert call reaching the (fake) Bot API, over 100 alerts.

It builds the real service in this process (migrated database, generated key file, the Telegram
channel through aiogram, the webhook served on loopback, the outbox dispatcher in the background)
against the fake Bot API of tests/support/fake_telegram.py. One on-call worker has a linked
Telegram chat; N survivors each write one danger text through the webhook, one after another.
Timed per alert: from just before the webhook POST to the fake's arrival time of the
sendMessage call to the worker's chat (Call.at, time.monotonic()).

With `--burst`, N survivors write their danger texts at the same moment instead, at Telegram's own
limit of one message a second to a chat (`--chat-rate 1`, the service's own pacing): timed per
alert, from the burst's start to the first call (sendMessage or editMessageText) that carries its
number to the on-call chat. Alerts waiting for one chat go out together (bot.oncall.alerts), so all
of them should arrive within 1.5 s, not one a second.

    python bench/alert_latency_bench.py                  # temp SQLite file, 100 alerts
    python bench/alert_latency_bench.py --alerts 200 --latency-ms 50
    python bench/alert_latency_bench.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/alert_latency_bench.py --burst 5 --burst 20 --rounds 5 --chat-rate 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "bench"):  # run as a plain script from anywhere
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _common import add_database_options, prepared, run_in_temp_dir  # noqa: E402
from stats import BENCH_BOT_TOKEN as TOKEN  # noqa: E402
from stats import BENCH_WEBHOOK_SECRET as SECRET  # noqa: E402
from stats import percentile  # noqa: E402

from bot.channels.telegram.webhook import WEBHOOK_PATH  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage.models import Escalation, StaffMember  # noqa: E402
from liaison.service import create_service  # noqa: E402
from tests.support.fake_telegram import FakeTelegram, deliver  # noqa: E402
from tests.support.http import serve_app  # noqa: E402
from tests.support.people import enrolled  # noqa: E402

STAFF_CHAT = 424242
DANGER = "he is outside my door right now"


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    ring = prepared(workdir, database_url)
    async with FakeTelegram(TOKEN, latency_ms=args.latency_ms) as fake:
        settings = load_settings(
            LIAISON_ENV="development", DATABASE_URL=database_url, LIAISON_KEY_FILE=ring.path,
            TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_API_BASE=fake.url,
            TELEGRAM_CHAT_RATE_PER_SECOND=args.chat_rate, NLU_CACHE_DIR=str(workdir / "nlu"),
        )
        service = create_service(settings, keyring=ring)
        async with service.db.transaction() as s:
            s.add(StaffMember(name="on-call", roles=["liaison"], status="active", telegram_chat=str(STAFF_CHAT),
                              telegram_chat_index=ring.blind_index("telegram", str(STAFF_CHAT))))
        fake.chat(STAFF_CHAT)  # the worker has started the bot (they linked it with a /start code)
        chats = [9_100_000 + i for i in range(args.alerts)]
        for i, chat in enumerate(chats):
            await enrolled(service.db, ring, channel="telegram", address=str(chat), pseudonym=f"ps-bench-{i}")
        latencies: list[float] = []
        processed: list[float] = []  # the webhook answered: stored, processed, alert queued
        async with serve_app(service.web_app()) as base:
            for task in list(service._tasks):  # the NLU warm-up would compete for the CPU
                if task.get_name() == "nlu-warm-up":
                    await task
            for chat in chats:
                before = len([c for c in fake.calls("sendMessage") if str(c.params.get("chat_id")) == str(STAFF_CHAT)])
                started = time.monotonic()
                status = await deliver(fake.user_sends(chat, DANGER), base + WEBHOOK_PATH, SECRET)
                if status != 200:
                    raise RuntimeError(f"webhook answered {status}")
                processed.append((time.monotonic() - started) * 1000)
                deadline = started + 30
                while True:
                    calls = [c for c in fake.calls("sendMessage") if str(c.params.get("chat_id")) == str(STAFF_CHAT)]
                    if len(calls) > before:
                        latencies.append((calls[before].at - started) * 1000)
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError("no alert reached the on-call chat within 30 s")
                    await asyncio.sleep(0.002)
        await asyncio.sleep(0.5)
        texts = fake.bot_texts(STAFF_CHAT)
        if len(texts) != args.alerts or not all(t.startswith("Urgent alert #") for t in texts):
            raise RuntimeError("alerts must be one per escalation and hold no survivor data")
    return {
        "backend": make_url(database_url).get_backend_name(), "alerts": args.alerts,
        "latency_ms": args.latency_ms, "chat_rate": args.chat_rate,
        "p50_ms": round(statistics.median(latencies), 1), "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1), "webhook_p50_ms": round(statistics.median(processed), 1),
    }


async def run_bursts(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    """Bursts of simultaneous danger texts to one on-call chat; each round waits for the last to
    arrive and for the chat's turn to come round again (a second) before the next."""
    ring = prepared(workdir, database_url)
    async with FakeTelegram(TOKEN, latency_ms=args.latency_ms) as fake:
        settings = load_settings(
            LIAISON_ENV="development", DATABASE_URL=database_url, LIAISON_KEY_FILE=ring.path,
            TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_API_BASE=fake.url,
            TELEGRAM_CHAT_RATE_PER_SECOND=args.chat_rate, NLU_CACHE_DIR=str(workdir / "nlu"),
        )
        service = create_service(settings, keyring=ring)
        async with service.db.transaction() as s:
            s.add(StaffMember(name="on-call", roles=["liaison"], status="active", telegram_chat=str(STAFF_CHAT),
                              telegram_chat_index=ring.blind_index("telegram", str(STAFF_CHAT))))
        fake.chat(STAFF_CHAT)
        sizes = args.burst
        chats = iter(range(9_100_000, 9_100_000 + sum(sizes) * args.rounds))
        for n in range(sum(sizes) * args.rounds):
            await enrolled(service.db, ring, channel="telegram", address=str(9_100_000 + n), pseudonym=f"ps-b-{n}")
        report: dict[str, Any] = {"backend": make_url(database_url).get_backend_name(), "chat_rate": args.chat_rate,
                                  "rounds": args.rounds, "bursts": {}}
        async with serve_app(service.web_app()) as base:
            for task in list(service._tasks):
                if task.get_name() == "nlu-warm-up":
                    await task
            last_raised = 0
            for size in sizes:
                latencies: list[float] = []
                messages: list[int] = []
                answered: list[float] = []  # the last of the burst's webhooks answered (stored, processed)
                for _round in range(args.rounds):
                    seen = len(fake.recorded)
                    started = time.monotonic()
                    statuses = await asyncio.gather(*(deliver(fake.user_sends(next(chats), DANGER),
                                                              base + WEBHOOK_PATH, SECRET) for _ in range(size)))
                    answered.append((time.monotonic() - started) * 1000)
                    if any(st != 200 for st in statuses):
                        raise RuntimeError(f"webhook answered {statuses}")
                    async with service.db.sessions() as s:
                        raised = set((await s.scalars(select(Escalation.id).where(
                            Escalation.id > last_raised, Escalation.priority == "urgent"))).all())
                    last_raised = max(raised | {last_raised})
                    if len(raised) != size:
                        raise RuntimeError(f"{len(raised)} escalations for {size} danger texts")
                    arrived: dict[int, float] = {}
                    sends = 0
                    deadline = started + 30
                    while not raised <= arrived.keys():
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"{size - len(arrived)} alerts never reached the on-call chat")
                        await asyncio.sleep(0.005)
                        calls = [c for c in fake.recorded[seen:] if str(c.params.get("chat_id")) == str(STAFF_CHAT)
                                 and c.method in ("sendMessage", "editMessageText")]
                        sends = sum(c.method == "sendMessage" for c in calls)
                        for call in calls:
                            for number in re.findall(r"#(\d+)", str(call.params.get("text") or "")):
                                if int(number) in raised:
                                    arrived.setdefault(int(number), (call.at - started) * 1000)
                    latencies += list(arrived.values())
                    messages.append(sends)
                    await asyncio.sleep(1.2 / args.chat_rate)  # the chat's turn comes round again
                report["bursts"][size] = {
                    "webhooks_answered_max_ms": round(max(answered), 1),
                    "p50_ms": round(statistics.median(latencies), 1), "max_ms": round(max(latencies), 1),
                    "within_1500_ms": sum(v <= 1500 for v in latencies), "alerts": len(latencies),
                    "messages_per_burst": messages,
                }
        if any("ps-b-" in t for t in fake.bot_texts(STAFF_CHAT)):
            raise RuntimeError("an alert held survivor data")
    report["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    return report


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--alerts", type=int, default=100, help="danger texts, one per survivor")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every Bot API call")
    p.add_argument("--chat-rate", type=float, default=30.0,
                   help="TELEGRAM_CHAT_RATE_PER_SECOND (Telegram allows about 1/s per chat; alerts arriving "
                        "faster than that to one worker's chat would queue behind each other)")
    p.add_argument("--burst", type=int, action="append", default=[],
                   help="simultaneous danger texts to one on-call chat (repeatable); replaces --alerts")
    p.add_argument("--rounds", type=int, default=5, help="bursts of each size")
    add_database_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a line")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.burst:
        burst = run_in_temp_dir(args, "alert-burst-bench-", run_bursts)
        if args.json:
            print(json.dumps(burst))
            return 0
        for size, r in burst["bursts"].items():
            print(f"{size} simultaneous alerts to one on-call chat ({burst['backend']}, {burst['rounds']} rounds, "
                  f"chat rate {burst['chat_rate']:g}/s): p50 {r['p50_ms']} ms, max {r['max_ms']} ms, "
                  f"{r['within_1500_ms']}/{r['alerts']} within 1.5 s, messages per burst {r['messages_per_burst']}; "
                  f"the burst's webhooks all answered within {r['webhooks_answered_max_ms']} ms")
        print(f"load average {burst['loadavg']}")
        return 0
    report = run_in_temp_dir(args, "alert-latency-bench-", run)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"on-call alert latency ({report['backend']}, {report['alerts']} alerts, +{report['latency_ms']:g} ms per "
          f"Bot API call): p50 {report['p50_ms']} ms, p99 {report['p99_ms']} ms, max {report['max_ms']} ms "
          "(danger text at the webhook -> alert sendMessage at the fake Bot API); "
          f"of which the webhook's store+process+queue p50 {report['webhook_p50_ms']} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
