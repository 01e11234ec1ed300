"""Quick exit after a crash: a real `liaison serve` is killed with SIGKILL while it deletes her 250
messages, and started again; how long after the restart is her chat clear (only the cover left)?

With the production claim lease (60 s) the deletion used to wait for the lease (67-69 s); now the
new process releases its dead predecessor's claims at start (bot/outbox/owners.py). Against the
fake Bot API of tests/support/fake_telegram.py, the first deleteMessages call held for a second so
the kill lands mid-deletion. Timed from /healthz answering 200 after the restart to the fake's chat
holding only the cover message.

    python bench/crash_exit_bench.py                        # temp SQLite file
    python bench/crash_exit_bench.py --repeat 3 --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import os
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

from bot.outbox.enqueue import enqueue, enqueue_deletion  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.key_canary import check_or_record  # noqa: E402
from nlu.service import NluService  # noqa: E402
from safety.deletion import DeletionPlan  # noqa: E402
from tests.faults.harness import TOKEN, Serve, serve_env, wait_for  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402

COVER = "Weather: light rain later."


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    ring = prepared(workdir, database_url)
    nlu = NluService(cache_dir=workdir / "nlu")  # trained once here, loaded by each process
    for locale in ("en", "de"):
        nlu.model(locale)
    db = Database(database_url, ring)
    await check_or_record(db, ring, db.clock())
    clear: list[float] = []
    async with FakeTelegram(TOKEN) as fake:
        fake.latency_ms = 20
        env = serve_env(database_url, ring, fake, workdir / "nlu")  # the production claim lease: 60 s
        for run_no in range(args.repeat):
            chat = 820_000_001 + run_no
            ids = fake.add_messages(chat, args.messages)
            address, index = str(chat), ring.blind_index("telegram", str(chat))
            async with db.transaction() as s:
                enqueue_deletion(s, channel="telegram", address=address, address_index=index, cause=f"qe:{run_no}",
                                 index=0, plan=DeletionPlan(tuple(str(i) for i in ids), (), ()), survivor_id=None,
                                 identity_id=None)
                enqueue(s, channel="telegram", address=address, address_index=index, cause=f"qe:{run_no}", index=1,
                        text_key="cover", body=COVER, is_reply=True)
            before = len(fake.calls("deleteMessages"))
            fake.delay("deleteMessages", 1.0, times=1)
            first = await Serve.start(env, workdir)
            await wait_for(lambda before=before: len(fake.calls("deleteMessages")) > before, within=120)
            await first.killed()
            second = await Serve.start(env, workdir)
            restarted = time.monotonic()
            try:
                await wait_for(lambda chat=chat: fake.bot_texts(chat) == [COVER], within=180)
                clear.append(time.monotonic() - restarted)
            finally:
                await second.stop()
    await db.dispose()
    return {"backend": make_url(database_url).get_backend_name(), "messages": args.messages, "runs": len(clear),
            "clear_after_restart_s": [round(c, 2) for c in clear], "max_s": round(max(clear), 2),
            "claim_lease_s": 60, "load_average": os.getloadavg()}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--messages", type=int, default=250, help="messages on her screen")
    p.add_argument("--repeat", type=int, default=1)
    add_database_options(p)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    report = run_in_temp_dir(parse_args(argv), "crash-exit-bench-", run)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
