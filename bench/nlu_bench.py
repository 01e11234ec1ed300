"""NLU benchmark: embedded classifier vs. a Rasa server on the same held-out files.

Figures per locale:
- embedded train time: load the training files and fit, no cache (median of --train-runs);
- parse latency p50/p99: one message per call, every held-out text, --rounds times;
- macro F1 / accuracy / danger recall on nlu/heldout/<locale>/test_nlu.yml;
- danger net latency p50/p99 (it runs on every message too).
With RASA_URL set (or --rasa-url), the same for the Rasa server's POST /model/parse, for the
locales it serves (--rasa-locales, default RASA_LOCALES or "en"; a URL holding "{locale}"
reaches one server per locale). Requests are sequential, bounded in count, loopback only.

    python bench/nlu_bench.py
    RASA_URL=http://127.0.0.1:5005 python bench/nlu_bench.py --rasa-locales en
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu import SUPPORTED_LOCALES, heldout_file, training_dir  # noqa: E402
from nlu.classifier import EmbeddedClassifier  # noqa: E402
from nlu.data import load_training_data  # noqa: E402
from nlu.evaluate import evaluate  # noqa: E402
from nlu.rasa_client import RasaClient  # noqa: E402
from safety.danger_net import detect_danger  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: p99 is a latency someone really waited)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


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
    }


def bench_embedded(locale: str, rounds: int, train_runs: int) -> dict[str, Any]:
    train_times = []
    model: EmbeddedClassifier | None = None
    for _ in range(train_runs):
        started = time.perf_counter()
        model = EmbeddedClassifier.train(load_training_data(training_dir(locale)), locale)
        train_times.append(time.perf_counter() - started)
    assert model is not None
    examples = load_training_data(heldout_file(locale)).examples
    texts = [e.text for e in examples]
    for t in texts[:20]:  # warm-up
        model.parse(t)
    latencies = []
    parses: list[dict[str, Any]] = []
    for r in range(rounds):
        for t in texts:
            started = time.perf_counter()
            parse = model.parse(t)
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
        "danger_net_p50_ms": percentile(net, 50) * 1000,
        "danger_net_p99_ms": percentile(net, 99) * 1000,
    }


async def bench_rasa(url: str, locale: str, rounds: int) -> dict[str, Any]:
    examples = load_training_data(heldout_file(locale)).examples
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
    return figures(locale, "rasa", None, examples, parses, latencies)


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'locale':6} {'backend':9} {'train s':>8} {'p50 ms':>8} {'p99 ms':>8} {'macro F1':>9} "
        f"{'accuracy':>9} {'danger recall (model / +net)':>29}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        train = "-" if r["train_s"] is None else f"{r['train_s']:.2f}"
        lines.append(
            f"{r['locale']:6} {r['backend']:9} {train:>8} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
            f"{r['macro_f1']:9.3f} {r['accuracy']:9.3f} {r['danger_recall_model']:>20.3f} / {r['danger_recall']:.3f}"
        )
    nets = [r for r in rows if "danger_net_p50_ms" in r]
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
    parser.add_argument("--rasa-locales", default=os.environ.get("RASA_LOCALES", "en"))
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()

    locales = list(SUPPORTED_LOCALES) if args.locales == "all" else args.locales.split(",")
    rows: list[dict[str, Any]] = []
    for locale in locales:
        rows.append(bench_embedded(locale, args.rounds, args.train_runs))
        if args.rasa_url and locale in args.rasa_locales.split(","):
            rows.append(asyncio.run(bench_rasa(args.rasa_url, locale, args.rounds)))
    print(json.dumps(rows, indent=2) if args.json else table(rows))


if __name__ == "__main__":
    main()
