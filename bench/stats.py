"""The one percentile every benchmark reports, and the fake Bot API's credentials they share."""

from __future__ import annotations

from collections.abc import Sequence

BENCH_BOT_TOKEN = "123456:BENCH-token-not-real"
BENCH_WEBHOOK_SECRET = "bench_webhook_secret_0123456789"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, q in 0..100, of a non-empty sequence (no interpolation: a p99 is a
    latency someone really waited)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]
