"""Which counts a report may show: none under the threshold, and none a reader could work out.

A count from 1 to `min_group` - 1 could single a woman out, so it is withheld ("withheld"). A zero is
shown: it names nobody. Withholding one count of a total that is shown does not hide it (the total
minus the others gives it back), so other counts of the same total are withheld with it (complementary
suppression) until at least two are withheld and together they are `min_group` or more: the reader
then learns only that sum. Every withheld count looks the same, so nobody can tell which was small.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping


def withheld(cells: Mapping[str, int], min_group: int, *, rather_show: Collection[str] = ()) -> set[str]:
    """The names of the cells (counts of one shown total) to withhold. Complementary cells are taken
    smallest first, cells named in `rather_show` last (a cell another table shows on its own)."""
    out = {name for name, count in cells.items() if 0 < count < min_group}
    if not out:
        return out
    # zeros last: withholding one adds nothing to the withheld sum
    rest = sorted((name in rather_show, count == 0, count, name) for name, count in cells.items() if name not in out)
    while rest and (len(out) < 2 or sum(cells[name] for name in out) < min_group):
        out.add(rest.pop(0)[3])
    return out


def small_share(k: int, n: int, min_group: int) -> bool:
    """A share k/n gives away k and n - k: withhold it when either is a small count (1 to min_group - 1)."""
    return 0 < k < min_group or 0 < n - k < min_group
