"""Does the programme's side learn, from how long an answer takes, whether a case is linked to a woman?

It builds the real service in this process (migrated database, generated key file) and serves its web
app on loopback. One survivor is enrolled with his case linked; then events are sent for that case
(linked) and for a case nobody is linked to (unlinked), each a new event, by the API
(`POST /api/programme-events` with the site's token) and by the console's form (a `programme` account
signed in). Timed per request on a client in another thread, from sending to the complete answer.
Between requests the service finishes its background work (the matching after the answer), so each
answer is timed on its own. The issue's figure (before the fix): linked medians about twice the
unlinked ones.

Each round sends the four (API or form, linked or unlinked) in a shuffled order (`--seed`): a fixed
order put every linked API request after an unlinked one and every unlinked one after a linked
one, so what the request before left behind was counted as a difference of the case (the form's
difference then had the opposite sign). Noise of a shared machine hits both kinds alike; the
result gives the medians, their difference with a bootstrap 95 % interval, the medians by what the
request before was, and the load average before and after (above about 4, run it again).

`--probe` adds the view of a sender who does not wait: after each API event, at once (or
`--probe-delay-ms` later) a second API event for a case nobody is linked to, timed while the first
one's matching is still to come; its medians after a linked and after an unlinked event. At once, the
matching waits for the probe (bot/programme/settler.py); 60 ms later the probe lands inside it.

    python bench/programme_timing_bench.py                      # temp SQLite file, 200 of each
    python bench/programme_timing_bench.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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


def difference(linked: list[float], unlinked: list[float], seed: int) -> dict[str, Any]:
    """Medians, their difference in % of the unlinked one, and a bootstrap 95 % interval of it."""
    def pct(a: list[float], b: list[float]) -> float:
        return 100 * (statistics.median(a) - statistics.median(b)) / statistics.median(b)

    rng = random.Random(seed)
    boots = sorted(pct(rng.choices(linked, k=len(linked)), rng.choices(unlinked, k=len(unlinked)))
                   for _ in range(1000))
    return {"linked_median_ms": round(statistics.median(linked), 2),
            "unlinked_median_ms": round(statistics.median(unlinked), 2),
            "difference_pct": round(pct(linked, unlinked), 1),
            "difference_pct_95": [round(boots[25], 1), round(boots[974], 1)], "n": [len(linked), len(unlinked)]}


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    ring = prepared(workdir, database_url)
    floor = {} if args.answer_floor is None else {"PROGRAMME_ANSWER_FLOOR_SECONDS": args.answer_floor}
    settings = load_settings(LIAISON_ENV="test", DATABASE_URL=database_url, LIAISON_KEY_FILE=ring.path,
                             NLU_CACHE_DIR=workdir / "nlu", PROGRAMME_API_RATE_PER_MINUTE=1e6,
                             PROGRAMME_API_BURST=100000, **floor)
    svc = create_service(settings, keyring=ring)
    rng = random.Random(args.seed)
    # (way, linked or unlinked, what the request before was) -> ms; the probes by the event before them
    times: list[tuple[str, str, str, float]] = []
    probes: dict[str, list[float]] = {"linked": [], "unlinked": []}
    load_before = [round(x, 2) for x in os.getloadavg()]
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
            api_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            before = "unlinked"
            for i in range(args.warmup + args.n):
                order = [(way, which) for way in ("api", "form") for which in ("linked", "unlinked")]
                rng.shuffle(order)
                for way, which in order:
                    case = LINKED if which == "linked" else f"NOBODY-{way}-{i}"
                    if way == "api":
                        event = {"event_id": f"api-{which}-{i}", "case_ref": case, "kind": "risk_raised",
                                 "occurred_on": day}
                        status, took = await asyncio.to_thread(timed_post, base + "/api/programme-events",
                                                               json.dumps(event).encode(), api_headers)
                        assert status == 201, status
                        if args.probe:
                            if args.probe_delay_ms:
                                await asyncio.sleep(args.probe_delay_ms / 1000)
                            probe = {"event_id": f"probe-{which}-{i}", "case_ref": f"NOBODY-probe-{which}-{i}",
                                     "kind": "risk_raised", "occurred_on": day}
                            status, probe_took = await asyncio.to_thread(
                                timed_post, base + "/api/programme-events", json.dumps(probe).encode(), api_headers)
                            assert status == 201, status
                            if i >= args.warmup:
                                probes[which].append(probe_took * 1000)
                    else:
                        fields = {"csrf": form.csrf, "event_id": f"form-{which}-{i}", "case_ref": case,
                                  "kind": "risk_raised", "occurred_on": day, "reason_class": "",
                                  "sessions_missed": "", "expected_end": "", "detail": ""}
                        status, took = await asyncio.to_thread(timed_post, base + "/console/programme/events",
                                                               urlencode(fields).encode(), {
                            "Cookie": cookies, "Origin": base, "Content-Type": "application/x-www-form-urlencoded"})
                        assert status == 303, status
                    await settled(svc)
                    if i >= args.warmup:
                        times.append((way, which, before, took * 1000))
                    before = which
            await form.close()
        finally:
            await svc.stop()
    result: dict[str, Any] = {"database": database_url.split(":", 1)[0], "n": args.n, "seed": args.seed,
                              "answer_floor_s": settings.programme_answer_floor,
                              "load_average_before": load_before,
                              "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    for way in ("api", "form"):
        by = {which: [ms for w, k, _b, ms in times if w == way and k == which] for which in ("linked", "unlinked")}
        result[way] = difference(by["linked"], by["unlinked"], args.seed)
        result[way]["median_ms_by_request_before"] = {
            f"{which}_after_{before}": round(statistics.median(got), 2)
            for which in ("linked", "unlinked") for before in ("linked", "unlinked")
            if (got := [ms for w, k, b, ms in times if w == way and k == which and b == before])}
    if args.probe:
        result["probe_after_api_event"] = {"delay_ms": args.probe_delay_ms,
                                           **difference(probes["linked"], probes["unlinked"], args.seed)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="requests of each kind (linked, unlinked) per way")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=25, help="the shuffled order of each round's four requests")
    parser.add_argument("--probe", action="store_true",
                        help="after each API event, time a second one sent before the first is matched")
    parser.add_argument("--probe-delay-ms", type=float, default=0.0, help="wait this long before the probe")
    parser.add_argument("--answer-floor", type=float, default=None,
                        help="PROGRAMME_ANSWER_FLOOR_SECONDS (default: the service's; 0 holds no answer, as before it)")
    add_database_options(parser)
    print(json.dumps(run_in_temp_dir(parser.parse_args(), "programme-timing-", run), indent=2))


if __name__ == "__main__":
    main()
