"""NLU benchmark: embedded classifier vs. a Rasa server on the same test files.

Figures per locale:
- embedded train time: load the training files and fit, no cache (median of --train-runs);
- parse latency p50/p99: one message per call, every test text, --rounds times;
- macro F1 / accuracy / danger recall (model, model + net) on the test file: by default the
  harder set nlu/<locale>/test/test_nlu.yml; ``--test-file`` takes any Rasa-format file
  (``{locale}`` in the path is replaced per locale, e.g. nlu/heldout/{locale}/test_nlu.yml);
- the danger decision (safety/danger_decision.py): share of danger caught (alert or question),
  false alerts and questions on the other intents;
- danger net latency p50/p99 (it runs on every message too);
- memory (``--memory``, embedded only): resident memory of a fresh Python process before and
  after loading both trained models from the cache (numpy only: scikit-learn and scipy are
  checked to stay unimported), and the size of the model arrays.
With RASA_URL set (or --rasa-url), the same for the Rasa server's POST /model/parse, for the
locales it serves (--rasa-locales, default the locales RASA_URL names, else RASA_LOCALES or "en";
``en=URL,de=URL`` names one server per locale, a URL holding "{locale}" reaches one by name), and
the resident memory of each Rasa server process when it listens on this machine. Without RASA_URL
the Rasa side is skipped with a message (CI has no Rasa). Requests are sequential, bounded in
count, loopback only.

    python bench/nlu_bench.py --memory
    python bench/nlu_bench.py --test-file 'nlu/heldout/{locale}/test_nlu.yml'
    RASA_URL=en=http://127.0.0.1:5005,de=http://127.0.0.1:5006 python bench/nlu_bench.py --memory
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "bench"):  # run as a plain script from anywhere
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from stats import percentile  # noqa: E402

from nlu import SUPPORTED_LOCALES, harder_test_file, training_dir  # noqa: E402
from nlu.classifier import EmbeddedClassifier  # noqa: E402
from nlu.data import load_training_data  # noqa: E402
from nlu.evaluate import evaluate  # noqa: E402
from nlu.rasa_client import RasaClient, parse_url, server_urls  # noqa: E402
from safety.danger_net import detect_danger  # noqa: E402


def figures(locale: str, backend: str, train_s: float | None, examples: list[Any], parses: list[dict[str, Any]],
            latencies: list[float]) -> dict[str, Any]:
    """What both backends report: latency percentiles over every parse, quality over the first round."""
    report = evaluate(examples, parses, locale)
    return {
        "locale": locale,
        "backend": backend,
        "train_s": train_s,
        "examples": len(examples),
        "parses": len(latencies),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "macro_f1": report["macro_f1"],
        "accuracy": report["accuracy"],
        "danger_recall": report["danger_recall"],
        "danger_recall_model": report["danger_recall_classifier"],
        "decision_recall": report["decision_danger_recall"],
        "decision_alert_recall": report["decision_alert_recall"],
        "false_alerts": report["decision_false_alert_rate"],
        "questions": report["decision_question_rate"],
        "danger_support": report["danger_support"],
    }


def test_path(template: str | None, locale: str) -> Path:
    return Path(template.replace("{locale}", locale)) if template else harder_test_file(locale)


def bench_embedded(locale: str, rounds: int, train_runs: int, test_file: Path) -> dict[str, Any]:
    train_times = []
    model: EmbeddedClassifier | None = None
    for _ in range(train_runs):
        started = time.perf_counter()
        model = EmbeddedClassifier.train(load_training_data(training_dir(locale)), locale)
        train_times.append(time.perf_counter() - started)
    assert model is not None
    examples = load_training_data(test_file).examples
    texts = [e.text for e in examples]
    for t in texts[:20]:  # warm-up
        model.parse(t)
    latencies = []
    cpu: list[float] = []  # the thread's own CPU time: the work, without waiting for a busy machine's CPU
    parses: list[dict[str, Any]] = []
    for r in range(rounds):
        for t in texts:
            started, started_cpu = time.perf_counter(), time.thread_time()
            parse = model.parse(t)
            cpu.append(time.thread_time() - started_cpu)
            latencies.append(time.perf_counter() - started)
            if r == 0:
                parses.append(parse)
    net = []
    for _ in range(rounds):
        for t in texts:
            started = time.perf_counter()
            detect_danger(t, locale)
            net.append(time.perf_counter() - started)
    return {
        **figures(locale, "embedded", statistics.median(train_times), examples, parses, latencies),
        "cpu_p50_ms": percentile(cpu, 50) * 1000,
        "cpu_p99_ms": percentile(cpu, 99) * 1000,
        "danger_net_p50_ms": percentile(net, 50) * 1000,
        "danger_net_p99_ms": percentile(net, 99) * 1000,
    }


async def bench_rasa(url: str, locale: str, rounds: int, test_file: Path) -> dict[str, Any]:
    examples = load_training_data(test_file).examples
    texts = [e.text for e in examples]
    client = RasaClient(url, timeout=10.0)
    try:
        for t in texts[:20]:  # warm-up (first requests load TF graphs)
            await client.parse(t, locale)
        latencies = []
        parses: list[dict[str, Any]] = []
        for r in range(rounds):
            for t in texts:
                started = time.perf_counter()
                parse = await client.parse(t, locale)
                latencies.append(time.perf_counter() - started)
                if r == 0:
                    parses.append(parse)
    finally:
        await client.close()
    return {**figures(locale, "rasa", None, examples, parses, latencies),
            "server_rss_mb": listening_process_rss_mb(parse_url(url, locale))}


MEMORY_PROBE = """
import json, resource, sys, time
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
before = rss()
from nlu.service import NluService
imported = rss()
service = NluService(cache_dir=sys.argv[1])
models = [service.model(loc) for loc in ("en", "de")]
loaded = rss()
texts = [l.strip() for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
for m in models:
    for t in texts:
        m.parse(t)
parsed = rss()
print(json.dumps({
    "rss_start_mb": before, "rss_after_import_mb": imported, "rss_models_loaded_mb": loaded,
    "rss_after_parsing_mb": parsed, "model_memory_mb": parsed - imported,
    "model_arrays_mb": sum(m.weights.nbytes + m.bias.nbytes + m.buckets.nbytes for m in models) / 2**20,
    "sklearn_loaded": "sklearn" in sys.modules, "scipy_loaded": "scipy" in sys.modules,
}))
"""


def listening_process_rss_mb(url: str) -> float | None:
    """VmRSS of the process listening on the URL's port on this machine (the Rasa server), from
    /proc: the socket's inode in /proc/net/tcp*, then the process holding it. None if not found."""
    port = urlsplit(url).port
    if port is None or urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A = LISTEN
                    inodes.add(f"socket:[{fields[9]}]")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
    return None


def bench_memory(cache_dir: Path, texts: list[str]) -> dict[str, Any]:
    """Resident memory of a fresh process that loads both cached models and parses every text."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as fh:
        fh.write("\n".join(t.replace("\n", " ") for t in texts))
    try:
        out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(cache_dir), fh.name], cwd=root,
                             env={**os.environ, "PYTHONPATH": str(root)}, check=True, capture_output=True,
                             text=True)
    finally:
        os.unlink(fh.name)
    return dict(json.loads(out.stdout))


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'locale':6} {'backend':9} {'train s':>8} {'p50 ms':>8} {'p99 ms':>8} {'macro F1':>9} "
        f"{'accuracy':>9} {'danger recall (model / +net)':>29} {'caught':>7} {'false alerts':>13} {'questions':>10}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        train = "-" if r["train_s"] is None else f"{r['train_s']:.2f}"
        lines.append(
            f"{r['locale']:6} {r['backend']:9} {train:>8} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
            f"{r['macro_f1']:9.3f} {r['accuracy']:9.3f} {r['danger_recall_model']:>20.3f} / {r['danger_recall']:.3f} "
            f"{r['decision_recall']:7.3f} {r['false_alerts']:13.3f} {r['questions']:10.3f}"
        )
    for r in rows:
        if r["backend"] == "rasa":
            rss = "not found on this machine" if r["server_rss_mb"] is None else f"{r['server_rss_mb']:.0f} MB"
            lines.append(f"Rasa server ({r['locale']}): resident memory after the run {rss}")
    nets = [r for r in rows if "danger_net_p50_ms" in r]
    for r in nets:
        lines.append(
            f"embedded parse CPU time ({r['locale']}): p50 {r['cpu_p50_ms']:.3f} ms, p99 {r['cpu_p99_ms']:.3f} ms"
        )
    for r in nets:
        lines.append(
            f"danger net ({r['locale']}): p50 {r['danger_net_p50_ms']:.3f} ms, p99 {r['danger_net_p99_ms']:.3f} ms"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locales", default="all", help="en, de or all (embedded side)")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the held-out texts per backend")
    parser.add_argument("--train-runs", type=int, default=3)
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL"))
    parser.add_argument("--rasa-locales", default=os.environ.get("RASA_LOCALES"),
                        help="locales to ask Rasa about (default: those RASA_URL names, else en)")
    parser.add_argument("--test-file", default=None,
                        help="Rasa-format test file; '{locale}' is replaced (default nlu/<locale>/test/test_nlu.yml)")
    parser.add_argument("--memory", action="store_true", help="also measure the served models' resident memory")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()

    locales = list(SUPPORTED_LOCALES) if args.locales == "all" else args.locales.split(",")
    rasa_locales: list[str] = []
    if args.rasa_url:
        named = server_urls(args.rasa_url)
        rasa_locales = (args.rasa_locales.split(",") if args.rasa_locales
                        else list(named) if named is not None else ["en"])
    else:
        print("Rasa: skipped (RASA_URL is not set; deploy/rasa/README.md says how to run a Rasa 3.6 server "
              "and bench it side by side)", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    for locale in locales:
        test_file = test_path(args.test_file, locale)
        rows.append({**bench_embedded(locale, args.rounds, args.train_runs, test_file), "test_file": str(test_file)})
        if locale in rasa_locales:
            rows.append(asyncio.run(bench_rasa(args.rasa_url, locale, args.rounds, test_file)))
    memory = None
    if args.memory:
        from nlu.classifier import load_or_train

        with tempfile.TemporaryDirectory(prefix="nlu-bench-") as cache:
            for locale in SUPPORTED_LOCALES:
                load_or_train(locale, training_dir(locale), Path(cache))
            texts = [e.text for loc in locales for e in load_training_data(test_path(args.test_file, loc)).examples]
            memory = bench_memory(Path(cache), texts)
    if args.json:
        print(json.dumps({"rows": rows, "memory": memory}, indent=2))
        return
    print(table(rows))
    if memory:
        print(
            f"memory (fresh process, both locales): {memory['rss_after_import_mb']:.1f} MB after import, "
            f"{memory['rss_after_parsing_mb']:.1f} MB after loading and parsing; models "
            f"{memory['model_memory_mb']:.1f} MB resident ({memory['model_arrays_mb']:.1f} MB of arrays); "
            f"scikit-learn loaded: {memory['sklearn_loaded']}, scipy loaded: {memory['scipy_loaded']}"
        )


if __name__ == "__main__":
    main()
