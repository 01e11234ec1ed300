"""The statistics against published and reference values: Newcombe's (1998) paired interval with his
continuity-corrected phi, on his own paired examples and on the small table the report once got wrong;
McNemar's exact p against scipy's binomial test, exact even when tiny."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from evaluation.stats import PairTable, mcnemar_exact, newcombe_phi, paired_difference

# Newcombe RG (1998) "Improved confidence intervals for the difference between binomial proportions based
# on paired data", Stat Med 17:2635-2650, Table II, method 10; the same values are in the tests of the R
# package propint (ci.two.dep.props). His cells (e, f, g, h) are: yes at both, yes at the first only, yes at
# the second only, yes at neither; his difference is (f - g) / n, the first minus the second.
NEWCOMBE_TABLE_II = [
    ((36, 12, 2, 0), 0.2, (0.0569, 0.3404)),
    ((18, 12, 2, 18), 0.2, (0.0562, 0.3290)),
    ((53, 0, 0, 1), 0.0, (-0.0729, 0.0729)),
    ((0, 30, 0, 0), 1.0, (0.8395, 1.0)),
]


@pytest.mark.parametrize(("cells", "difference", "interval"), NEWCOMBE_TABLE_II)
def test_the_paired_interval_matches_newcombes_published_examples(cells, difference, interval) -> None:
    e, f, g, h = cells
    # ours is after - before, so his first measurement is our "after": after_only = f, before_only = g
    d, lo, hi = paired_difference(PairTable(both=e, before_only=g, after_only=f, neither=h))
    assert (round(d, 4), round(lo, 4), round(hi, 4)) == (difference, *interval)


def test_a_small_table_gets_the_corrected_interval_not_the_plain_phi_one() -> None:
    # (both, before_only, after_only, neither) = (12, 5, 8, 10): 8 became yes, 5 stopped being yes, of 35.
    # AD - BC = 120 - 40 = 80 > N/2 = 17.5, so phi uses 62.5: the interval widens from the plain phi's
    # [-0.109, 0.271] (what the report showed) to [-0.117, 0.278] (Newcombe; biostatUZH and propint agree).
    t = PairTable(both=12, before_only=5, after_only=8, neither=10)
    d, lo, hi = paired_difference(t)
    assert (round(d, 4), round(lo, 3), round(hi, 3)) == (0.0857, -0.117, 0.278)
    assert newcombe_phi(t) == pytest.approx(62.5 / (17 * 18 * 20 * 15) ** 0.5)


def test_phi_is_zero_for_a_small_positive_association_and_plain_for_a_negative_one() -> None:
    # 0 <= AD - BC <= N/2: phi is 0, the paired interval is then the unpaired one on the same margins
    assert newcombe_phi(PairTable(both=10, before_only=9, after_only=9, neither=9)) == 0.0  # 90 - 81 = 9 <= 18.5
    t = PairTable(both=2, before_only=10, after_only=12, neither=3)  # 6 - 120 < 0: uncorrected
    assert newcombe_phi(t) == pytest.approx((6 - 120) / (12 * 15 * 14 * 13) ** 0.5)
    assert newcombe_phi(PairTable(5, 0, 0, 0)) == 0.0  # an empty margin: no correlation to use


@pytest.mark.parametrize(("before_only", "after_only"), [(5, 25), (12, 2), (3, 3), (7, 8), (0, 1), (200, 600)])
def test_mcnemars_exact_p_is_scipys_binomial_test_on_the_women_whose_answer_changed(before_only, after_only) -> None:
    p = mcnemar_exact(PairTable(both=40, before_only=before_only, after_only=after_only, neither=130))
    assert p == pytest.approx(binomtest(after_only, before_only + after_only, 0.5).pvalue, rel=1e-12)
    assert p > 0.0  # even 3e-47 stays a number


def test_mcnemars_exact_p_is_one_when_nobody_changed() -> None:
    assert mcnemar_exact(PairTable(10, 0, 0, 10)) == 1.0
