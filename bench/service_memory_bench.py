"""Resident memory of the whole service after start (issue 16: <= 150 MB with Telegram on).

Each run is a fresh process that builds the real service (temp SQLite, new key file, the scheduler
and dispatcher running), serves its web app on a loopback port, waits for the NLU warm-up, and
reads VmRSS (now) and VmHWM (peak) from /proc; then it sends ten free-text messages through the
channel (so the classifier, the danger net and the danger decision have run) and reads them again.

- ``--channel telegram``: the Telegram channel on, in webhook mode, against the fake Bot API of
  tests/support/fake_telegram.py served in the same process on loopback (it registers its webhook
  there at start; the messages come in through POST /webhooks/telegram as Telegram sends them).
- ``--channel simulator``: the Telegram channel off, the simulator channel on.
- default: both, ``--runs`` times each (default 3), and the medians.

What the deploy does is done beforehand in other processes, as `liaison migrate` and
`liaison nlu train` do, so Alembic and scikit-learn are not counted: the database is migrated in a
subprocess, and the NLU models are trained into the cache the service loads. ``--cold`` leaves the
cache empty (the service trains at start; see nlu/service.py for where that happens).

    .venv/bin/python bench/service_memory_bench.py [--channel telegram|simulator|both] [--runs 3] [--cold] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEXTS = ["hello", "can someone call me", "he grabbed me", "no", "what is the course about", "thanks",
         "hes outside again", "dont text after 7 pls", "menu", "i feel ok today"]
SECRET = "memory-bench-secret"
FIGURES = ("rss_after_imports_mb", "rss_after_start_mb", "rss_after_messages_mb", "peak_rss_mb", "nlu_ready_s")


def proc_status() -> dict[str, float]:
    """VmRSS and VmHWM of this process in MB."""
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def in_subprocess(code: str, *args: str) -> None:
    """A deploy step in its own process, so what it imports is not counted here."""
    subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


def aiogram_models_built() -> tuple[int, int]:
    """How many of aiogram's pydantic models have a validator built (bot/channels/telegram/lean_aiogram.py)."""
    if "aiogram" not in sys.modules:
        return 0, 0
    import aiogram.methods
    import aiogram.types

    models = [getattr(m, n) for m in (aiogram.types, aiogram.methods) for n in m.__all__]
    models = [m for m in models if hasattr(m, "__pydantic_complete__")]
    return sum(bool(m.__pydantic_complete__) for m in models), len(models)


async def send_messages(channel: str, base: str, fake: Any) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        for i, text in enumerate(TEXTS):
            if channel == "telegram":
                from tests.support.fake_telegram import deliver

                status = await deliver(fake.user_sends(5000 + i, text), f"{base}/webhooks/telegram", SECRET,
                                       session=http)
            else:
                async with http.post(f"{base}/simulator/api/messages", json={"user": f"mem-{i}", "text": text}) as r:
                    status = r.status
            if status != 200:
                raise SystemExit(f"message {i} was refused with HTTP {status}")


async def measure(channel: str, workdir: Path, cache: Path) -> dict[str, Any]:
    from bot.settings import load_settings
    from liaison.service import create_service
    from safety.crypto import KeyRing
    from tests.support.fake_telegram import FakeTelegram
    from tests.support.http import serve_app

    started = proc_status()
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    in_subprocess("import sys; from bot.storage.migrate import upgrade; upgrade(sys.argv[1])", database_url)
    ring = KeyRing.generate(workdir / "keys.json")
    env: dict[str, object] = {"LIAISON_ENV": "development", "DATABASE_URL": database_url,
                              "LIAISON_KEY_FILE": ring.path, "NLU_CACHE_DIR": str(cache)}
    async with FakeTelegram() as fake:
        if channel == "telegram":
            env.update(LIAISON_SIMULATOR=False, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_WEBHOOK_SECRET=SECRET,
                       TELEGRAM_API_BASE=fake.url)
        else:
            env.update(LIAISON_SIMULATOR=True)
        service = create_service(load_settings(**env), keyring=ring)
        async with serve_app(service.web_app()) as base:
            t0 = time.perf_counter()
            warm_up = [t for t in service._tasks if t.get_name() == "nlu-warm-up"]
            await asyncio.wait_for(asyncio.gather(*warm_up), timeout=300)  # loads (or trains) both locales
            warm_s = time.perf_counter() - t0
            after_start = proc_status()
            built, models = aiogram_models_built()
            await send_messages(channel, base, fake)
            for locale in ("en", "de"):
                for text in TEXTS:
                    await service.nlu.understand(text, locale)
            after_use = proc_status()
    return {
        "channels": sorted(service.channels),
        "rss_after_imports_mb": started["VmRSS"],
        "rss_after_start_mb": after_start["VmRSS"],
        "rss_after_messages_mb": after_use["VmRSS"],
        "peak_rss_mb": after_use["VmHWM"],
        "nlu_ready_s": warm_s,
        "aiogram_models_built": built,
        "aiogram_models": models,
        "sklearn_loaded": "sklearn" in sys.modules,
        "scipy_loaded": "scipy" in sys.modules,
        "alembic_loaded": "alembic" in sys.modules,
    }


def one_run(channel: str, cold: bool) -> dict[str, Any]:
    """This process is the service: measure it once."""
    with tempfile.TemporaryDirectory(prefix="service-memory-") as tmp:
        workdir = Path(tmp)
        cache = workdir / "nlu-cache"
        if not cold:
            in_subprocess("import sys; from nlu.cli import nlu_group; nlu_group(['--cache-dir', sys.argv[1], 'train'])",
                          str(cache))
        os.chdir(workdir)
        return asyncio.run(measure(channel, workdir, cache))


def fresh_runs(channel: str, runs: int, cold: bool) -> dict[str, Any]:
    """`runs` fresh processes (RSS cannot be measured twice in one); medians of the figures."""
    results = []
    for _ in range(runs):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--one-run", "--channel", channel, "--json"]
        out = subprocess.run(cmd + (["--cold"] if cold else []), cwd=ROOT, check=True, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
        results.append(json.loads(out.stdout))
    summary = {key: statistics.median(r[key] for r in results) for key in FIGURES}
    summary.update({k: v for k, v in results[-1].items() if k not in FIGURES})
    summary.update(channel=channel, runs=len(results), cold=cold,
                   after_start_each_mb=[round(r["rss_after_start_mb"], 1) for r in results])
    return summary


def line(r: dict[str, Any]) -> str:
    aiogram = (f"; aiogram models built: {r['aiogram_models_built']} of {r['aiogram_models']}"
               if r["aiogram_models"] else "; aiogram not imported")
    return (
        f"{r['channel']:9} RSS after start {r['rss_after_start_mb']:.1f} MB (runs: {r['after_start_each_mb']}), "
        f"after {len(TEXTS)} messages {r['rss_after_messages_mb']:.1f} MB, peak {r['peak_rss_mb']:.1f} MB; "
        f"after imports {r['rss_after_imports_mb']:.1f} MB; NLU ready in {r['nlu_ready_s']:.1f} s"
        f"{aiogram}; scikit-learn loaded: {r['sklearn_loaded']}, alembic loaded: {r['alembic_loaded']}"
        f"{' (cold: trained at start)' if r['cold'] else ''}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channel", choices=["telegram", "simulator", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per channel; medians are printed")
    parser.add_argument("--cold", action="store_true", help="no trained models in the cache: the service trains")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)  # a child: measure this process
    args = parser.parse_args()
    if args.one_run:
        print(json.dumps(one_run(args.channel, args.cold)))
        return
    load = os.getloadavg()
    channels = ["telegram", "simulator"] if args.channel == "both" else [args.channel]
    rows = [fresh_runs(channel, args.runs, args.cold) for channel in channels]
    if args.json:
        print(json.dumps({"load_average": load, "rows": rows}, indent=2))
        return
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; medians of {args.runs} fresh processes")
    for r in rows:
        print(line(r))


if __name__ == "__main__":
    main()
