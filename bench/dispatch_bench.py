"""Outbound benchmark: 1,000 notices to 1,000 Telegram chats sent by a real `liaison serve` process
(dispatcher, aiogram client) against the fake Bot API in this process, enforcing Telegram's limits
(30 messages a second per bot, 1 a second per chat; above them it answers 429 with retry_after like
the real API). `--in-process` runs the dispatcher in this process instead (sharing the fake's event
loop, which adds jitter the provider then sees as bursts).

Figures: wall time from the first send to the last, messages per second and its ratio to the
provider's 30/s, duplicates (a text shown twice in a chat), lost (a notice never shown), 429
refusals. Target: <= 35 s for 1,000, 0 duplicates, ratio >= 0.95.

    python bench/dispatch_bench.py                      # temp SQLite file
    python bench/dispatch_bench.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/dispatch_bench.py --pg-admin-url ... --out bench/results/dispatch_pg.json

On a shared machine run it at a higher priority (`nice -n -5`, as root) and read the load average
it prints: above 4 on two cores the serve process waits for a CPU and the figure measures that.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _common import prepared, run_in_temp_dir  # noqa: E402

from bot.channels.telegram.channel import TelegramChannel  # noqa: E402
from bot.delivery_events import DELIVERY_EVENTS  # noqa: E402
from bot.outbox.dispatcher import Dispatcher  # noqa: E402
from bot.outbox.enqueue import enqueue  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402

TOKEN = "123456:TEST-token-not-real"  # the token tests/faults/harness.py gives a serve process
LIMIT = 30.0


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    ring = prepared(workdir, database_url)
    db = Database(database_url, ring)
    async with FakeTelegram(TOKEN) as fake:
        fake.latency_ms = args.latency_ms
        fake.enforce_limits(per_second=LIMIT, per_chat_per_second=1.0)
        chats = [900_000_001 + i for i in range(args.messages)]
        async with db.transaction() as s:
            for chat in chats:
                fake.chat(chat)
                enqueue(s, channel="telegram", address=str(chat), address_index=ring.blind_index("telegram", str(chat)),
                        cause=f"bench:{chat}", index=0, text_key="bench.notice", body=f"notice for {chat}",
                        is_reply=False)
        if not args.in_process:
            return await _with_serve(args, database_url, workdir, ring, fake, chats, db)
        settings = load_settings(LIAISON_ENV="test", DATABASE_URL=database_url, LIAISON_KEY_FILE=ring.path,
                                 TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_MODE="polling", TELEGRAM_API_BASE=fake.url,
                                 TELEGRAM_RATE_PER_SECOND=args.rate, SEND_TIMEOUT_SECONDS=10)
        channel = TelegramChannel(settings)
        dispatcher = Dispatcher(db, {"telegram": channel}, events=DELIVERY_EVENTS, poll_interval=0.1, base_backoff=0.5)
        started = time.monotonic()
        runner = asyncio.create_task(dispatcher.run_forever())
        while sum(1 for c in chats if fake.chats[c].messages) < len(chats):
            if time.monotonic() - started > args.give_up:
                break
            await asyncio.sleep(0.05)
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await channel.close()
        await db.dispose()
        return _figures(args, database_url, fake, chats)


async def _with_serve(args: argparse.Namespace, database_url: str, workdir: Path, ring: Any, fake: FakeTelegram,
                      chats: list[int], db: Database) -> dict[str, Any]:
    from bot.storage.key_canary import check_or_record
    from tests.faults.harness import Serve, serve_env

    await check_or_record(db, ring, db.clock())
    await db.dispose()
    from nlu.service import NluService

    nlu_cache = workdir / "nlu-cache"  # trained here, so the serve process does not train while sending
    for locale in ("en", "de"):
        NluService(cache_dir=nlu_cache).model(locale)
    env = serve_env(database_url, ring, fake, nlu_cache, TELEGRAM_RATE_PER_SECOND=args.rate)
    serve = await Serve.start(env, workdir, within=180)
    started = time.monotonic()
    try:
        while sum(1 for c in chats if fake.chats[c].messages) < len(chats):
            if time.monotonic() - started > args.give_up:
                break
            await asyncio.sleep(0.05)
    finally:
        await serve.stop()
    return _figures(args, database_url, fake, chats)


def busiest_second(times: list[float]) -> int:
    """The most sendMessage calls the provider saw arrive within one second (a sliding window)."""
    ordered, best, start = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def _figures(args: argparse.Namespace, database_url: str, fake: FakeTelegram, chats: list[int]) -> dict[str, Any]:
    calls = [c.at for c in fake.calls("sendMessage")]
    ordered = sorted(calls)
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
    shown = Counter((c, m.text) for c in chats for m in fake.chats[c].messages if m.sender == "bot")
    delivered = sum(1 for c in chats if fake.chats[c].messages)
    elapsed = max(calls) - min(calls)
    rate = (delivered - 1) / elapsed if elapsed > 0 else float("inf")
    return {
        "database": "sqlite" if database_url.startswith("sqlite") else "postgresql",
        "dispatcher": "in this process" if args.in_process else "a liaison serve process",
        "messages": args.messages, "delivered": delivered, "lost": args.messages - delivered,
        "duplicates": sum(n - 1 for n in shown.values() if n > 1),
        "first_to_last_send_s": round(elapsed, 2), "msg_per_s": round(rate, 2),
        "ratio_to_provider_limit": round(rate / LIMIT, 3), "refused_429": fake.limit_refusals,
        "busiest_second_at_provider": busiest_second(calls),
        # where the time beyond the rate went: pauses between two sends of over 0.1 s (a stall of the
        # process or of the database), their count and the seconds they took together
        "pauses_over_100ms": [len([g for g in gaps if g > 0.1]), round(sum(g for g in gaps if g > 0.1), 2)],
        "service_rate_setting": args.rate,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "note": "measured on a shared, loaded 2-core machine",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added by the fake to every call")
    parser.add_argument("--give-up", type=float, default=120.0, help="seconds before reporting what arrived")
    parser.add_argument("--rate", type=float, default=29.0,
                        help="the service's TELEGRAM_RATE_PER_SECOND (its default: a margin under 30)")
    parser.add_argument("--in-process", action="store_true", help="run the dispatcher in this process")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--pg-admin-url", default=None)
    parser.add_argument("--out", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    result = run_in_temp_dir(args, "dispatch-bench-", run)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
