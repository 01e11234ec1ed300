"""Wave planning benchmark: plan the check-in waves of 100,000 survivors and report time and memory.

Synthetic survivors (seeded): enrolment days over two years, six time zones, most with programme
dates of 16-30 weeks, some not yet known (intake wave only), a fifth ended early (drop-out or
exclusion). Planning is `scheduler.plan.WavePlanner` with the shipped content/waves.yaml, the pure
step the scheduler runs for every survivor whose milestones changed.

Figures:
- plan time: wall time to plan everyone one survivor at a time (as the scheduler's reconcile step
  does), best of --runs; also with every plan kept in a list;
- per survivor: plan time / survivors;
- peak traced memory: tracemalloc's peak during separate planning passes (tracing slows it down,
  so time is measured without it): one plan at a time, and every plan kept;
- max RSS: the process's peak resident set (resource.getrusage), whole interpreter included.

    python bench/waves_bench.py
    python bench/waves_bench.py --survivors 20000 --runs 5 --json
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler.plan import Milestones, PlannedWave, WavePlanner  # noqa: E402
from scheduler.waves import WaveConfig, default_wave_config  # noqa: E402

ZONES = ("Europe/London", "Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/Dublin", "America/New_York")


def cohort(n: int, seed: int = 42) -> list[tuple[Milestones, str]]:
    rng = random.Random(seed)
    first = date(2025, 1, 1)
    people = []
    for _ in range(n):
        enrolled = first + timedelta(days=rng.randrange(730))
        tz = rng.choice(ZONES)
        r = rng.random()
        if r < 0.1:
            people.append((Milestones(enrolled), tz))
            continue
        start = enrolled + timedelta(days=rng.randrange(0, 35))
        expected = start + timedelta(weeks=rng.randrange(16, 31))
        actual = None
        if r > 0.8:
            actual = start + timedelta(days=rng.randrange(7, (expected - start).days))
        people.append((Milestones(enrolled, start, expected, actual), tz))
    return people


def plan_all(config: WaveConfig, people: list[tuple[Milestones, str]]) -> list[list[PlannedWave]]:
    """Every plan kept (what a caller holding all of them would need), by one cold planner."""
    planner = WavePlanner(config)
    return [planner.plan(m, tz) for m, tz in people]


def plan_streaming(config: WaveConfig, people: list[tuple[Milestones, str]]) -> int:
    """One survivor's plan at a time, as the scheduler's reconcile step uses it (one planner, as its
    WaveJobs holds, starting cold: time-zone conversions and shared instances are part of the cost)."""
    planner = WavePlanner(config)
    return sum(len(planner.plan(m, tz)) for m, tz in people)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--survivors", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3, help="timed runs; the best is reported")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()

    config = default_wave_config()
    people = cohort(args.survivors)

    times, held_times = [], []
    instances = 0
    for _ in range(args.runs):
        gc.collect()
        t0 = time.perf_counter()
        instances = plan_streaming(config, people)
        times.append(time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        plans = plan_all(config, people)
        held_times.append(time.perf_counter() - t0)
        del plans
    best, best_held = min(times), min(held_times)

    gc.collect()
    tracemalloc.start()
    plan_streaming(config, people)
    _current, peak_streaming = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    tracemalloc.start()
    plans = plan_all(config, people)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del plans
    max_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux

    figures = {
        "survivors": args.survivors,
        "wave_instances": instances,
        "instances_per_survivor": round(instances / args.survivors, 2),
        "plan_seconds_best": round(best, 3),
        "plan_seconds_all_runs": [round(t, 3) for t in times],
        "plan_seconds_all_held_best": round(best_held, 3),
        "microseconds_per_survivor": round(best / args.survivors * 1e6, 1),
        "survivors_per_second": round(args.survivors / best),
        "peak_traced_mib_streaming": round(peak_streaming / 2**20, 1),
        "peak_traced_mib_all_held": round(peak / 2**20, 1),
        "max_rss_mib": round(max_rss_kb / 1024, 1),
        "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"planned {figures['wave_instances']:,} wave instances for {args.survivors:,} survivors "
          f"({figures['instances_per_survivor']} each)")
    print(f"plan time        {best:.3f} s one plan at a time (best of {args.runs}: "
          f"{', '.join(f'{t:.3f}' for t in times)}); {best_held:.3f} s keeping every plan")
    print(f"per survivor     {figures['microseconds_per_survivor']} µs  ({figures['survivors_per_second']:,}/s)")
    print(f"peak traced mem  {figures['peak_traced_mib_streaming']} MiB one plan at a time, "
          f"{figures['peak_traced_mib_all_held']} MiB keeping every plan (tracemalloc; inputs excluded)")
    print(f"max RSS          {figures['max_rss_mib']} MiB (whole process, inputs included)")


if __name__ == "__main__":
    main()
