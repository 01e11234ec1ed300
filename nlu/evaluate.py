"""Evaluation in the spirit of ``rasa test nlu``: per-intent report, confusions, danger recall.

Why danger recall is separate from F1: for this service a missed "he is here" is the one
error that matters most. ``danger_recall`` is the share caught by the classifier OR the danger
net; ``decision_danger_recall`` is the figure that counts in the service: the share for which
the danger decision (safety/danger_decision.py) raises the alert or asks the question.
``decision_false_alert_rate`` is the share of other messages that raise an urgent alert at once.
Self-harm (``self_harm``: her own life at risk) is urgent like ``danger_now``: both count as
danger here (caught = alert or question; an alert on either is no false alert).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from nlu.data import Example
from safety.danger_decision import decide
from safety.danger_net import DangerSignal, detect_danger

DANGER_INTENT = "danger_now"
URGENT_INTENTS = frozenset({DANGER_INTENT, "self_harm"})


def evaluate(
    examples: Sequence[Example],
    parses: Sequence[dict[str, Any]],
    locale: str,
    danger: Callable[[str, str], DangerSignal | None] = detect_danger,
) -> dict[str, Any]:
    """Metrics for gold examples against their parses (same order).

    Macro and weighted averages are taken over the intents present in the gold data, as
    sklearn's classification_report does for ``labels=gold labels``; a prediction of an
    intent absent from the gold data (``nlu_fallback``) simply counts as a miss.
    """
    if len(examples) != len(parses):
        raise ValueError("examples and parses differ in length")
    gold = [e.intent for e in examples]
    pred = [str((p.get("intent") or {}).get("name")) for p in parses]
    labels = sorted(set(gold))
    per_intent: dict[str, dict[str, float | int]] = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    total = len(gold)
    macro = {k: _mean([m[k] for m in per_intent.values()]) for k in ("precision", "recall", "f1")}
    weighted = {
        k: (sum(m[k] * m["support"] for m in per_intent.values()) / total if total else 0.0)
        for k in ("precision", "recall", "f1")
    }
    accuracy = sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / total if total else 0.0
    confusions = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    errors = [
        {"text": e.text, "intent": e.intent, "predicted": p, "source": e.source}
        for e, p in zip(examples, pred, strict=True)
        if e.intent != p
    ]

    danger_idx = [i for i, g in enumerate(gold) if g in URGENT_INTENTS]
    signals = [danger(e.text, locale) for e in examples]
    net_hits = {i for i, signal in enumerate(signals) if signal is not None}
    by_classifier = [i for i in danger_idx if pred[i] in URGENT_INTENTS]
    by_net = [i for i in danger_idx if i in net_hits]
    caught = [i for i in danger_idx if pred[i] in URGENT_INTENTS or i in net_hits]
    others = [i for i, g in enumerate(gold) if g not in URGENT_INTENTS]
    false_alarms = [i for i in others if pred[i] in URGENT_INTENTS or i in net_hits]
    # The service's decision (safety/danger_decision.py): caught = alert raised or question asked.
    decisions = [
        decide(e.text, p, signal) for e, p, signal in zip(examples, parses, signals, strict=True)
    ]
    decided = [i for i in danger_idx if decisions[i].caught]
    alerted = [i for i in danger_idx if decisions[i].action == "alert"]
    false_alerts = [i for i in others if decisions[i].action == "alert"]
    questions = [i for i in others if decisions[i].action == "ask"]
    return {
        "locale": locale,
        "examples": total,
        "accuracy": accuracy,
        "macro_f1": macro["f1"],
        "macro_precision": macro["precision"],
        "macro_recall": macro["recall"],
        "weighted_f1": weighted["f1"],
        "weighted_precision": weighted["precision"],
        "weighted_recall": weighted["recall"],
        "per_intent": per_intent,
        "confusions": [
            {"intent": g, "predicted": p, "count": n}
            for (g, p), n in sorted(confusions.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "fallback_predictions": sum(1 for p in pred if p == "nlu_fallback"),
        "danger_support": len(danger_idx),
        "danger_recall": len(caught) / len(danger_idx) if danger_idx else 1.0,
        "danger_recall_classifier": len(by_classifier) / len(danger_idx) if danger_idx else 1.0,
        "danger_recall_net": len(by_net) / len(danger_idx) if danger_idx else 1.0,
        "danger_missed": [examples[i].text for i in danger_idx if i not in caught],
        "danger_false_alarm_rate": len(false_alarms) / len(others) if others else 0.0,
        "decision_danger_recall": len(decided) / len(danger_idx) if danger_idx else 1.0,
        "decision_alert_recall": len(alerted) / len(danger_idx) if danger_idx else 1.0,
        "decision_missed": [examples[i].text for i in danger_idx if i not in decided],
        "decision_false_alert_rate": len(false_alerts) / len(others) if others else 0.0,
        "decision_question_rate": len(questions) / len(others) if others else 0.0,
        "errors": errors,
    }


def _mean(values: list[float | int]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def format_report(report: dict[str, Any]) -> str:
    """Plain-text report, laid out like ``rasa test nlu``'s intent report."""
    lines = [f"Intent evaluation ({report['locale']}, {report['examples']} examples)", ""]
    width = max([len(k) for k in report["per_intent"]] + [12])
    lines.append(f"{'':{width}}  precision    recall  f1-score   support")
    for name, m in report["per_intent"].items():
        lines.append(f"{name:>{width}}  {m['precision']:9.3f} {m['recall']:9.3f} {m['f1']:9.3f} {m['support']:9d}")
    lines.append("")
    lines.append(f"{'accuracy':>{width}}  {'':9} {'':9} {report['accuracy']:9.3f} {report['examples']:9d}")
    lines.append(
        f"{'macro avg':>{width}}  {report['macro_precision']:9.3f} {report['macro_recall']:9.3f} "
        f"{report['macro_f1']:9.3f} {report['examples']:9d}"
    )
    lines.append(
        f"{'weighted avg':>{width}}  {report['weighted_precision']:9.3f} {report['weighted_recall']:9.3f} "
        f"{report['weighted_f1']:9.3f} {report['examples']:9d}"
    )
    lines.append("")
    lines.append("Confusions (gold -> predicted: count)")
    if not report["confusions"]:
        lines.append("  none")
    for c in report["confusions"]:
        lines.append(f"  {c['intent']} -> {c['predicted']}: {c['count']}")
    lines.append("")
    lines.append(
        f"Danger recall: {report['danger_recall']:.3f} over {report['danger_support']} danger_now/self_harm examples "
        f"(classifier {report['danger_recall_classifier']:.3f}, danger net {report['danger_recall_net']:.3f}); "
        f"danger false alarms on other intents: {report['danger_false_alarm_rate']:.3f}"
    )
    for text in report["danger_missed"]:
        lines.append(f"  MISSED: {text}")
    lines.append(
        f"Danger decision (alert or question): recall {report['decision_danger_recall']:.3f} "
        f"(alert at once {report['decision_alert_recall']:.3f}); on other intents: false alerts "
        f"{report['decision_false_alert_rate']:.3f}, questions {report['decision_question_rate']:.3f}"
    )
    for text in report["decision_missed"]:
        lines.append(f"  MISSED BY THE DECISION: {text}")
    return "\n".join(lines)
