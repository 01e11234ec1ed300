"""The few statistics the report uses, pure functions: a share's Wilson interval, the interval of a
difference of two shares (paired: Newcombe's method 10 for paired data; independent groups: Newcombe's
method 10 for unpaired data), and McNemar's exact test on the discordant pairs.

Why these: Wilson intervals behave at small n and near 0 % or 100 %, where the textbook "p ± 1.96 SE"
gives negative shares; Newcombe's intervals are built from the Wilson ones, so a table's intervals and
its difference agree; McNemar's exact test uses only the women whose answer changed, which is what a
before/after of the same women can say. Plain Python (no scipy): the console imports this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

Z95 = 1.959963984540054  # two-sided 95 %


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95 % Wilson score interval of the share k/n (n > 0)."""
    if n <= 0:
        raise ValueError("a share needs n > 0")
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class PairTable:
    """The 2x2 table of the same women at two waves, for one yes/no outcome (e.g. "never afraid").
    both: yes at both; before_only: yes before, no after; after_only: no before, yes after; neither.
    In Newcombe's (1998) notation (a, b, c, d) = (both, before_only, after_only, neither)."""

    both: int
    before_only: int
    after_only: int
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.before_only + self.after_only + self.neither

    @property
    def before(self) -> int:
        return self.both + self.before_only

    @property
    def after(self) -> int:
        return self.both + self.after_only


def newcombe_phi(t: PairTable) -> float:
    """The correlation Newcombe's paired interval uses: phi of the 2x2 table with its numerator
    AD - BC corrected for continuity (Newcombe 1998, method 10): AD - BC - N/2 when AD - BC > N/2,
    0 when 0 <= AD - BC <= N/2, the plain AD - BC when it is negative. 0 when a margin is empty."""
    a, b, c, d = t.both, t.before_only, t.after_only, t.neither
    denominator = (a + b) * (c + d) * (a + c) * (b + d)
    if denominator == 0:
        return 0.0
    cross = a * d - b * c
    numerator = cross - t.n / 2 if cross > t.n / 2 else 0.0 if cross >= 0 else cross
    return numerator / math.sqrt(denominator)


def paired_difference(t: PairTable, z: float = Z95) -> tuple[float, float, float]:
    """(after - before share, lower, upper): Newcombe (1998) method 10 for paired proportions, i.e. the
    difference (after_only - before_only) / n. Newcombe states it as (b - c) / n, before - after."""
    n = t.n
    p1, p2 = t.before / n, t.after / n
    l1, u1 = wilson(t.before, n, z)
    l2, u2 = wilson(t.after, n, z)
    phi = newcombe_phi(t)
    diff = p2 - p1
    lower = diff - math.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    upper = diff + math.sqrt(max(0.0, (u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2))
    return diff, max(-1.0, lower), min(1.0, upper)


def independent_difference(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """(k2/n2 - k1/n1, lower, upper) for two separate groups: Newcombe (1998) method 10."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    diff = p2 - p1
    return (diff, max(-1.0, diff - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)),
            min(1.0, diff + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)))


def mcnemar_exact(t: PairTable) -> float:
    """Two-sided exact McNemar p-value: among the women whose answer changed, is a change one way as
    likely as the other? A binomial test of after_only out of the discordant pairs (before_only +
    after_only) with p = 1/2: twice the smaller tail, at most 1 (the same as scipy's binomtest, whose
    two-sided p sums the outcomes no likelier than the one seen; at p = 1/2 both tails are mirrors).
    Exact in integers, so a tiny p stays a number and never rounds to 0."""
    discordant = t.before_only + t.after_only
    if discordant == 0:
        return 1.0
    k = min(t.before_only, t.after_only)
    tail = sum(math.comb(discordant, i) for i in range(k + 1))
    return float(min(Fraction(1), Fraction(2 * tail, 2**discordant)))
