"""Notice latency: from a worker's approval to the provider call that puts the notice's neutral
preview on her phone, over 100 notices.

It builds the real service in this process (migrated database, generated key file, the Telegram
channel through aiogram, the outbox dispatcher in the background) against the fake Bot API of
tests/support/fake_telegram.py. N survivors (information consent, safe times all day) each get one
drafted notice. Timed per notice, one after another: from just before the approval (the review
functions the console's Approve button calls, in their own transaction, then the dispatcher's
wake-up, as the console does) to the fake's arrival time of the sendMessage call to her chat
(Call.at, time.monotonic()). Routine notices take one approval; `--urgent` times the second
approval of urgent ones (their first approval is given beforehand, untimed).

    python bench/notice_bench.py                        # temp SQLite file, 100 routine notices
    python bench/notice_bench.py --urgent --latency-ms 50
    python bench/notice_bench.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Sequence
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
from stats import percentile  # noqa: E402

from bot.notices import review  # noqa: E402
from bot.service import Service  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage.models import ConsentRecord, Notice, StaffMember  # noqa: E402
from liaison.service import create_service  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.http import serve_app  # noqa: E402
from tests.support.notices import drafted  # noqa: E402
from tests.support.people import enrolled  # noqa: E402

ALL_DAY = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]
PREVIEW_START = "🌱 Green Thumbs Club\nA new note for you"


async def staff(service: Service, name: str, roles: list[str]) -> review.Reviewer:
    async with service.db.transaction() as s:
        member = StaffMember(name=name, roles=roles, status="active")
        s.add(member)
        await s.flush()
        return review.Reviewer.of(member)


async def give(service: Service, notice_id: int, who: review.Reviewer, second: bool) -> str:
    async with service.db.transaction() as s:
        row = await s.get(Notice, notice_id)
        assert row is not None
        if second:
            outcome = await review.second_approve(s, row, who, service.clock())
        else:
            outcome = await review.approve(s, row, who, service.clock())
    service.dispatcher.wake()
    return outcome


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    ring = prepared(workdir, database_url)
    kind = "risk_raised" if args.urgent else "dropped_out"
    async with FakeTelegram(TOKEN, latency_ms=args.latency_ms) as fake:
        settings = load_settings(
            LIAISON_ENV="development", DATABASE_URL=database_url, LIAISON_KEY_FILE=ring.path,
            TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_API_BASE=fake.url,
            NLU_CACHE_DIR=str(workdir / "nlu"),
        )
        service = create_service(settings, keyring=ring)
        ana, kim = await staff(service, "ana", ["liaison"]), await staff(service, "kim", ["supervisor"])
        people: list[tuple[int, int]] = []  # (chat, notice id)
        for i in range(args.notices):
            chat = 9_200_000 + i
            fake.chat(chat)  # she has started the bot
            sid, _ = await enrolled(service.db, ring, channel="telegram", address=str(chat),
                                    pseudonym=f"ps-notice-{i}", persona="garden", contact_windows=ALL_DAY,
                                    timezone="UTC")
            async with service.db.transaction() as s:
                s.add(ConsentRecord(survivor_id=sid, kind="information", granted=True, text_version="bench",
                                    channel="telegram"))
            notice = await drafted(service, sid, kind)
            assert notice is not None
            if args.urgent:
                await give(service, notice.id, ana, second=False)  # the untimed first approval
            people.append((chat, notice.id))
        latencies: list[float] = []
        approvals: list[float] = []
        async with serve_app(service.web_app()):
            for task in list(service._tasks):  # the NLU warm-up would compete for the CPU
                if task.get_name() == "nlu-warm-up":
                    await task
            for chat, notice_id in people:
                started = time.monotonic()
                outcome = await give(service, notice_id, kim if args.urgent else ana, second=args.urgent)
                approvals.append((time.monotonic() - started) * 1000)
                if outcome != "queued":
                    raise RuntimeError(f"notice {notice_id} was not queued: {outcome}")
                deadline = started + 30
                while True:
                    calls = [c for c in fake.calls("sendMessage") if str(c.params.get("chat_id")) == str(chat)]
                    if calls:
                        latencies.append((calls[0].at - started) * 1000)
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError("no preview reached her chat within 30 s")
                    await asyncio.sleep(0.002)
        await asyncio.sleep(0.3)
        for chat, _notice_id in people:
            texts = fake.bot_texts(chat)
            if len(texts) != 1 or not texts[0].startswith(PREVIEW_START):
                raise RuntimeError("every notice must reach her once, as the neutral preview")
    return {
        "backend": make_url(database_url).get_backend_name(), "notices": args.notices,
        "kind": "urgent (second approval)" if args.urgent else "routine (one approval)",
        "latency_ms": args.latency_ms,
        "p50_ms": round(statistics.median(latencies), 1), "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1), "approval_p50_ms": round(statistics.median(approvals), 1),
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--notices", type=int, default=100, help="notices, one per survivor")
    p.add_argument("--urgent", action="store_true", help="time the second approval of urgent notices")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every Bot API call")
    add_database_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a line")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = run_in_temp_dir(args, "notice-bench-", run)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"notice latency ({report['backend']}, {report['notices']} {report['kind']} notices, "
          f"+{report['latency_ms']:g} ms per Bot API call): p50 {report['p50_ms']} ms, p99 {report['p99_ms']} ms, "
          f"max {report['max_ms']} ms (approval -> the preview's sendMessage at the fake Bot API); "
          f"of which the approval transaction p50 {report['approval_p50_ms']} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
