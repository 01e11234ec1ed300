"""`liaison eval report`: an HTML report with PNG charts, from the consented, pseudonymised data.

Charts (matplotlib's Agg renderer through `Figure`, no pyplot state):
  never_afraid.png        share "never afraid" by wave (the WWP EN IMPACT headline figure)
  fear_distribution.png   how often afraid, by wave (100% stacked)
  behaviours.png          behaviours reported at T0 vs the latest wave with enough respondents
  response.png            response rate and attrition per wave (and the check-ins together)
Every chart shows the number of respondents (n) of each group; a group of fewer than MIN_GROUP
people is suppressed (not drawn, its numbers withheld, marked "n<5"), here and in the tables.
figures.json holds every number the charts and tables show.

Definitions:
  invited      closed waves (answered + partial + missing) of consenting survivors
  responded    answered + partial;  response rate = responded / invited
  attrition    among survivors who responded at T0 and were invited to this wave, the share who did
               not respond to it
  never afraid share of respondents who answered the fear item (not skipped) with "never"
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from bot.storage.db import Database
from safety.crypto import KeyRing
from scheduler.evaluation.data import WaveRecord, iter_records
from scheduler.questionnaires import QuestionnaireSet, default_questionnaires
from scheduler.waves import WaveConfig, default_wave_config

MIN_GROUP = 5
FEAR_ITEM = "fear"
BEHAVIOUR_PREFIX = "beh_"
CHECKINS = "check-ins"
CHARTS = {
    "never_afraid": "never_afraid.png",
    "fear_distribution": "fear_distribution.png",
    "behaviours": "behaviours.png",
    "response": "response.png",
}


@dataclass
class _WaveAcc:
    invited: int = 0
    answered: int = 0
    partial: int = 0
    missing: int = 0
    fear: Counter[str] | None = None
    behaviours: dict[str, Counter[str]] | None = None

    def __post_init__(self) -> None:
        self.fear = Counter()
        self.behaviours = defaultdict(Counter)


def _share(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


class Aggregator:
    """Streams wave records into the report's figures (keeps counts and pseudonym sets only)."""

    def __init__(self, config: WaveConfig, qs: QuestionnaireSet, min_group: int = MIN_GROUP) -> None:
        self.config, self.qs, self.min_group = config, qs, min_group
        self.full = [w for w in config.waves if w.kind == "wave" and not w.repeating]
        self.acc: dict[str, _WaveAcc] = {w.code: _WaveAcc() for w in self.full}
        self.acc[CHECKINS] = _WaveAcc()
        self.invited: dict[str, set[str]] = defaultdict(set)
        self.responded: dict[str, set[str]] = defaultdict(set)
        self.people: set[str] = set()

    def add(self, rec: WaveRecord) -> None:
        key = rec.wave if rec.wave in self.acc else (CHECKINS if rec.kind == "checkin" else None)
        if key is None:
            return
        self.people.add(rec.pseudonym)
        a = self.acc[key]
        a.invited += 1
        setattr(a, rec.state, getattr(a, rec.state) + 1)
        self.invited[key].add(rec.pseudonym)
        if not rec.responded:
            return
        self.responded[key].add(rec.pseudonym)
        fear = rec.answers.get(FEAR_ITEM)
        if fear is not None and fear.value is not None and not fear.skipped:
            assert a.fear is not None
            a.fear[fear.value] += 1
        assert a.behaviours is not None
        for item, ans in rec.answers.items():
            if item.startswith(BEHAVIOUR_PREFIX) and ans.value is not None and not ans.skipped:
                a.behaviours[item][ans.value] += 1

    def _small(self, n: int) -> bool:
        return n < self.min_group

    def figures(self) -> dict[str, Any]:
        q = self._reference_questionnaire()
        fear_scale = q.item(FEAR_ITEM).scale
        fear_codes = fear_scale.codes()
        waves = [{"code": w.code, "label": w.label} for w in self.full]
        never, dist = [], []
        for w in self.full:
            a = self.acc[w.code]
            assert a.fear is not None
            n = sum(a.fear.values())
            small = self._small(n)
            never.append({"wave": w.code, "n": n, "suppressed": small,
                          "never": None if small else a.fear.get("never", 0),
                          "share": None if small else _share(a.fear.get("never", 0), n)})
            dist.append({"wave": w.code, "n": n, "suppressed": small,
                         "counts": None if small else {c: a.fear.get(c, 0) for c in fear_codes},
                         "shares": None if small else {c: _share(a.fear.get(c, 0), n) for c in fear_codes}})
        t0 = self.full[0].code if self.full else None
        responded_t0 = self.responded.get(t0 or "", set())
        response = []
        for key in [w.code for w in self.full] + [CHECKINS]:
            a = self.acc[key]
            responded = a.answered + a.partial
            cohort = responded_t0 & self.invited[key]
            kept = responded_t0 & self.responded[key]
            small = self._small(len(self.invited[key]))  # groups are people (check-ins: several waves each)
            row: dict[str, Any] = {"wave": key, "invited": a.invited, "suppressed": small}
            if small:
                row.update(answered=None, partial=None, missing=None, responded=None, response_rate=None)
            else:
                row.update(answered=a.answered, partial=a.partial, missing=a.missing, responded=responded,
                           response_rate=_share(responded, a.invited))
            if key != CHECKINS and key != t0:
                row["t0_cohort"] = len(cohort)
                row["attrition"] = None if self._small(len(cohort)) else _share(len(cohort) - len(kept), len(cohort))
            response.append(row)
        latest = None
        for w in reversed(self.full[1:]):
            a = self.acc[w.code]
            if not self._small(a.answered + a.partial):
                latest = w.code
                break
        behaviour_items = [it for it in q.items if it.code.startswith(BEHAVIOUR_PREFIX)]
        behaviours = []
        for it in behaviour_items:
            entry: dict[str, Any] = {"item": it.code, "label": it.wording}
            for slot, code in (("baseline", t0), ("latest", latest)):
                if code is None:
                    entry[slot] = None
                    continue
                counts = self.acc[code].behaviours[it.code]  # type: ignore[index]
                n = counts.get("yes", 0) + counts.get("no", 0)
                small = self._small(n)
                entry[slot] = {"wave": code, "n": n, "suppressed": small,
                               "yes": None if small else counts.get("yes", 0),
                               "share": None if small else _share(counts.get("yes", 0), n)}
            behaviours.append(entry)
        return {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "min_group": self.min_group,
            "survivors": len(self.people),
            "waves": waves,
            "fear_codes": fear_codes,
            "fear_labels": {c: fear_scale.label(c) for c in fear_codes},
            "never_afraid": never,
            "fear_distribution": dist,
            "behaviours": {"baseline": t0, "latest": latest, "items": behaviours},
            "response": response,
        }

    def _reference_questionnaire(self) -> Any:
        version = self.config.questionnaires.get("full") or next(iter(self.config.questionnaires.values()))
        qid = "full" if "full" in self.config.questionnaires else next(iter(self.config.questionnaires))
        return self.qs.get("en", qid, version)


def compute_figures(records: Iterable[WaveRecord], config: WaveConfig, qs: QuestionnaireSet,
                    min_group: int = MIN_GROUP) -> dict[str, Any]:
    agg = Aggregator(config, qs, min_group)
    for rec in records:
        agg.add(rec)
    return agg.figures()


async def compute_figures_async(records: AsyncIterable[WaveRecord], config: WaveConfig, qs: QuestionnaireSet,
                                min_group: int = MIN_GROUP) -> dict[str, Any]:
    agg = Aggregator(config, qs, min_group)
    async for rec in records:
        agg.add(rec)
    return agg.figures()


# -- charts -----------------------------------------------------------------------------------------
def _label_of(fig_data: dict[str, Any]) -> dict[str, str]:
    return {w["code"]: f"{w['code']}\n{w['label']}" for w in fig_data["waves"]} | {CHECKINS: "Check-ins"}


def _suppressed_mark(ax: Any, x: float, min_group: int) -> None:
    ax.text(x, 2, f"n<{min_group}\n(suppressed)", ha="center", va="bottom", fontsize=8, color="#555555")


def chart_never_afraid(figs: dict[str, Any], path: Path) -> None:
    labels = _label_of(figs)
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    rows = figs["never_afraid"]
    xs = list(range(len(rows)))
    for x, r in zip(xs, rows, strict=True):
        if r["suppressed"]:
            _suppressed_mark(ax, x, figs["min_group"])
            continue
        ax.bar(x, r["share"] * 100, color="#4C72B0")
        ax.text(x, r["share"] * 100 + 1, f"{r['share'] * 100:.0f}%\nn={r['n']}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(xs, [labels[r["wave"]] for r in rows], fontsize=8)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(0, 115)
    ax.set_ylabel("% of respondents")
    ax.set_title('Share "never afraid" by wave')
    fig.tight_layout()
    fig.savefig(path, dpi=100)


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
    ax.set_ylabel("% of respondents")
    ax.set_title("How often afraid, by wave")
    if any(not r["suppressed"] for r in rows):
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def chart_behaviours(figs: dict[str, Any], path: Path) -> None:
    behaviours_figure(figs).savefig(path, dpi=100)


def behaviours_figure(figs: dict[str, Any]) -> Figure:
    """Rows of items, two bars each (baseline, latest). The y range is set to the rows, so the
    "n<5" marks of a suppressed first row sit inside the plot, not against its top edge (text
    does not widen the automatic limits, bars do; with everything suppressed there are none)."""
    b = figs["behaviours"]
    items = b["items"]
    fig = Figure(figsize=(9, 0.55 * len(items) + 1.8))
    ax = fig.subplots()
    ys = list(range(len(items)))
    height = 0.38
    for offset, slot, colour in ((-height / 2, "baseline", "#8172B2"), (height / 2, "latest", "#55A868")):
        shown = False
        for y, it in zip(ys, items, strict=True):
            d = it[slot]
            if d is None:
                continue
            if d["suppressed"]:
                ax.text(1, y + offset, f"{d['wave']}: n<{figs['min_group']}", va="center", fontsize=7, color="#777777")
                continue
            ax.barh(y + offset, d["share"] * 100, height=height, color=colour,
                    label=None if shown else f"{d['wave']}")
            shown = True
            ax.text(d["share"] * 100 + 1, y + offset, f"{d['share'] * 100:.0f}% (n={d['n']})", va="center",
                    fontsize=7)
    ax.set_yticks(ys, [it["item"].removeprefix(BEHAVIOUR_PREFIX) for it in items], fontsize=8)
    ax.set_ylim(len(items) - 0.4, -0.6)  # first item at the top, a margin above and below
    ax.set_xlim(0, 115)
    ax.set_xlabel("% of respondents reporting it since the previous wave")
    latest = b["latest"] or "none with enough respondents"
    ax.set_title(f"Behaviours reported: {b['baseline']} vs latest wave ({latest})")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def chart_response(figs: dict[str, Any], path: Path) -> None:
    labels = _label_of(figs)
    rows = figs["response"]
    fig = Figure(figsize=(8.5, 4.8))
    ax = fig.subplots()
    xs = list(range(len(rows)))
    width = 0.38
    for x, r in zip(xs, rows, strict=True):
        if r["suppressed"]:
            _suppressed_mark(ax, x, figs["min_group"])
            continue
        ax.bar(x - width / 2, r["response_rate"] * 100, width=width, color="#4C72B0",
               label="response rate" if x == 0 else None)
        ax.text(x - width / 2, r["response_rate"] * 100 + 1,
                f"{r['response_rate'] * 100:.0f}%\n{r['responded']}/{r['invited']}", ha="center", va="bottom",
                fontsize=7)
        att = r.get("attrition")
        if att is not None:
            ax.bar(x + width / 2, att * 100, width=width, color="#C44E52", label="attrition since T0")
            ax.text(x + width / 2, att * 100 + 1, f"{att * 100:.0f}%\nn={r['t0_cohort']}", ha="center",
                    va="bottom", fontsize=7)
        elif "t0_cohort" in r:
            _suppressed_mark(ax, x + width / 2, figs["min_group"])
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles, strict=True))
    if unique:
        ax.legend(unique.values(), unique.keys(), fontsize=8, loc="upper right")
    ax.set_xticks(xs, [labels.get(r["wave"], r["wave"]) for r in rows], fontsize=8)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(0, 125)
    ax.set_ylabel("%")
    ax.set_title("Response rate (responded/invited) and attrition per wave")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


# -- html -------------------------------------------------------------------------------------------
def _pct(v: float | None, min_group: int = MIN_GROUP) -> str:
    return f"n&lt;{min_group}" if v is None else f"{v * 100:.1f}%"


def _cell(v: Any, min_group: int = MIN_GROUP) -> str:
    return f"n&lt;{min_group}" if v is None else html.escape(str(v))


def render_html(figs: dict[str, Any]) -> str:
    e = html.escape
    labels = {w["code"]: w["label"] for w in figs["waves"]} | {CHECKINS: "Check-ins (all)"}
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Survivor follow-up: evaluation report</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
        "table{border-collapse:collapse;margin:.5rem 0 2rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
        "text-align:right}th:first-child,td:first-child{text-align:left}img{max-width:100%}"
        ".note{color:#555;font-size:.9rem}</style></head><body>",
        "<h1>Survivor follow-up: evaluation report</h1>",
        f"<p class='note'>Generated {e(figs['generated_at'])}. {figs['survivors']} survivors who consented to "
        f"evaluation use. Groups of fewer than {figs['min_group']} people are suppressed (n&lt;{figs['min_group']}). "
        "Only closed waves are counted.</p>",
        "<h2>Share never afraid, by wave</h2>",
        f"<img src='{CHARTS['never_afraid']}' alt='Share never afraid by wave'>",
        "<table><tr><th>Wave</th><th>Respondents (n)</th><th>Never afraid</th><th>Share</th></tr>",
    ]
    for r in figs["never_afraid"]:
        n = None if r["suppressed"] else r["n"]
        parts.append(f"<tr><td>{e(r['wave'])} {e(labels[r['wave']])}</td><td>{_cell(n)}</td>"
                     f"<td>{_cell(r['never'])}</td><td>{_pct(r['share'])}</td></tr>")
    parts.append("</table><h2>How often afraid, by wave</h2>")
    parts.append(f"<img src='{CHARTS['fear_distribution']}' alt='Fear distribution by wave'>")
    head = "".join(f"<th>{e(figs['fear_labels'][c])}</th>" for c in figs["fear_codes"])
    parts.append(f"<table><tr><th>Wave</th><th>n</th>{head}</tr>")
    for r in figs["fear_distribution"]:
        cells = "".join(f"<td>{_cell(None if r['suppressed'] else r['counts'][c])}</td>" for c in figs["fear_codes"])
        parts.append(f"<tr><td>{e(r['wave'])}</td><td>{_cell(None if r['suppressed'] else r['n'])}</td>{cells}</tr>")
    b = figs["behaviours"]
    parts.append(f"</table><h2>Behaviours reported: {e(str(b['baseline']))} vs latest wave "
                 f"({e(str(b['latest'] or 'none with enough respondents'))})</h2>")
    parts.append(f"<img src='{CHARTS['behaviours']}' alt='Behaviours at T0 and the latest wave'>")
    parts.append("<table><tr><th>Behaviour</th><th>Baseline n</th><th>Baseline yes</th><th>Latest n</th>"
                 "<th>Latest yes</th></tr>")
    for it in b["items"]:
        cells = ""
        for slot in ("baseline", "latest"):
            d = it[slot]
            if d is None:
                cells += "<td>-</td><td>-</td>"
            else:
                cells += f"<td>{_cell(None if d['suppressed'] else d['n'])}</td><td>{_pct(d['share'])}</td>"
        parts.append(f"<tr><td>{e(it['item'])}</td>{cells}</tr>")
    parts.append("</table><h2>Response rates and attrition</h2>")
    parts.append(f"<img src='{CHARTS['response']}' alt='Response rates and attrition per wave'>")
    parts.append("<table><tr><th>Wave</th><th>Invited</th><th>Answered</th><th>Partial</th><th>Missing</th>"
                 "<th>Response rate</th><th>T0 cohort</th><th>Attrition</th></tr>")
    for r in figs["response"]:
        invited = None if r["suppressed"] else r["invited"]
        parts.append(
            f"<tr><td>{e(r['wave'])} {e(labels.get(r['wave'], ''))}</td><td>{_cell(invited)}</td>"
            f"<td>{_cell(r['answered'])}</td><td>{_cell(r['partial'])}</td><td>{_cell(r['missing'])}</td>"
            f"<td>{_pct(r['response_rate'])}</td><td>{e(str(r.get('t0_cohort', '-')))}</td>"
            f"<td>{_pct(r['attrition']) if 'attrition' in r else '-'}</td></tr>")
    parts.append("</table><p class='note'>Response rate = (answered + partial) / invited. Attrition = share of "
                 "T0 respondents invited to the wave who did not respond to it.</p></body></html>")
    return "\n".join(parts)


def write_report(figs: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    chart_never_afraid(figs, out_dir / CHARTS["never_afraid"])
    chart_fear_distribution(figs, out_dir / CHARTS["fear_distribution"])
    chart_behaviours(figs, out_dir / CHARTS["behaviours"])
    chart_response(figs, out_dir / CHARTS["response"])
    (out_dir / "figures.json").write_text(json.dumps(figs, indent=2), encoding="utf-8")
    index = out_dir / "index.html"
    index.write_text(render_html(figs), encoding="utf-8")
    return index


async def report(db: Database, keyring: KeyRing, out_dir: Path, *, config: WaveConfig | None = None,
                 questionnaires: QuestionnaireSet | None = None, min_group: int = MIN_GROUP) -> Path:
    config = config or default_wave_config()
    qs = questionnaires or default_questionnaires()
    figs = await compute_figures_async(iter_records(db, keyring), config, qs, min_group)
    return write_report(figs, out_dir)
