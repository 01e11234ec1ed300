"""The report's charts (matplotlib's Agg renderer through `Figure`, no pyplot state).

Every share is drawn with its 95 % interval as an error bar and labelled with its n; a suppressed
group is not drawn, only marked "n<5" inside the plotting area.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from evaluation.figures import BEHAVIOUR_PREFIX, CHECKINS

CHARTS = {
    "never_afraid": "never_afraid.png",
    "change": "change.png",
    "attrition": "attrition.png",
    "fear_distribution": "fear_distribution.png",
    "behaviours": "behaviours.png",
    "response": "response.png",
}
BLUE, GREEN, RED, GREY, PURPLE = "#4C72B0", "#55A868", "#C44E52", "#8C8C8C", "#8172B2"
ERR = {"ecolor": "#222222", "capsize": 3, "elinewidth": 1}


def _label_of(figs: dict[str, Any]) -> dict[str, str]:
    """Tick labels: the code, then the label wrapped so neighbours never overlap."""
    return {w["code"]: w["code"] + "\n" + "\n".join(textwrap.wrap(w["label"], 11)) for w in figs["waves"]} | {
        CHECKINS: "Check-ins"}


def _pair_label(labels: dict[str, str], p: dict[str, Any], mg: int) -> str:
    pairs = p["pairs"] if p["pairs"] >= mg else f"<{mg}"
    return f"Intake vs {labels[p['wave']]}\n({pairs} pairs)"


def _suppressed_mark(ax: Axes, x: float, min_group: int, y: float = 2) -> None:
    ax.text(x, y, f"n<{min_group}\n(suppressed)", ha="center", va="bottom", fontsize=7, color="#555555")


def _err(share: float, lo: float, hi: float) -> list[list[float]]:
    return [[(share - lo) * 100], [(hi - share) * 100]]


def _bar(ax: Axes, x: float, s: dict[str, Any], *, width: float, colour: str, label: str | None = None,
         text: str | None = None, hatch: str | None = None) -> None:
    """One share as a bar with its Wilson interval and a label above the interval."""
    share = s["share"]
    ax.bar(x, share * 100, width=width, color=colour, label=label, hatch=hatch, edgecolor="white",
           yerr=_err(share, s["ci_low"], s["ci_high"]), error_kw=ERR)
    ax.text(x, s["ci_high"] * 100 + 1.5, text or f"{share * 100:.0f}%\nn={s['n']}", ha="center", va="bottom",
            fontsize=7)


def _save(fig: Figure, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def chart_never_afraid(figs: dict[str, Any], path: Path) -> None:
    """Left: all respondents at each wave (cross-sectional). Right: the same women at intake and at
    each later wave (paired). Same scale, so the two can be read side by side."""
    labels = _label_of(figs)
    mg = figs["min_group"]
    fig = Figure(figsize=(12, 5))
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1, 1.25]})
    rows = figs["never_afraid"]
    for x, r in enumerate(rows):
        if r["suppressed"]:
            _suppressed_mark(left, x, mg)
        else:
            _bar(left, x, {**r, "share": r["share"]}, width=0.6, colour=GREY)
    left.set_xticks(range(len(rows)), [labels[r["wave"]] for r in rows], fontsize=8)
    left.set_xlim(-0.6, len(rows) - 0.4)
    left.set_ylim(0, 110)
    left.set_ylabel('% "never afraid" (95% interval)')
    left.set_title("Cross-sectional: everyone who answered each wave\n(different women at each wave)", fontsize=10)
    pairs = figs["paired"]
    width = 0.38
    for x, p in enumerate(pairs):
        if p["suppressed"]:
            _suppressed_mark(right, x, mg)
            continue
        _bar(right, x - width / 2, p["intake"], width=width, colour=PURPLE, label="at intake" if x == 0 else None,
             text=f"{p['intake']['share'] * 100:.0f}%")
        _bar(right, x + width / 2, p["later"], width=width, colour=GREEN, label="at the later wave" if x == 0 else None,
             text=f"{p['later']['share'] * 100:.0f}%")
    right.set_xticks(range(len(pairs)), [_pair_label(labels, p, mg) for p in pairs], fontsize=8)
    right.set_xlim(-0.6, len(pairs) - 0.4)
    right.set_title("Paired: the same women at intake and at the later wave", fontsize=10)
    if right.get_legend_handles_labels()[0]:
        right.legend(fontsize=8, loc="upper left")
    fig.suptitle('Share "never afraid"', fontsize=12)
    _save(fig, path)


def chart_change(figs: dict[str, Any], path: Path) -> None:
    """The change since intake, in percentage points, as each design estimates it, with 95% intervals."""
    labels = _label_of(figs)
    mg = figs["min_group"]
    pairs = figs["paired"]
    fig = Figure(figsize=(8.5, 4.6))
    ax = fig.subplots()
    ax.axhline(0, color="#999999", linewidth=0.8)
    shift = 0.12
    for x, p in enumerate(pairs):
        for dx, est, colour, name in ((-shift, p["difference"], GREEN, "paired (same women)"),
                                      (shift, p["cross_sectional"], GREY, "cross-sectional (all respondents)")):
            if est is None:
                ax.text(x + dx, 0, f"n<{mg}", ha="center", va="bottom", fontsize=7, color="#555555")
                continue
            e = est["estimate"] * 100
            ax.errorbar(x + dx, e, yerr=[[e - est["ci_low"] * 100], [est["ci_high"] * 100 - e]], fmt="o",
                        color=colour, capsize=4, label=name if x == 0 else None)
            ax.text(x + dx + 0.04, e, f"{e:+.0f}", va="center", ha="left", fontsize=7)
    ax.set_xticks(range(len(pairs)), [_pair_label(labels, p, mg) for p in pairs], fontsize=8)
    ax.set_xlim(-0.6, len(pairs) - 0.4)
    ax.set_ylabel('change in % "never afraid" (points)')
    ax.set_title('Change since intake: paired vs cross-sectional, with 95% intervals', fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")
    _save(fig, path)


def chart_attrition(figs: dict[str, Any], path: Path) -> None:
    """At intake, those who later answered vs those who did not (and those who withdrew by quick exit):
    left their intake "never afraid" share, right how long his programme had run by that wave."""
    labels = _label_of(figs)
    mg = figs["min_group"]
    rows = figs["attrition"]
    groups = (("answered", "answered the wave", GREEN), ("not_answered", "did not answer", RED),
              ("withdrawn", "withdrew (quick exit)", GREY))
    fig = Figure(figsize=(12, 4.8))
    left, right = fig.subplots(1, 2)
    width = 0.27
    for x, r in enumerate(rows):
        for i, (key, name, colour) in enumerate(groups):
            g, gx = r[key], x + (i - 1) * width
            if g["n"] == 0:
                continue
            if g["suppressed"]:
                _suppressed_mark(left, gx, mg)
                continue
            _bar(left, gx, g, width=width, colour=colour, label=name if x == 0 else None)
            if g["median_weeks"] is not None:
                right.bar(gx, g["median_weeks"], width=width, color=colour, label=name if x == 0 else None)
                right.text(gx, g["median_weeks"] + 0.5, f"{g['median_weeks']:.0f}\nn={g['weeks_n']}", ha="center",
                           va="bottom", fontsize=7)
    for ax in (left, right):
        ax.set_xticks(range(len(rows)), [labels[r["wave"]] for r in rows], fontsize=8)
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
    _save(fig, path)


def chart_fear_distribution(figs: dict[str, Any], path: Path) -> None:
    labels = _label_of(figs)
    codes, names = figs["fear_codes"], figs["fear_labels"]
    colours = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"]
    fig = Figure(figsize=(8, 4.8))
    ax = fig.subplots()
    rows = figs["fear_distribution"]
    xs = list(range(len(rows)))
    for i, code in enumerate(codes):
        labelled = False
        for x, r in zip(xs, rows, strict=True):
            if r["suppressed"]:
                continue
            bottom = sum((r["shares"][c] or 0) * 100 for c in codes[:i])
            ax.bar(x, (r["shares"][code] or 0) * 100, bottom=bottom, color=colours[i % len(colours)],
                   label=None if labelled else names[code])
            labelled = True
    for x, r in zip(xs, rows, strict=True):
        if r["suppressed"]:
            _suppressed_mark(ax, x, figs["min_group"])
        else:
            ax.text(x, 101, f"n={r['n']}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(xs, [labels[r["wave"]] for r in rows], fontsize=8)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(0, 112)
    ax.set_ylabel("% of respondents (intervals in the table)")
    ax.set_title("How often afraid, by wave (all respondents)")
    if any(not r["suppressed"] for r in rows):
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    _save(fig, path)


def chart_behaviours(figs: dict[str, Any], path: Path) -> None:
    b = figs["behaviours"]
    items = b["items"]
    fig = Figure(figsize=(9, 0.6 * len(items) + 1.8))
    ax = fig.subplots()
    ys = list(range(len(items)))
    height = 0.38
    for offset, slot, colour in ((-height / 2, "baseline", PURPLE), (height / 2, "latest", GREEN)):
        shown = False
        for y, it in zip(ys, items, strict=True):
            d = it[slot]
            if d is None:
                continue
            if d["suppressed"]:
                # inside its own row, clear of the axis edge (the limits are fixed below)
                ax.text(1, y + offset, f"{d['wave']}: n<{figs['min_group']} (suppressed)", va="center", ha="left",
                        fontsize=7, color="#555555")
                continue
            share = d["share"] * 100
            ax.barh(y + offset, share, height=height, color=colour, label=None if shown else f"{d['wave']}",
                    xerr=[[share - d["ci_low"] * 100], [d["ci_high"] * 100 - share]], error_kw=ERR)
            shown = True
            ax.text(d["ci_high"] * 100 + 1.5, y + offset, f"{share:.0f}% (n={d['n']})", va="center", fontsize=7)
    ax.set_yticks(ys, [it["item"].removeprefix(BEHAVIOUR_PREFIX) for it in items], fontsize=8)
    ax.set_ylim(len(items) - 0.5, -0.5)  # top to bottom, every row inside the axes
    ax.set_xlim(0, 115)
    ax.set_xlabel("% of respondents reporting it since the previous wave (95% interval)")
    latest = b["latest"] or "none with enough respondents"
    ax.set_title(f"Behaviours reported: {b['baseline']} vs latest wave ({latest})")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower right")
    _save(fig, path)


def chart_response(figs: dict[str, Any], path: Path) -> None:
    labels = _label_of(figs)
    rows = figs["response"]
    fig = Figure(figsize=(8.5, 4.8))
    ax = fig.subplots()
    width = 0.38
    for x, r in enumerate(rows):
        if r["suppressed"]:
            _suppressed_mark(ax, x, figs["min_group"])
            continue
        lo, hi = r["response_ci"]
        _bar(ax, x - width / 2, {"share": r["response_rate"], "ci_low": lo, "ci_high": hi, "n": r["invited"]},
             width=width, colour=BLUE, label="response rate" if x == 0 else None,
             text=f"{r['response_rate'] * 100:.0f}%\n{r['responded']}/{r['invited']}")
        if r.get("attrition") is not None:
            lo, hi = r["attrition_ci"]
            _bar(ax, x + width / 2, {"share": r["attrition"], "ci_low": lo, "ci_high": hi, "n": r["t0_cohort"]},
                 width=width, colour=RED, label="attrition since T0")
        elif "t0_cohort" in r:
            _suppressed_mark(ax, x + width / 2, figs["min_group"])
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles, strict=True))
    if unique:
        ax.legend(unique.values(), unique.keys(), fontsize=8, loc="upper right")
    ax.set_xticks(range(len(rows)), [labels.get(r["wave"], r["wave"]) for r in rows], fontsize=8)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(0, 130)
    ax.set_ylabel("% (95% interval)")
    ax.set_title("Response rate (responded/invited) and attrition per wave")
    _save(fig, path)


def write_charts(figs: dict[str, Any], out_dir: Path) -> None:
    chart_never_afraid(figs, out_dir / CHARTS["never_afraid"])
    chart_change(figs, out_dir / CHARTS["change"])
    chart_attrition(figs, out_dir / CHARTS["attrition"])
    chart_fear_distribution(figs, out_dir / CHARTS["fear_distribution"])
    chart_behaviours(figs, out_dir / CHARTS["behaviours"])
    chart_response(figs, out_dir / CHARTS["response"])
