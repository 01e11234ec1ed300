"""Saturation benchmark: two `liaison serve` processes on one PostgreSQL against a fake Bot API
that refuses more than 30 messages a second (and 1 a second to one chat) with 429, as Telegram does.

Strangers write in through the Telegram webhooks of both processes at `--rate` messages a second
for `--seconds` (each gets one neutral reply: far more replies than the provider takes), while
enrolled women write a danger text every `--danger-every` seconds (each gets the emergency
numbers at once, and an urgent escalation alerts the on-call worker's chat). Both processes use
the default TELEGRAM_RATE_PER_SECOND: the provider's limit is kept by both together through the
database (bot/outbox/shared_rate.py), not divided by hand.

Figures: danger reply and staff alert latency (webhook POST -> sendMessage at the fake, p50/p99/
max), HTTP 429s, the replies' drain rate while the backlog lasted (sendMessage/s against the
provider's 30/s), duplicates and lost replies once the backlog has drained.

    python bench/saturation_bench.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/saturation_bench.py --pg-admin-url ... --rate 200 --seconds 10 --danger-every 1.5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "bench"):  # run as a plain script from anywhere
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _common import add_database_options, prepared, run_in_temp_dir  # noqa: E402
from stats import percentile  # noqa: E402

from bot.storage.db import Database  # noqa: E402
from bot.storage.models import StaffMember  # noqa: E402
from nlu.service import NluService  # noqa: E402
from tests.faults.harness import SECRET, TOKEN, Serve, serve_env  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.people import enrolled  # noqa: E402

STAFF_CHAT = 434343
DANGER = "he is outside my door right now"
STRANGERS = 1_000_000_000


def summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    return {"n": len(values), "p50": round(percentile(values, 50), 1), "p99": round(percentile(values, 99), 1),
            "max": round(max(values), 1)}


async def post(http: aiohttp.ClientSession, url: str, update: dict[str, Any]) -> int:
    async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
        await r.read()
        return r.status


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    if not database_url.startswith("postgresql"):
        raise SystemExit("the saturation bench runs two processes: give --pg-admin-url or a PostgreSQL --database-url")
    ring = prepared(workdir, database_url)
    nlu_cache = workdir / "nlu"
    nlu = NluService(cache_dir=nlu_cache)  # trained once here, loaded by both processes
    for locale in ("en", "de"):
        nlu.model(locale)
    db = Database(database_url, ring)
    async with FakeTelegram(TOKEN) as fake:
        fake.enforce_limits(per_second=30, per_chat_per_second=1)
        async with db.transaction() as s:
            s.add(StaffMember(name="on-call", roles=["liaison"], status="active", telegram_chat=str(STAFF_CHAT),
                              telegram_chat_index=ring.blind_index("telegram", str(STAFF_CHAT))))
        fake.chat(STAFF_CHAT)
        women = [9_200_000 + i for i in range(int(args.seconds / args.danger_every) + 1)]
        for i, chat in enumerate(women):
            await enrolled(db, ring, channel="telegram", address=str(chat), pseudonym=f"ps-sat-{i}")
            fake.chat(chat)
        env = serve_env(database_url, ring, fake, nlu_cache, LIAISON_LOG_LEVEL="ERROR", OUTBOX_POLL_SECONDS="0.5")
        procs = await asyncio.gather(*(Serve.start(env, workdir, within=120) for _ in range(args.processes)))
        hooks = [p.url + "/webhooks/telegram" for p in procs]
        danger_at: dict[int, float] = {}
        statuses: Counter[int] = Counter()
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as http:
                total = int(args.rate * args.seconds)
                pending: set[asyncio.Task[int]] = set()
                start = time.monotonic()
                next_danger = start + args.danger_every / 2
                sent_danger = 0
                for n in range(total):
                    at = start + n / args.rate
                    now = time.monotonic()
                    if at > now:
                        await asyncio.sleep(at - now)
                    if time.monotonic() >= next_danger and sent_danger < len(women):
                        chat = women[sent_danger]
                        sent_danger += 1
                        next_danger += args.danger_every
                        danger_at[chat] = time.monotonic()
                        pending.add(asyncio.create_task(
                            post(http, hooks[chat % len(hooks)], fake.user_sends(chat, DANGER))))
                    chat = STRANGERS + n
                    fake.chat(chat)
                    pending.add(asyncio.create_task(post(http, hooks[n % len(hooks)], fake.user_sends(chat, "hello"))))
                    if len(pending) > 150:
                        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                        statuses.update(t.result() for t in done)
                inbound_seconds = time.monotonic() - start
                if pending:
                    statuses.update(await asyncio.gather(*pending))
                accepted = time.monotonic() - start
            # the backlog drains: wait for every stranger's reply (bounded)
            deadline = time.monotonic() + args.drain_limit
            while time.monotonic() < deadline:
                replied = sum(1 for n in range(total) if fake.bot_texts(STRANGERS + n))
                if replied >= total:
                    break
                await asyncio.sleep(0.5)
        finally:
            for p in procs:
                await p.stop()
        await db.dispose()
        problems: Counter[str] = Counter()  # what the processes logged at ERROR (event names, no data)
        for log in workdir.glob("serve-*.log"):  # noqa: ASYNC240 - once, after the run
            for line in log.read_text(errors="replace").splitlines():
                if "ERROR" in line or "Traceback" in line or "Error:" in line:
                    problems[line.strip()[:160]] += 1
        sends = fake.calls("sendMessage")
        danger_ms, alert_ms = [], []
        alerts = sorted(c.at for c in sends if c.params.get("chat_id") == STAFF_CHAT)
        for chat, at in danger_at.items():
            first = next((c.at for c in sends if c.params.get("chat_id") == chat), None)
            if first is not None:
                danger_ms.append((first - at) * 1000)
        for at, alert in zip(sorted(danger_at.values()), alerts, strict=False):
            alert_ms.append((alert - at) * 1000)
        stranger_sends = sorted(c.at for c in sends if isinstance(c.params.get("chat_id"), int)
                                and c.params["chat_id"] >= STRANGERS)
        shown = Counter((cid, m.text) for cid, chat in fake.chats.items() for m in chat.messages if m.sender == "bot")
        replies = [len(fake.bot_texts(STRANGERS + n)) for n in range(total)]
        drain_span = (stranger_sends[-1] - stranger_sends[0]) if len(stranger_sends) > 1 else 0.0
    return {
        "processes": args.processes, "inbound_rate_asked": args.rate, "seconds": args.seconds,
        "inbound_rate_achieved": round(total / inbound_seconds, 1), "accepted_in_s": round(accepted, 1),
        "webhook_statuses": dict(statuses),
        "danger_reply_ms": summary(danger_ms), "staff_alert_ms": summary(alert_ms),
        "danger_texts": len(danger_at), "alerts_received": len(alerts),
        "http_429": fake.limit_refusals,
        "replies_sent": len(stranger_sends), "replies_expected": total,
        "drain_per_s": round(len(stranger_sends) / drain_span, 2) if drain_span else None,
        "provider_limit_per_s": 30,
        "duplicates": sum(n - 1 for n in shown.values() if n > 1),
        "strangers_without_reply": sum(1 for r in replies if r == 0),
        "logged_errors": dict(problems.most_common(8)),
        "load_average": os.getloadavg(),
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--rate", type=float, default=200.0, help="inbound stranger messages a second")
    p.add_argument("--seconds", type=float, default=10.0, help="how long the inbound lasts")
    p.add_argument("--danger-every", type=float, default=1.5,
                   help="seconds between danger texts (one on-call chat takes 1 alert a second)")
    p.add_argument("--drain-limit", type=float, default=150.0, help="seconds to wait for the backlog to drain")
    add_database_options(p)
    p.add_argument("--json", action="store_true")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = run_in_temp_dir(args, "saturation-bench-", run)
    print(json.dumps(report, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
