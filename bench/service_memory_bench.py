"""Resident memory of the whole service after start (issue 16: <= 150 MB).

Builds the real service in a fresh process (temp SQLite, new key file, simulator channel on, the
scheduler and dispatcher running), serves its web app on a loopback port, waits for the NLU
warm-up, sends a few free-text messages through the simulator API (so the classifier, the danger
net and the danger decision have run), and prints VmRSS (now) and VmHWM (peak) from /proc.

By default the NLU models are trained first in a separate process into the cache the service
uses, as the deploy step `liaison nlu train` does, so the service only loads plain arrays and
never imports scikit-learn. ``--cold`` leaves the cache empty: the service trains at start
(scikit-learn and scipy are then loaded in the service process and stay resident). The Telegram
channel is off here (it would reach out to Telegram at start); aiogram is imported only when it
is configured, and ``--with-aiogram`` imports it anyway to show what it costs.

    .venv/bin/python bench/service_memory_bench.py [--cold] [--with-aiogram] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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


def proc_status() -> dict[str, float]:
    """VmRSS and VmHWM of this process in MB."""
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def train_cache(cache: Path) -> None:
    code = "import sys; from nlu.cli import nlu_group; nlu_group(['--cache-dir', sys.argv[1], 'train'])"
    subprocess.run([sys.executable, "-c", code, str(cache)], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


async def measure(workdir: Path, cache: Path) -> dict[str, Any]:
    import aiohttp

    from bench._common import prepared
    from bench.inbound_bench import serving
    from bot.settings import load_settings
    from liaison.service import create_service

    started = proc_status()
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    ring = prepared(workdir, database_url)
    settings = load_settings(LIAISON_ENV="development", DATABASE_URL=database_url, LIAISON_KEY_FILE=ring.path,
                             LIAISON_SIMULATOR=True, NLU_CACHE_DIR=str(cache))
    service = create_service(settings, keyring=ring)
    async with serving(service) as base, aiohttp.ClientSession() as http:
        t0 = time.perf_counter()
        warm_up = [t for t in service._tasks if t.get_name() == "nlu-warm-up"]
        await asyncio.wait_for(asyncio.gather(*warm_up), timeout=300)  # loads (or trains) both locales
        warm_s = time.perf_counter() - t0
        after_start = proc_status()
        for i, text in enumerate(TEXTS):
            resp = await http.post(f"{base}/simulator/api/messages", json={"user": f"mem-{i}", "text": text})
            resp.release()
        for locale in ("en", "de"):
            for text in TEXTS:
                await service.nlu.understand(text, locale)
        after_use = proc_status()
    return {
        "rss_interpreter_mb": started["VmRSS"],
        "rss_after_start_mb": after_start["VmRSS"],
        "rss_after_messages_mb": after_use["VmRSS"],
        "peak_rss_mb": after_use["VmHWM"],
        "nlu_ready_s": warm_s,
        "sklearn_loaded": "sklearn" in sys.modules,
        "scipy_loaded": "scipy" in sys.modules,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", action="store_true", help="no trained models in the cache: the service trains")
    parser.add_argument("--with-aiogram", action="store_true",
                        help="import aiogram first, as a service with the Telegram channel configured does")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.with_aiogram:
        import aiogram.types  # noqa: F401  (what the Telegram channel brings in)
    with tempfile.TemporaryDirectory(prefix="service-memory-") as tmp:
        workdir = Path(tmp)
        cache = workdir / "nlu-cache"
        if not args.cold:
            train_cache(cache)
        os.chdir(workdir)
        result = asyncio.run(measure(workdir, cache))
    result["cold"], result["aiogram_imported"] = args.cold, args.with_aiogram
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"service RSS: {result['rss_after_start_mb']:.1f} MB after start (NLU ready in {result['nlu_ready_s']:.1f} s), "
        f"{result['rss_after_messages_mb']:.1f} MB after {len(TEXTS)} messages, peak {result['peak_rss_mb']:.1f} MB; "
        f"interpreter alone {result['rss_interpreter_mb']:.1f} MB; scikit-learn loaded: {result['sklearn_loaded']}, "
        f"scipy loaded: {result['scipy_loaded']} ({'cold: trained at start' if args.cold else 'models from the cache'}"
        f"{', aiogram imported' if args.with_aiogram else ', Telegram channel off'})"
    )


if __name__ == "__main__":
    main()
