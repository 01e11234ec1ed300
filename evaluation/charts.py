"""The report's charts (matplotlib's Agg renderer through `Figure`, no pyplot state).

Every share is drawn with its 95 % interval as an error bar and labelled with its n; a suppressed
group or count is not drawn, only marked "withheld" inside the plotting area. Drawn from the typed
figures (evaluation/figures.py); imported only when a report is drawn (matplotlib is heavy).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from evaluation.figures import (
    BEHAVIOUR_PREFIX,
    CHARTS,
    CHECKINS,
    Body,
    Difference,
    Figures,
    NaiveContrast,
    PairedRow,
    Share,
)

BLUE, GREEN, RED, GREY, PURPLE = "#4C72B0", "#55A868", "#C44E52", "#8C8C8C", "#8172B2"
ERR = {"ecolor": "#222222", "capsize": 3, "elinewidth": 1}


def _label_of(b: Body) -> dict[str, str]:
    """Tick labels: the code, then the label wrapped so neighbours never overlap."""
    return {w.code: w.code + "\n" + "\n".join(textwrap.wrap(w.label, 11)) for w in b.waves} | {
        CHECKINS: "Check-ins"}


def _pair_label(labels: dict[str, str], p: PairedRow, mg: int) -> str:
    pairs = p.change.pairs if p.change.pairs is not None else f"<{mg}"
    return f"Intake vs {labels[p.wave]}\n({pairs} pairs)"


def _suppressed_mark(ax: Axes, x: float, min_group: int, y: float = 2) -> None:
    """The one mark for anything withheld (a small count, a small group, or a number that would give one away)."""
    ax.text(x, y, "withheld", ha="center", va="bottom", fontsize=7, color="#555555")


def _bar(ax: Axes, x: float, s: Share, *, width: float, colour: str, label: str | None = None,
         text: str | None = None, min_group: int = 5) -> None:
    """One share as a bar with its Wilson interval and a label above the interval (or the suppressed mark)."""
    if s.share is None or s.ci_low is None or s.ci_high is None:
        _suppressed_mark(ax, x, min_group)
        return
    share = s.share
    ax.bar(x, share * 100, width=width, color=colour, label=label, edgecolor="white",
           yerr=[[(share - s.ci_low) * 100], [(s.ci_high - share) * 100]], error_kw=ERR)
    ax.text(x, s.ci_high * 100 + 1.5, text or f"{share * 100:.0f}%\nn={s.n}", ha="center", va="bottom",
            fontsize=7)


def chart_never_afraid(figs: Figures, b: Body) -> Figure:
    """Left: all respondents at each wave (cross-sectional). Right: the same women at intake and at
    each later wave (paired). Same scale, so the two can be read side by side."""
    labels = _label_of(b)
    mg = figs.min_group
    fig = Figure(figsize=(12, 5))
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1, 1.25]})
    rows = b.never_afraid
    for x, r in enumerate(rows):
        _bar(left, x, r.never, width=0.6, colour=GREY, min_group=mg)
    left.set_xticks(range(len(rows)), [labels[r.wave] for r in rows], fontsize=8)
    left.set_xlim(-0.6, len(rows) - 0.4)
    left.set_ylim(0, 110)
    left.set_ylabel('% "never afraid" (95% interval)')
    left.set_title("Cross-sectional: everyone who answered each wave\n(overlapping samples, thinned by who "
                   "stopped answering)", fontsize=10)
    width = 0.38
    for x, p in enumerate(b.paired):
        c = p.change
        if c.intake is None or c.later is None or c.intake.share is None or c.later.share is None:
            _suppressed_mark(right, x, mg)
            continue
        _bar(right, x - width / 2, c.intake, width=width, colour=PURPLE, label="at intake" if x == 0 else None,
             text=f"{c.intake.share * 100:.0f}%")
        _bar(right, x + width / 2, c.later, width=width, colour=GREEN, label="at the later wave" if x == 0 else None,
             text=f"{c.later.share * 100:.0f}%")
    right.set_xticks(range(len(b.paired)), [_pair_label(labels, p, mg) for p in b.paired], fontsize=8)
    right.set_xlim(-0.6, len(b.paired) - 0.4)
    right.set_title("Paired: the same women at intake and at the later wave", fontsize=10)
    if right.get_legend_handles_labels()[0]:
        right.legend(fontsize=8, loc="upper left")
    fig.suptitle('Share "never afraid"', fontsize=12)
    return fig


def chart_change(figs: Figures, b: Body) -> Figure:
    """The change since intake, in percentage points: the paired estimate, and beside it the naive
    contrast of all respondents, with 95% intervals."""
    labels = _label_of(b)
    mg = figs.min_group
    pairs = b.paired
    fig = Figure(figsize=(8.5, 4.6))
    ax = fig.subplots()
    ax.axhline(0, color="#999999", linewidth=0.8)
    shift = 0.12
    for x, p in enumerate(pairs):
        estimates: tuple[tuple[float, Difference | NaiveContrast | None, str, str], ...] = (
            (-shift, p.change.difference, GREEN, "paired (same women)"),
            (shift, p.naive, GREY, "naive contrast (all respondents, overlapping samples)"))
        if p.change.difference is None and p.naive is None:
            ax.text(x, 0, "withheld", ha="center", va="bottom", fontsize=7, color="#555555")
            continue
        for dx, est, colour, name in estimates:
            if est is None:
                ax.text(x + dx, 0, "withheld", ha="center", va="bottom", fontsize=7, color="#555555")
                continue
            e = est.estimate * 100
            ax.errorbar(x + dx, e, yerr=[[e - est.ci_low * 100], [est.ci_high * 100 - e]], fmt="o",
                        color=colour, capsize=4, label=name if x == 0 else None)
            ax.text(x + dx + 0.04, e, f"{e:+.0f}", va="center", ha="left", fontsize=7)
    ax.set_xticks(range(len(pairs)), [_pair_label(labels, p, mg) for p in pairs], fontsize=8)
    ax.set_xlim(-0.6, len(pairs) - 0.4)
    ax.set_ylabel('change in % "never afraid" (points)')
    ax.set_title("Change since intake: paired, beside the naive contrast, with 95% intervals", fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")
    return fig


def chart_attrition(figs: Figures, b: Body) -> Figure:
    """At intake, those who later answered vs those who did not (and those who withdrew by quick exit):
    left their intake "never afraid" share, right how long his programme had run by that wave."""
    labels = _label_of(b)
    mg = figs.min_group
    rows = b.attrition
    colours = {"answered": GREEN, "not_answered": RED, "withdrawn": GREY}
    names = {"answered": "answered the wave", "not_answered": "did not answer", "withdrawn": "withdrew (quick exit)"}
    fig = Figure(figsize=(12, 4.8))
    left, right = fig.subplots(1, 2)
    width = 0.27
    for x, r in enumerate(rows):
        for i, (key, g) in enumerate((("answered", r.answered), ("not_answered", r.not_answered),
                                      ("withdrawn", r.withdrawn))):
            gx = x + (i - 1) * width
            _bar(left, gx, g.never_at_intake, width=width, colour=colours[key],
                 label=names[key] if x == 0 else None, min_group=mg)
            if g.median_weeks is not None:
                right.bar(gx, g.median_weeks, width=width, color=colours[key], label=names[key] if x == 0 else None)
                n = g.weeks_n if g.weeks_n is not None else "withheld"
                right.text(gx, g.median_weeks + 0.5, f"{g.median_weeks:.0f}\nn={n}", ha="center", va="bottom",
                           fontsize=7)
    for ax in (left, right):
        ax.set_xticks(range(len(rows)), [labels[r.wave] for r in rows], fontsize=8)
        ax.set_xlim(-0.6, len(rows) - 0.4)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="upper right")
    left.set_ylim(0, 110)
    left.set_ylabel('% "never afraid" at intake (95% interval)')
    left.set_title("Intake respondents, by what they did at each later wave:\n"
                   'were they "never afraid" at intake?', fontsize=10)
    right.set_ylim(0, max([right.get_ylim()[1], 10]) * 1.2)
    right.set_ylabel("median weeks in his programme by the wave")
    right.set_title("How long his programme had run by that wave", fontsize=10)
    return fig


def chart_fear_distribution(figs: Figures, b: Body) -> Figure:
    """Stacked shares per wave; a withheld answer code leaves a gap (together at least min_group women)."""
    labels = _label_of(b)
    codes, names = b.fear_codes, b.fear_labels
    colours = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"]
    fig = Figure(figsize=(8, 4.8))
    ax = fig.subplots()
    rows = b.fear_distribution
    xs = list(range(len(rows)))
    labelled: set[str] = set()
    for x, r in zip(xs, rows, strict=True):
        if r.suppressed:
            _suppressed_mark(ax, x, figs.min_group)
            continue
        bottom = 0.0
        for i, code in enumerate(codes):
            share = r.codes[code].share
            if share is None:
                continue
            ax.bar(x, share * 100, bottom=bottom, color=colours[i % len(colours)],
                   label=None if code in labelled else names[code])
            labelled.add(code)
            bottom += share * 100
        hidden = [c for c in codes if r.codes[c].share is None]
        ax.text(x, 101, f"n={r.n}" + (f"\n{len(hidden)} withheld" if hidden else ""), ha="center", va="bottom",
                fontsize=8)
    ax.set_xticks(xs, [labels[r.wave] for r in rows], fontsize=8)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(0, 115)
    ax.set_ylabel("% of respondents (intervals in the table)")
    ax.set_title("How often afraid, by wave (all respondents)")
    if labelled:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig


def chart_behaviours(figs: Figures, b: Body) -> Figure:
    """Per behaviour, the same women at intake and at the latest wave (paired); the table beside it has
    the change, its test, and all respondents at each wave."""
    bh = b.behaviours
    items = bh.items
    fig = Figure(figsize=(9, 0.6 * len(items) + 1.8))
    ax = fig.subplots()
    ys = list(range(len(items)))
    height = 0.38
    mg = figs.min_group
    for y, it in enumerate(items):
        c = it.paired
        if c is None or c.intake is None or c.later is None:
            pairs = "no" if c is None else (f"fewer than {mg}" if c.pairs is None else c.pairs)
            ax.text(1, y, f"{pairs} pairs: withheld", va="center", ha="left", fontsize=7, color="#555555")
            continue
        for offset, s, colour, slot in ((-height / 2, c.intake, PURPLE, bh.baseline),
                                        (height / 2, c.later, GREEN, bh.latest)):
            if s.share is None or s.ci_low is None or s.ci_high is None:
                continue
            share = s.share * 100
            ax.barh(y + offset, share, height=height, color=colour, label=f"{slot} (same women)" if y == 0 else None,
                    xerr=[[share - s.ci_low * 100], [s.ci_high * 100 - share]], error_kw=ERR)
            ax.text(s.ci_high * 100 + 1.5, y + offset, f"{share:.0f}% (n={s.n})", va="center", fontsize=7)
    ax.set_yticks(ys, [it.item.removeprefix(BEHAVIOUR_PREFIX) for it in items], fontsize=8)
    ax.set_ylim(len(items) - 0.5, -0.5)  # top to bottom, every row inside the axes
    ax.set_xlim(0, 115)
    ax.set_xlabel("% reporting it since the previous wave (95% interval)")
    latest = bh.latest or "none with enough respondents"
    ax.set_title(f"Behaviours reported by the same women: {bh.baseline} vs latest wave ({latest})")
    handles, names = ax.get_legend_handles_labels()
    if handles:
        ax.legend(dict(zip(names, handles, strict=True)).values(), dict(zip(names, handles, strict=True)).keys(),
                  fontsize=8, loc="lower right")
    return fig


def chart_response(figs: Figures, b: Body) -> Figure:
    labels = _label_of(b)
    rows = b.response
    mg = figs.min_group
    fig = Figure(figsize=(8.5, 4.8))
    ax = fig.subplots()
    width = 0.38
    for x, r in enumerate(rows):
        if r.suppressed:
            _suppressed_mark(ax, x, mg)
            continue
        rate = r.rate
        text = None if rate.share is None else f"{rate.share * 100:.0f}%\n{r.responded}/{r.invited}"
        _bar(ax, x - width / 2, rate, width=width, colour=BLUE, label="response rate" if x == 0 else None,
             text=text, min_group=mg)
        if r.attrition is not None:
            _bar(ax, x + width / 2, r.attrition, width=width, colour=RED, label="attrition since T0", min_group=mg)
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles, strict=True))
    if unique:
        ax.legend(unique.values(), unique.keys(), fontsize=8, loc="upper right")
    ax.set_xticks(range(len(rows)), [labels.get(r.wave, r.wave) for r in rows], fontsize=8)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(0, 130)
    ax.set_ylabel("% (95% interval)")
    ax.set_title("Response rate (responded/invited) and attrition per wave")
    return fig


def draw(figs: Figures) -> dict[str, Figure]:
    """Every chart of the report, by its name in CHARTS (none when the report is empty)."""
    b = figs.body
    if b is None:
        return {}
    return {"never_afraid": chart_never_afraid(figs, b), "change": chart_change(figs, b),
            "attrition": chart_attrition(figs, b), "fear_distribution": chart_fear_distribution(figs, b),
            "behaviours": chart_behaviours(figs, b), "response": chart_response(figs, b)}


def write_charts(figs: Figures, out_dir: Path) -> None:
    for name, fig in draw(figs).items():
        fig.tight_layout()
        fig.savefig(out_dir / CHARTS[name], dpi=100)
