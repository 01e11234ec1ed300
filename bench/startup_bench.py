"""How long a person waits: `liaison demo` process start -> /healthz 200, and `liaison --help`.

Each run starts a fresh process in a temporary folder (its own SQLite file and development key, as
on a fresh clone after the first run has migrated), polls /healthz on a free port, and stops it.

    python bench/startup_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

LIAISON = os.environ.get("LIAISON_BIN") or shutil.which("liaison") or str(Path(sys.executable).parent / "liaison")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_until_healthy(workdir: Path, timeout: float = 120.0) -> float:
    port = free_port()
    env = {**os.environ, "LIAISON_PORT": str(port), "LIAISON_ENV": "development"}
    for var in ("DATABASE_URL", "LIAISON_KEY_FILE", "TELEGRAM_BOT_TOKEN", "TWILIO_ACCOUNT_SID"):
        env.pop(var, None)
    start = time.perf_counter()
    proc = subprocess.Popen([LIAISON, "demo"], cwd=workdir, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"liaison demo exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise SystemExit("no healthy answer in time")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def help_time() -> float:
    start = time.perf_counter()
    subprocess.run([LIAISON, "--help"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        workdir = Path(tmp)
        first = demo_until_healthy(workdir)  # creates the key and migrates: a fresh clone's first start
        starts = [demo_until_healthy(workdir) for _ in range(args.runs)]
    helps = [help_time() for _ in range(args.runs)]
    print(f"liaison demo, first start on a fresh folder (key + migrations): {first:.2f} s")
    print(f"liaison demo, start -> /healthz 200 over {args.runs} runs: "
          f"median {statistics.median(starts):.2f} s, max {max(starts):.2f} s")
    print(f"liaison --help over {args.runs} runs: median {statistics.median(helps):.2f} s, max {max(helps):.2f} s")
    print(f"(load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
