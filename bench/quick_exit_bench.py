"""Quick-exit benchmark: how long her Telegram chat holds messages after she presses quick exit.

It builds the real service in this process (migrated database, generated key file, the Telegram
channel through aiogram, the outbox dispatcher running in the background with the default
settings, so Telegram's default rate limits apply) against the fake Bot API of
tests/support/fake_telegram.py with `--latency-ms` added to every call, like a far-away API.

For each size N (default 250 and 1000) and each of `--repeat` runs, a fresh survivor gets a
conversation of N messages, half hers and half ours (all younger than 48 hours). The conversation
is written straight into the fake's chat and into our tables as the webhook and the dispatcher
would have left them (message ids, sent/received times); tests/safety/test_from_his_side_telegram.py
builds one the slow, real way. Then, timed from the quick_exit() call:
- quick exit + the flow's cover message, in one transaction, and a wake of the dispatcher
  (as the conversation layer does after committing);
- "deleted": until the dispatcher has finished the last deletion (provider answered, our
  records emptied);
- "cover shown": until the cover message is on her screen, alone.
It checks that the chat ends with only the cover and counts the deleteMessages calls.

    python bench/quick_exit_bench.py                        # temp SQLite file, 250 and 1000
    python bench/quick_exit_bench.py --sizes 250 --repeat 9 --latency-ms 50
    python bench/quick_exit_bench.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "bench"):  # run as a plain script from anywhere
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _common import add_database_options, prepared, run_in_temp_dir  # noqa: E402
from stats import BENCH_BOT_TOKEN as TOKEN  # noqa: E402
from stats import BENCH_WEBHOOK_SECRET as SECRET  # noqa: E402

from bot.actions.quick_exit import quick_exit  # noqa: E402
from bot.outbox.enqueue import enqueue  # noqa: E402
from bot.service import Service  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage.models import ChannelIdentity, InboundMessage, Survivor  # noqa: E402
from liaison.service import create_service  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.people import enrolled  # noqa: E402

COVER = "Tomorrow: light rain early, dry and mild later."


async def conversation(service: Service, fake: FakeTelegram, chat: int, survivor_id: int, identity_id: int,
                       size: int) -> None:
    """`size` messages, alternating hers and ours, on her screen and in our records."""
    now = datetime.now(UTC)
    index = service.keyring.blind_index("telegram", str(chat))
    async with service.db.transaction() as s:
        for i in range(size):
            at = now - timedelta(seconds=size - i)
            if i % 2 == 0:
                [mid] = fake.add_messages(chat, 1, "user", f"her words {i}")
                s.add(InboundMessage(channel="telegram", provider_id=f"{chat}:m{mid}", identity_id=identity_id,
                                     survivor_id=survivor_id, provider_message_id=str(mid), sender=str(chat),
                                     body=f"her words {i}", received_at=at, processed_at=at))
            else:
                [mid] = fake.add_messages(chat, 1, "bot", f"our answer {i}")
                row = enqueue(s, channel="telegram", address=str(chat), address_index=index,
                              cause=f"bench:{chat}:{i}", index=0, text_key="bench", body=f"our answer {i}",
                              survivor_id=survivor_id, identity_id=identity_id, sensitive=True)
                row.status, row.provider_message_id, row.sent_at, row.attempts = "sent", str(mid), at, 1


async def one_run(service: Service, fake: FakeTelegram, size: int, run: int) -> dict[str, Any]:
    chat = 700_000_000 + size * 100 + run
    sid, iid = await enrolled(service.db, service.keyring, channel="telegram", address=str(chat),
                              pseudonym=f"bench-{size}-{run}")
    await conversation(service, fake, chat, sid, iid, size)
    assert len(fake.screen(chat)) == size

    done: list[float] = []
    original = service.dispatcher._delete

    async def timed_delete(*args: Any) -> str:
        outcome = await original(*args)
        done.append(time.perf_counter())
        return outcome

    service.dispatcher._delete = timed_delete  # type: ignore[method-assign]
    calls_before = len(fake.calls("deleteMessages"))
    try:
        started = time.perf_counter()
        async with service.db.transaction() as s:
            survivor, identity = await s.get(Survivor, sid), await s.get(ChannelIdentity, iid)
            assert survivor is not None and identity is not None
            count = await quick_exit(s, survivor, identity, f"bench-{size}-{run}", datetime.now(UTC))
            enqueue(s, channel="telegram", address=str(chat), address_index=identity.address_index,
                    cause=f"bench-cover-{size}-{run}", index=0, text_key="cover", body=COVER,
                    survivor_id=sid, identity_id=iid)
        committed = time.perf_counter()
        service.dispatcher.wake()
        deadline = started + 120
        while [m["text"] for m in fake.screen(chat)] != [COVER]:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"quick exit of {size} messages did not finish in 120 s")
            await asyncio.sleep(0.002)
        shown = time.perf_counter()
    finally:
        service.dispatcher._delete = original  # type: ignore[method-assign]
    calls = [c for c in fake.calls("deleteMessages")[calls_before:] if c.params.get("chat_id") == chat]
    return {
        "messages": size, "queued": count,
        "delete_calls": len(calls), "ids_deleted": sum(len(c.params["message_ids"]) for c in calls),
        "commit_ms": (committed - started) * 1000, "deleted_ms": (max(done) - started) * 1000,
        "cover_shown_ms": (shown - started) * 1000,
    }


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    ring = prepared(workdir, database_url)
    async with FakeTelegram(TOKEN, latency_ms=args.latency_ms) as fake:
        overrides: dict[str, Any] = {}
        if args.chat_rate is not None:
            overrides["TELEGRAM_CHAT_RATE_PER_SECOND"] = args.chat_rate
        settings = load_settings(
            LIAISON_ENV="development", DATABASE_URL=database_url, LIAISON_KEY_FILE=ring.path,
            TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_API_BASE=fake.url, **overrides,
        )
        service = create_service(settings, keyring=ring)
        await service.start_background()
        try:
            runs = [await one_run(service, fake, size, r) for size in args.sizes for r in range(args.repeat)]
        finally:
            await service.stop()
    results = []
    for size in args.sizes:
        mine = [r for r in runs if r["messages"] == size]
        for r in mine:
            if r["queued"] != size or r["ids_deleted"] != size:
                raise RuntimeError(f"expected {size} messages deleted, got {r}")
        results.append({
            "messages": size,
            "delete_calls": sorted({r["delete_calls"] for r in mine}),
            "commit_ms_p50": round(statistics.median(r["commit_ms"] for r in mine), 1),
            "deleted_ms_p50": round(statistics.median(r["deleted_ms"] for r in mine), 1),
            "deleted_ms_min": round(min(r["deleted_ms"] for r in mine), 1),
            "deleted_ms_max": round(max(r["deleted_ms"] for r in mine), 1),
            "cover_shown_ms_p50": round(statistics.median(r["cover_shown_ms"] for r in mine), 1),
            "runs_deleted_ms": [round(r["deleted_ms"], 1) for r in mine],
        })
    return {
        "backend": make_url(database_url).get_backend_name(),
        "latency_ms": args.latency_ms,
        "repeat": args.repeat,
        "telegram_chat_rate": settings.telegram_chat_rate,
        "telegram_global_rate": settings.telegram_global_rate,
        "results": results,
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[250, 1000], help="conversation sizes (messages)")
    p.add_argument("--repeat", type=int, default=5, help="runs per size (p50 over them)")
    p.add_argument("--latency-ms", type=float, default=20.0, help="added to every Bot API call")
    p.add_argument("--chat-rate", type=float, default=None,
                   help="TELEGRAM_CHAT_RATE_PER_SECOND (default: the service's default)")
    add_database_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = run_in_temp_dir(args, "quick-exit-bench-", run)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"quick exit on Telegram: {report['backend']}, +{report['latency_ms']:g} ms per Bot API call, "
          f"{report['repeat']} runs per size, rates {report['telegram_global_rate']:g}/s global, "
          f"{report['telegram_chat_rate']:g}/s per chat")
    print(f"{'messages':>8} {'deleteMessages':>14} {'commit p50':>10} {'deleted p50':>11} "
          f"{'min..max':>17} {'cover shown p50':>15}   (ms, from the quick_exit() call)")
    for r in report["results"]:
        calls = ",".join(str(c) for c in r["delete_calls"])
        print(f"{r['messages']:>8} {calls:>14} {r['commit_ms_p50']:>10.1f} {r['deleted_ms_p50']:>11.1f} "
              f"{r['deleted_ms_min']:>8.1f}..{r['deleted_ms_max']:<8.1f} {r['cover_shown_ms_p50']:>15.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
