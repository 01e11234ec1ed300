"""Saturation benchmark: two `liaison serve` processes on one PostgreSQL against a fake Bot API
that refuses more than 30 messages a second (and 1 a second to one chat) with 429, as Telegram does.

Strangers write in through the Telegram webhooks of both processes at `--rate` messages a second
for `--seconds` (each gets one neutral reply: far more replies than the provider takes), while
enrolled women write a danger text every `--danger-every` seconds (each gets the emergency
numbers at once, and an urgent escalation alerts the on-call worker's chat). Both processes use
the default TELEGRAM_RATE_PER_SECOND: the provider's limit is kept by both together through the
database (bot/outbox/shared_rate.py), not divided by hand.

Figures: danger reply and staff alert latency (webhook POST -> the first sendMessage the fake
accepted for her chat, or the first call to the on-call chat carrying the escalation's number;
p50/p99/max), how long the danger webhooks took to answer, every webhook status (with what a
non-200 said), HTTP 429s, the drain rate (messages the provider took a second, from the first to
the last, and again once the inbound had stopped), the busiest second the provider saw, duplicates,
strangers left without a reply, what the processes logged at ERROR, and the load average (at the
start, when the inbound stopped, at the end, and the highest sampled each second during the run).

    python bench/saturation_bench.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/saturation_bench.py --pg-admin-url ... --rate 200 --seconds 10 --danger-every 1.5 \
        --out bench/results/saturation_pg2_200.json

The inbound client runs in a process of its own: on the fake's event loop, the fake's stamps and its
limit lagged behind the requests and bunched arrivals that had come spaced.
The bench's clients, the fake Bot API, both serve processes and PostgreSQL share the machine: on a
shared one run it at a higher priority (`nice -n -5 ...` as root) and repeat a figure taken at a
load average above 4 (two cores). `--in-flight` bounds the webhook requests open at once (Telegram
itself opens at most `max_connections`, 40 by default, per bot).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "bench"):  # run as a plain script from anywhere
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _common import add_database_options, prepared, run_in_temp_dir  # noqa: E402
from stats import percentile  # noqa: E402

from bot.settings import Settings  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.models import Escalation, OutboundMessage, StaffMember  # noqa: E402
from nlu.service import NluService  # noqa: E402
from tests.faults.harness import SECRET, TOKEN, Serve, serve_env  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.people import enrolled  # noqa: E402

STAFF_CHAT = 434343
DANGER = "he is outside my door right now"
STRANGERS = 1_000_000_000
LIMIT = 30  # the fake Bot API's global limit (messages a second), as Telegram's


def summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    return {"n": len(values), "p50": round(percentile(values, 50), 1), "p99": round(percentile(values, 99), 1),
            "max": round(max(values), 1)}


def gap_summary(gaps_ms: list[float]) -> dict[str, float | int | None]:
    """The gaps between messages the provider took: their spread, and the seconds spent in gaps
    over 1.5 intervals of the rate both processes keep (what a drain below the limit lost, and where)."""
    if not gaps_ms:
        return summary(gaps_ms)
    interval_ms = 1000 / Settings.model_fields["telegram_global_rate"].default  # the default the bench runs
    lost = sum(g - interval_ms for g in gaps_ms if g > 1.5 * interval_ms) / 1000
    return {**summary(gaps_ms), "p90": round(percentile(gaps_ms, 90), 1), "seconds_in_long_gaps": round(lost, 2)}


async def post(http: aiohttp.ClientSession, url: str, update: dict[str, Any], refusals: Counter[str]) -> int:
    """Deliver one update as Telegram does; what a non-200 answer said is kept (status and body)."""
    async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
        body = await r.read()
        if r.status != 200:
            refusals[f"{r.status} {body[:120].decode('utf-8', 'replace')}"] += 1
        return r.status


async def post_danger(http: aiohttp.ClientSession, url: str, update: dict[str, Any], refusals: Counter[str],
                      answered: list[float]) -> int:
    started = time.monotonic()
    status = await post(http, url, update, refusals)
    answered.append((time.monotonic() - started) * 1000)
    return status


def busiest_second(times: Sequence[float]) -> int:
    """The most calls within one sliding second."""
    ordered, best, first = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


def deliver(strangers: list[tuple[str, dict[str, Any]]], dangers: list[tuple[str, dict[str, Any], int]],
            rate: float, danger_every: float, in_flight: int) -> dict[str, Any]:
    """In a process of its own: the strangers' updates at `rate` a second, a danger text every
    `danger_every` seconds among them, as Telegram delivers them. Times are the system's monotonic
    clock (the same in every process) and the wall clock."""
    return asyncio.run(_deliver(strangers, dangers, rate, danger_every, in_flight))


async def _deliver(strangers: list[tuple[str, dict[str, Any]]], dangers: list[tuple[str, dict[str, Any], int]],
                   rate: float, danger_every: float, in_flight: int) -> dict[str, Any]:
    danger_at: dict[int, float] = {}
    danger_wall: dict[int, float] = {}  # the same instants on the wall clock, to place the service's own stamps
    answered: list[float] = []
    statuses: Counter[int] = Counter()
    refusals: Counter[str] = Counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200),
                                     timeout=aiohttp.ClientTimeout(total=None)) as http:
        pending: set[asyncio.Task[int]] = set()
        start = time.monotonic()
        next_danger = start + danger_every / 2
        waiting = list(dangers)
        for n, (url, update) in enumerate(strangers):
            at = start + n / rate
            now = time.monotonic()
            if at > now:
                await asyncio.sleep(at - now)
            if time.monotonic() >= next_danger and waiting:
                hook, danger, chat = waiting.pop(0)
                next_danger += danger_every
                danger_at[chat], danger_wall[chat] = time.monotonic(), time.time()
                pending.add(asyncio.create_task(post_danger(http, hook, danger, refusals, answered)))
            pending.add(asyncio.create_task(post(http, url, update, refusals)))
            if len(pending) > in_flight:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                statuses.update(t.result() for t in done)
        inbound_seconds = time.monotonic() - start
        if pending:
            statuses.update(await asyncio.gather(*pending))
        accepted = time.monotonic() - start
    return {"start": start, "inbound_seconds": inbound_seconds, "accepted": accepted, "statuses": dict(statuses),
            "refusals": dict(refusals), "danger_at": danger_at, "danger_wall": danger_wall, "answered": answered}


async def sample_load(samples: list[float]) -> None:
    while True:
        samples.append(os.getloadavg()[0])
        await asyncio.sleep(1.0)


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    if not database_url.startswith("postgresql"):
        raise SystemExit("the saturation bench runs two processes: give --pg-admin-url or a PostgreSQL --database-url")
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    ring = prepared(workdir, database_url)
    nlu_cache = workdir / "nlu"
    nlu = NluService(cache_dir=nlu_cache)  # trained once here, loaded by both processes
    for locale in ("en", "de"):
        nlu.model(locale)
    db = Database(database_url, ring)
    async with FakeTelegram(TOKEN) as fake:
        fake.enforce_limits(per_second=LIMIT, per_chat_per_second=1)
        async with db.transaction() as s:
            s.add(StaffMember(name="on-call", roles=["liaison"], status="active", telegram_chat=str(STAFF_CHAT),
                              telegram_chat_index=ring.blind_index("telegram", str(STAFF_CHAT))))
        fake.chat(STAFF_CHAT)
        women: dict[int, int] = {}  # survivor id -> her chat
        for i in range(int(args.seconds / args.danger_every) + 1):
            chat = 9_200_000 + i
            survivor_id, _identity = await enrolled(db, ring, channel="telegram", address=str(chat),
                                                    pseudonym=f"ps-sat-{i}")
            women[survivor_id] = chat
            fake.chat(chat)
        env = serve_env(database_url, ring, fake, nlu_cache, LIAISON_LOG_LEVEL="ERROR", OUTBOX_POLL_SECONDS="0.5")
        procs = await asyncio.gather(*(Serve.start(env, workdir, within=180) for _ in range(args.processes)))
        hooks = [p.url + "/webhooks/telegram" for p in procs]
        loads: list[float] = []
        sampler = asyncio.create_task(sample_load(loads))
        chats = list(women.values())
        total = int(args.rate * args.seconds)
        # the updates are written here (the fake must know each message); a process of its own delivers them,
        # so the 200 msg/s client does not share an event loop with the fake provider, whose stamps and
        # limit would then lag behind the requests (bunched arrivals: 429s no real provider would give)
        strangers = [(hooks[n % len(hooks)], fake.user_sends(STRANGERS + n, "hello")) for n in range(total)]
        dangers = [(hooks[chat % len(hooks)], fake.user_sends(chat, DANGER), chat) for chat in chats]
        try:
            pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            try:
                sent = await asyncio.get_running_loop().run_in_executor(
                    pool, deliver, strangers, dangers, args.rate, args.danger_every, args.in_flight)
            finally:  # waited for off the loop: the fake's loop stalled 0.7 s on it (and bunched its arrivals)
                await asyncio.to_thread(pool.shutdown)
            start, inbound_seconds, accepted = sent["start"], sent["inbound_seconds"], sent["accepted"]
            statuses, refusals = Counter(sent["statuses"]), Counter(sent["refusals"])
            danger_at, danger_wall, danger_answered = sent["danger_at"], sent["danger_wall"], sent["answered"]
            load_after_inbound = [round(x, 2) for x in os.getloadavg()]
            # the backlog drains: wait for every stranger's reply (bounded)
            deadline = time.monotonic() + args.drain_limit
            while time.monotonic() < deadline:
                replied = sum(1 for n in range(total) if fake.bot_texts(STRANGERS + n))
                if replied >= total:
                    break
                await asyncio.sleep(0.5)
        finally:
            sampler.cancel()
            for p in procs:
                await p.stop()
        async with db.sessions() as s:
            raised = (await s.execute(select(Escalation.id, Escalation.survivor_id).where(
                Escalation.priority == "urgent"))).all()
            # her reply's own stamps (the service's clock is the wall clock here): where its time went
            her_rows = (await s.execute(select(OutboundMessage.survivor_id, OutboundMessage.created_at,
                                               OutboundMessage.first_attempt_at)
                                        .where(OutboundMessage.survivor_id.in_(list(women)))
                                        .order_by(OutboundMessage.id))).all()
        await db.dispose()
        problems: Counter[str] = Counter()  # what the processes logged at ERROR (event names, no data)
        for log in workdir.glob("serve-*.log"):  # noqa: ASYNC240 - once, after the run
            for line in log.read_text(errors="replace").splitlines():
                if "ERROR" in line or "Traceback" in line or "Error:" in line:
                    problems[line.strip()[:200]] += 1
        went = [c for c in fake.calls() if c.method in ("sendMessage", "editMessageText") and not c.limited]
        sends = [c for c in went if c.method == "sendMessage"]
        danger_ms, alert_ms = [], []
        queued_ms, claimed_ms, provider_ms = [], [], []  # webhook -> row queued -> first attempt -> provider took it
        first_row: dict[int, tuple[Any, Any]] = {}
        for whose, created, attempted in her_rows:
            if whose is not None:
                first_row.setdefault(women[whose], (created, attempted))
        for chat, at in danger_at.items():
            first = next((c.at for c in sends if c.params.get("chat_id") == chat), None)
            if first is not None:
                danger_ms.append((first - at) * 1000)
                created, attempted = first_row.get(chat, (None, None))
                if created is not None and attempted is not None:
                    queued = (created.timestamp() - danger_wall[chat]) * 1000
                    claimed = (attempted - created).total_seconds() * 1000
                    queued_ms.append(queued)
                    claimed_ms.append(claimed)
                    provider_ms.append(danger_ms[-1] - queued - claimed)
        staff_calls = [c for c in went if str(c.params.get("chat_id")) == str(STAFF_CHAT)]
        for escalation_id, survivor_id in raised:
            posted = danger_at.get(women.get(survivor_id, -1))
            carried = next((c.at for c in staff_calls if f"#{escalation_id}" in str(c.params.get("text") or "")), None)
            if posted is not None and carried is not None:
                alert_ms.append((carried - posted) * 1000)
        stranger_sends = sorted(c.at for c in sends if isinstance(c.params.get("chat_id"), int)
                                and c.params["chat_id"] >= STRANGERS)
        all_sends = sorted(c.at for c in sends)
        inbound_end = start + inbound_seconds
        after = [t for t in all_sends if t >= inbound_end]
        shown = Counter((cid, m.text) for cid, chat in fake.chats.items() for m in chat.messages if m.sender == "bot")
        replies = [len(fake.bot_texts(STRANGERS + n)) for n in range(total)]
        drain_span = (all_sends[-1] - all_sends[0]) if len(all_sends) > 1 else 0.0
    return {
        "processes": args.processes, "inbound_rate_asked": args.rate, "seconds": args.seconds,
        "inbound_rate_achieved": round(total / inbound_seconds, 1), "accepted_in_s": round(accepted, 1),
        "webhook_statuses": dict(statuses), "webhook_refusals": dict(refusals.most_common(8)),
        "danger_texts": len(danger_at), "danger_webhook_answered_ms": summary(danger_answered),
        "danger_reply_ms": summary(danger_ms), "staff_alert_ms": summary(alert_ms),
        # where a danger reply's time went: her message taken in and understood until the reply's row is
        # written (its created_at, before the transaction commits), the rest of that transaction and the
        # dispatcher taking it up (first attempt), then the shared turn and the request until the provider took it
        "danger_reply_stages_ms": {"webhook_to_queued": summary(queued_ms),
                                   "queued_to_first_attempt": summary(claimed_ms),
                                   "first_attempt_to_provider": summary(provider_ms)},
        "urgent_escalations": len(raised), "alerts_seen": len(alert_ms),
        "http_429": fake.limit_refusals,
        "http_429_by_recipient": dict(Counter(
            "on-call" if str(c.params.get("chat_id")) == str(STAFF_CHAT)
            else "stranger" if isinstance(c.params.get("chat_id"), int) and c.params["chat_id"] >= STRANGERS
            else "woman in danger" for c in fake.calls("sendMessage") if c.limited)),
        "replies_sent": len(stranger_sends), "replies_expected": total,
        # every message the provider took, from the first to the last: while the backlog lasted
        "drain_per_s": round((len(all_sends) - 1) / drain_span, 2) if drain_span else None,
        # the same once the inbound had stopped (no CPU spent on webhooks)
        "drain_after_inbound_per_s": round((len(after) - 1) / (after[-1] - after[0]), 2) if len(after) > 1 else None,
        "busiest_second_at_provider": busiest_second(all_sends),
        # the time between two messages the provider took, in ms (at 29/s: 34.5): where a drain below
        # the limit lost its time, once the inbound had stopped
        "gaps_after_inbound_ms": gap_summary([(b - a) * 1000 for a, b in zip(after, after[1:], strict=False)]),
        "provider_limit_per_s": LIMIT,
        "duplicates": sum(n - 1 for n in shown.values() if n > 1),
        "strangers_without_reply": sum(1 for r in replies if r == 0),
        "logged_errors": dict(problems.most_common(8)),
        "load_average": {"start": load_at_start, "after_inbound": load_after_inbound,
                         "end": [round(x, 2) for x in os.getloadavg()],
                         "max_1min_during": round(max(loads), 2) if loads else None},
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
    p.add_argument("--in-flight", type=int, default=150,
                   help="webhook requests the bench keeps open at most (beyond: it waits, and the rate drops)")
    p.add_argument("--out", type=Path, default=None, help="also write the report to this JSON file")
    add_database_options(p)
    p.add_argument("--json", action="store_true")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = run_in_temp_dir(args, "saturation-bench-", run)
    text = json.dumps(report, indent=None if args.json else 2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
