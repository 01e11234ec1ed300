"""Does the programme's side learn, from how long an answer takes, whether a case is linked to a woman?

It builds the real service in this process (migrated database, generated key file) and serves its web
app on loopback. One survivor is enrolled with his case linked; then events are sent alternately for
that case (linked) and for a case nobody is linked to (unlinked), each a new event, by the API
(`POST /api/programme-events` with the site's token) and by the console's form (a `programme` account
signed in). Timed per request on a client in another thread, from sending to the complete answer. Between requests
the service finishes its background work (the matching after the answer), so each answer is timed on
its own. The issue's figure (before the fix): linked medians about twice the unlinked ones.

    python bench/programme_timing_bench.py                      # temp SQLite file, 200 of each
    python bench/programme_timing_bench.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "bench"):  # run as a plain script from anywhere
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from _common import add_database_options, prepared, run_in_temp_dir  # noqa: E402
from sqlalchemy import update  # noqa: E402

from bot.programme.tokens import create_token  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage.models import StaffMember  # noqa: E402
from liaison.service import create_service  # noqa: E402
from tests.programme.support import her  # noqa: E402
from tests.support.console import ConsoleClient, make_staff  # noqa: E402
from tests.support.http import serve_app  # noqa: E402

SITE = "north-leeds"
LINKED = "DV-2026-117"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def timed_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
    """One POST from another thread (the client must not share the server's event loop, or the
    server's work after the answer would be counted in it): status and seconds to the whole answer."""
    started = time.perf_counter()
    try:
        with _OPENER.open(urllib.request.Request(url, data=body, headers=headers, method="POST")) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as err:
        err.read()
        status = err.code
    return status, time.perf_counter() - started


async def settled(svc: Any) -> None:
    settler = getattr(svc, "settler", None)  # absent before the fix: the answer waited for the matching
    if settler is not None:
        await settler.settled()


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    ring = prepared(workdir, database_url)
    settings = load_settings(LIAISON_ENV="test", DATABASE_URL=database_url, LIAISON_KEY_FILE=ring.path,
                             NLU_CACHE_DIR=workdir / "nlu", PROGRAMME_API_RATE_PER_MINUTE=1e6,
                             PROGRAMME_API_BURST=100000)
    svc = create_service(settings, keyring=ring)
    times: dict[str, dict[str, list[float]]] = {"api": {"linked": [], "unlinked": []},
                                                "form": {"linked": [], "unlinked": []}}
    async with serve_app(svc.web_app()) as base:
        try:
            await her(svc.db, ring, "ps-bench", case_ref=LINKED, site=SITE)
            async with svc.db.transaction() as s:
                _row, token = await create_token(s, SITE, actor="bench", now=svc.clock())
            login = await make_staff(svc, "pat", ["programme"])
            async with svc.db.transaction() as s:
                await s.execute(update(StaffMember).where(StaffMember.name == "pat").values(site=SITE))
            form = ConsoleClient(base)
            assert await form.sign_in(login, svc.clock()) == 303
            day = (svc.clock() - timedelta(days=1)).date().isoformat()
            cookies = "; ".join(f"{c.key}={c.value}" for c in form.http.cookie_jar)
            for i in range(args.warmup + args.n):
                for which in ("linked", "unlinked"):
                    case = LINKED if which == "linked" else f"NOBODY-{i}"
                    event = {"event_id": f"api-{which}-{i}", "case_ref": case, "kind": "risk_raised",
                             "occurred_on": day}
                    status, took = await asyncio.to_thread(timed_post, base + "/api/programme-events",
                                                           json.dumps(event).encode(), {
                        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                    assert status == 201, status
                    await settled(svc)
                    if i >= args.warmup:
                        times["api"][which].append(took * 1000)
                    fields = {"csrf": form.csrf, "event_id": f"form-{which}-{i}", "case_ref": case,
                              "kind": "risk_raised", "occurred_on": day, "reason_class": "", "sessions_missed": "",
                              "expected_end": "", "detail": ""}
                    status, took = await asyncio.to_thread(timed_post, base + "/console/programme/events",
                                                           urlencode(fields).encode(), {
                        "Cookie": cookies, "Origin": base, "Content-Type": "application/x-www-form-urlencoded"})
                    assert status == 303, status
                    await settled(svc)
                    if i >= args.warmup:
                        times["form"][which].append(took * 1000)
            await form.close()
        finally:
            await svc.stop()
    result: dict[str, Any] = {"database": database_url.split(":", 1)[0], "n": args.n,
                              "load_average": [round(x, 2) for x in os.getloadavg()]}
    for way, by in times.items():
        linked, unlinked = statistics.median(by["linked"]), statistics.median(by["unlinked"])
        result[way] = {"linked_median_ms": round(linked, 2), "unlinked_median_ms": round(unlinked, 2),
                       "difference_pct": round(100 * (linked - unlinked) / unlinked, 1)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="requests of each kind (linked, unlinked) per way")
    parser.add_argument("--warmup", type=int, default=10)
    add_database_options(parser)
    print(json.dumps(run_in_temp_dir(parser.parse_args(), "programme-timing-", run), indent=2))


if __name__ == "__main__":
    main()
