"""Issue 23's frozen held-out sets, measured once: the embedded classifier and a Rasa server side by side.

The sets (nlu/<locale>/test/test_nlu_issue23.yml, spent; test_nlu_issue23b.yml, the second) were written
by an evaluator who saw only the intent definitions, then frozen before any training change; nobody tunes on
them. This script reports, per locale and backend, the figures the issue asks for (macro F1; danger and
self-harm caught = alert or question; false alerts and questions on the other intents) and the same per kind
of message (nlu/<locale>/test/test_nlu_<set>_kinds.tsv), and writes them to a JSON file.

    RASA_URL=en=http://127.0.0.1:5005,de=http://127.0.0.1:5006 python bench/nlu_heldout_once.py --out FILE
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu import SUPPORTED_LOCALES, training_dir  # noqa: E402
from nlu.classifier import EmbeddedClassifier  # noqa: E402
from nlu.data import load_training_data  # noqa: E402
from nlu.evaluate import URGENT_INTENTS, evaluate  # noqa: E402
from nlu.rasa_client import RasaClient, server_urls  # noqa: E402
from safety.danger_decision import decide  # noqa: E402
from safety.danger_net import detect_danger  # noqa: E402


def frozen(locale: str, name: str) -> tuple[Path, dict[str, str]]:
    """The set `nlu/<locale>/test/test_nlu_<name>.yml` and its kinds file (text -> kind), if it has one."""
    folder = ROOT / "nlu" / locale / "test"
    kinds: dict[str, str] = {}
    kinds_file = folder / f"test_nlu_{name}_kinds.tsv"
    lines = kinds_file.read_text(encoding="utf-8").splitlines() if kinds_file.exists() else []
    for line in lines:
        if line.strip():
            kind, text = line.split("\t", 1)
            kinds[text] = kind
    return folder / f"test_nlu_{name}.yml", kinds


def by_kind(examples: list[Any], parses: list[dict[str, Any]], locale: str, kinds: dict[str, str]) -> dict[str, Any]:
    """Per (intent group, kind): how many, caught (urgent) or alerted / asked (the others)."""
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for example, parse in zip(examples, parses, strict=True):
        decision = decide(example.text, parse, detect_danger(example.text, locale))
        urgent = example.intent in URGENT_INTENTS
        key = f"{'urgent' if urgent else 'other'}:{kinds.get(example.text, '?')}"
        row = rows[key]
        row["n"] += 1
        if urgent:
            row["caught"] += int(decision.caught)
            row["alert"] += int(decision.action == "alert")
        else:
            row["false_alert"] += int(decision.action == "alert")
            row["question"] += int(decision.action == "ask")
    return {k: dict(v) for k, v in sorted(rows.items())}


def summary(report: dict[str, Any]) -> dict[str, Any]:
    keep = ("examples", "macro_f1", "accuracy", "danger_support", "decision_danger_recall", "decision_alert_recall",
            "decision_false_alert_rate", "decision_question_rate", "decision_missed")
    return {k: report[k] for k in keep}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--set", default="issue23", help="which frozen set: nlu/<locale>/test/test_nlu_<SET>.yml "
                        "(issue23: spent; issue23b: the second, written for the next measurement)")
    args = parser.parse_args()
    urls = server_urls(os.environ.get("RASA_URL", ""))
    results: dict[str, Any] = {}
    for locale in SUPPORTED_LOCALES:
        test_file, kinds = frozen(locale, args.set)
        examples = load_training_data(test_file).examples
        model = EmbeddedClassifier.train(load_training_data(training_dir(locale)), locale)
        backends: dict[str, list[dict[str, Any]]] = {"embedded": [model.parse(e.text) for e in examples]}
        url = urls.get(locale) if isinstance(urls, dict) else None
        if url:
            client = RasaClient(url, timeout=30.0)
            try:
                backends["rasa"] = [await client.parse(e.text, locale) for e in examples]
            finally:
                await client.close()
        for backend, parses in backends.items():
            report = evaluate(examples, parses, locale)
            results[f"{locale}/{backend}"] = {**summary(report), "per_intent_f1": {
                k: round(v["f1"], 3) for k, v in report["per_intent"].items()}, "by_kind": by_kind(
                    examples, parses, locale, kinds)}
            s = results[f"{locale}/{backend}"]
            print(f"{locale} {backend:8} n={s['examples']} macro F1 {s['macro_f1']:.3f} caught "
                  f"{s['decision_danger_recall']:.3f} false alerts {s['decision_false_alert_rate']:.3f} "
                  f"questions {s['decision_question_rate']:.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
