"""`liaison eval report`: an HTML report with PNG charts, from the consented, pseudonymised data.

One section per question, each with its chart and its table, and a short method note; it prints on
A4 (print CSS: no chart split across pages, tables kept whole where they fit). The numbers come from
evaluation/figures.py (definitions there), the charts from charts.py; figures.json holds
every number the charts and tables show. "Generated at" is the `now` handed in, never a clock read
here. Fewer than MIN_GROUP respondents in all: one sentence, no charts.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.storage.db import Database
from evaluation.charts import CHARTS, write_charts
from evaluation.data import Selection, iter_records
from evaluation.figures import (
    CHECKINS,
    MIN_GROUP,
    compute_figures,
    compute_figures_async,
    p_text,
)
from flows.questionnaires import QuestionnaireSet, default_questionnaires
from safety.crypto import KeyRing
from scheduler.waves import WaveConfig, default_wave_config

__all__ = ["CHARTS", "MIN_GROUP", "compute_figures", "render_html", "report", "write_report"]

STYLE = """
body{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
img{max-width:100%}
.note{color:#555;font-size:.9rem}
.ci{color:#666;font-size:.8rem;white-space:nowrap}
.statement{margin:.3rem 0 .8rem}
section{margin-bottom:2rem}
@media print{
  @page{size:A4;margin:15mm}
  body{max-width:none;margin:0;font-size:10pt;color:#000}
  section{break-before:page}
  section:first-of-type{break-before:auto}
  img,figure,table,.statement{break-inside:avoid}
  h2,h3{break-after:avoid}
  .ci,.note{color:#333}
}
"""


def _n(v: Any, min_group: int) -> str:
    return f"n&lt;{min_group}" if v is None else html.escape(str(v))


def _share(s: dict[str, Any] | None, min_group: int, *, k: int | None = None) -> str:
    """'12.3% [8.1–17.9]' (or 'n<5')."""
    if s is None or s.get("share") is None:
        return f"n&lt;{min_group}"
    return f"{s['share'] * 100:.1f}% <span class='ci'>[{s['ci_low'] * 100:.1f}–{s['ci_high'] * 100:.1f}]</span>"


def _diff(d: dict[str, Any] | None, min_group: int) -> str:
    if d is None:
        return f"n&lt;{min_group}"
    return (f"{d['estimate'] * 100:+.1f} <span class='ci'>[{d['ci_low'] * 100:+.1f} to "
            f"{d['ci_high'] * 100:+.1f}]</span>")


def _img(name: str, alt: str) -> str:
    return f"<img src='{CHARTS[name]}' alt='{html.escape(alt)}'>"


def render_empty(figs: dict[str, Any]) -> str:
    e = html.escape
    return "\n".join([
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Survivor follow-up: evaluation report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Survivor follow-up: evaluation report</h1>",
        f"<p>Fewer than {figs['min_group']} women have answered any wave yet ({e(figs['selection'])}), "
        "too few to report anything without risking that one of them could be recognised.</p>",
        f"<p class='note'>Generated {e(figs['generated_at'])}.</p>",
        "</body></html>",
    ])


def render_html(figs: dict[str, Any]) -> str:
    if figs.get("empty"):
        return render_empty(figs)
    e = html.escape
    mg = figs["min_group"]
    labels = {w["code"]: w["label"] for w in figs["waves"]} | {CHECKINS: "Check-ins (all)"}
    intake = figs["waves"][0]["label"] if figs["waves"] else "intake"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Survivor follow-up: evaluation report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Survivor follow-up: evaluation report</h1>",
        f"<p class='note'>Generated {e(figs['generated_at'])}. {figs['survivors']} women who consented to "
        f"evaluation use; {figs['respondents']} answered at least one wave. Selection: {e(figs['selection'])}. "
        f"Groups of fewer than {mg} women are suppressed (n&lt;{mg}). Shares are shown with their 95% "
        "interval in brackets.</p>",
    ]
    # -- never afraid ----------------------------------------------------------------------------
    parts += [
        "<section id='never-afraid'><h2>How often are they afraid? Share &ldquo;never afraid&rdquo;</h2>",
        "<p>Two views, side by side. <b>Paired</b>: the same women at intake and at the later wave &ndash; "
        "the change among the women who stayed. <b>Cross-sectional</b>: everyone who answered each wave "
        "&ndash; different women at each wave, so a rise can come from who stopped answering, not from "
        "change. Where the two disagree, read the paired figure (and see attrition below).</p>",
        _img("never_afraid", "Share never afraid: cross-sectional by wave, and paired intake vs later wave"),
        "<h3>Paired: the same women</h3>",
    ]
    for p in figs["paired"]:
        parts.append(f"<p class='statement'>{e(p['statement'])}</p>")
    parts.append("<table><tr><th>Intake vs</th><th>Pairs</th><th>Never afraid at intake</th>"
                 "<th>Never afraid then</th><th>Change, points (paired)</th><th>McNemar exact</th>"
                 "<th>Change, points (cross-sectional)</th></tr>")
    for p in figs["paired"]:
        pv = "-" if p["p_value"] is None else p_text(p["p_value"])
        pairs = _n(p["pairs"] if p["pairs"] >= mg else None, mg)
        parts.append(
            f"<tr><td>{e(p['wave'])} {e(p['label'])}</td><td>{pairs}</td><td>{_share(p['intake'], mg)}</td>"
            f"<td>{_share(p['later'], mg)}</td><td>{_diff(p['difference'], mg)}</td><td>{pv}</td>"
            f"<td>{_diff(p['cross_sectional'], mg)}</td></tr>")
    parts += ["</table>", _img("change", "Change since intake, paired vs cross-sectional, with intervals"),
              "<h3>Cross-sectional: everyone who answered each wave</h3>",
              "<table><tr><th>Wave</th><th>Respondents (n)</th><th>Never afraid</th><th>Share [95% interval]</th></tr>"]
    for r in figs["never_afraid"]:
        n = None if r["suppressed"] else r["n"]
        parts.append(f"<tr><td>{e(r['wave'])} {e(labels[r['wave']])}</td><td>{_n(n, mg)}</td>"
                     f"<td>{_n(r['never'], mg)}</td><td>{_share(r, mg)}</td></tr>")
    parts.append("</table>")
    head = "".join(f"<th>{e(figs['fear_labels'][c])}</th>" for c in figs["fear_codes"])
    parts += ["<h3>How often afraid, by wave (all respondents)</h3>",
              _img("fear_distribution", "Fear distribution by wave"),
              f"<table><tr><th>Wave</th><th>n</th>{head}</tr>"]
    for r in figs["fear_distribution"]:
        cells = ""
        for c in figs["fear_codes"]:
            if r["suppressed"]:
                cells += f"<td>n&lt;{mg}</td>"
            else:
                lo, hi = r["intervals"][c]
                cells += (f"<td>{r['counts'][c]} ({r['shares'][c] * 100:.0f}%) "
                          f"<span class='ci'>[{lo * 100:.0f}–{hi * 100:.0f}]</span></td>")
        parts.append(f"<tr><td>{e(r['wave'])}</td><td>{_n(None if r['suppressed'] else r['n'], mg)}</td>{cells}</tr>")
    parts.append("</table></section>")
    # -- behaviours --------------------------------------------------------------------------------
    b = figs["behaviours"]
    parts += [f"<section id='behaviours'><h2>What has he done since the last wave? {e(str(b['baseline']))} vs "
              f"latest wave ({e(str(b['latest'] or 'none with enough respondents'))})</h2>",
              _img("behaviours", "Behaviours at intake and the latest wave"),
              "<table><tr><th>Behaviour</th><th>Intake n</th><th>Intake: yes [95% interval]</th><th>Latest n</th>"
              "<th>Latest: yes [95% interval]</th></tr>"]
    for it in b["items"]:
        cells = ""
        for slot in ("baseline", "latest"):
            d = it[slot]
            if d is None:
                cells += "<td>-</td><td>-</td>"
            else:
                cells += f"<td>{_n(None if d['suppressed'] else d['n'], mg)}</td><td>{_share(d, mg)}</td>"
        parts.append(f"<tr><td>{e(it['item'])}</td>{cells}</tr>")
    parts.append("</table><p class='note'>All respondents at each wave (cross-sectional).</p></section>")
    # -- response and attrition ---------------------------------------------------------------------
    parts += ["<section id='response'><h2>Who answered, and who stopped?</h2>",
              _img("response", "Response rates and attrition per wave"),
              "<table><tr><th>Wave</th><th>Invited</th><th>Answered</th><th>Partial</th><th>Missing</th>"
              "<th>Withdrawn (quick exit)</th><th>Response rate</th><th>T0 cohort</th><th>Attrition</th></tr>"]
    for r in figs["response"]:
        invited = None if r["suppressed"] else r["invited"]
        rate = None if r["response_rate"] is None else {"share": r["response_rate"], "ci_low": r["response_ci"][0],
                                                        "ci_high": r["response_ci"][1]}
        if "attrition" not in r:
            lost = "-"
        elif r["attrition"] is None:
            lost = f"n&lt;{mg}"
        else:
            lost = _share({"share": r["attrition"], "ci_low": r["attrition_ci"][0],
                           "ci_high": r["attrition_ci"][1]}, mg)
        parts.append(
            f"<tr><td>{e(r['wave'])} {e(labels.get(r['wave'], ''))}</td><td>{_n(invited, mg)}</td>"
            f"<td>{_n(r['answered'], mg)}</td><td>{_n(r['partial'], mg)}</td><td>{_n(r['missing'], mg)}</td>"
            f"<td>{_n(r['withdrawn'], mg)}</td><td>{_share(rate, mg)}</td>"
            f"<td>{e(str(r.get('t0_cohort', '-')))}</td><td>{lost}</td></tr>")
    parts += ["</table>",
              "<h3>Does dropping out relate to fear?</h3>",
              f"<p>The women who answered at {e(intake.lower())}, compared at {e(intake.lower())} by what they did "
              "at each later wave: answered it, did not answer (non-response), or withdrew by quick exit. If "
              "those who stopped were less often &ldquo;never afraid&rdquo; at intake, the cross-sectional "
              "figures overstate the change.</p>",
              _img("attrition", "Intake never-afraid share and programme time by later response"),
              "<table><tr><th>Wave</th><th>Answered: n</th><th>never afraid at intake</th><th>weeks in programme "
              "(median)</th><th>Did not answer: n</th><th>never afraid at intake</th><th>weeks (median)</th>"
              "<th>Withdrew: n</th><th>never afraid at intake</th><th>weeks (median)</th></tr>"]
    for r in figs["attrition"]:
        cells = ""
        for key in ("answered", "not_answered", "withdrawn"):
            g = r[key]
            weeks = "-" if g["median_weeks"] is None else f"{g['median_weeks']:.0f}"
            cells += (f"<td>{_n(None if g['suppressed'] else g['n'], mg)}</td><td>{_share(g, mg)}</td>"
                      f"<td>{weeks if not g['suppressed'] else f'n&lt;{mg}'}</td>")
        parts.append(f"<tr><td>{e(r['wave'])} {e(r['label'])}</td>{cells}</tr>")
    parts.append("</table></section>")
    # -- method ------------------------------------------------------------------------------------
    parts += [
        "<section id='method'><h2>Method</h2><ul class='note'>",
        "<li>Data: closed waves (answered, partial, missing) and waves withdrawn by quick exit, of women whose "
        "latest evaluation consent is granted, under a pseudonym; nobody is named.</li>",
        "<li>Never afraid: the fear item answered &ldquo;never&rdquo;; a skipped item counts in no denominator.</li>",
        "<li>Intervals: 95% Wilson score intervals for shares; Newcombe's method 10 for differences (paired "
        "for the same women, unpaired for the cross-sectional groups).</li>",
        "<li>Paired test: McNemar's exact test (a two-sided binomial test on the women whose answer changed). "
        "Pairs are women with an answered fear item at intake and at the later wave.</li>",
        "<li>Response rate = (answered + partial) / invited. Attrition = share of intake respondents invited to "
        "the wave who did not respond to it (missing or withdrawn). Withdrawn = she left by quick exit; "
        "counted apart from non-response.</li>",
        "<li>Weeks in programme: from his programme's start to the wave's due day, or to the programme's end "
        "if it ended earlier.</li>",
        f"<li>Suppression: any group of fewer than {mg} women, and any before/after table with a cell under "
        f"{mg}, is withheld (n&lt;{mg}) in charts and tables alike.</li>",
        "<li>The paired figures describe the women who stayed; they are not free of bias if the change itself "
        "differs between those who stayed and those who left.</li>",
        "</ul></section></body></html>",
    ]
    return "\n".join(parts)


def write_report(figs: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    if not figs.get("empty"):
        write_charts(figs, out_dir)
    (out_dir / "figures.json").write_text(json.dumps(figs, indent=2), encoding="utf-8")
    index = out_dir / "index.html"
    index.write_text(render_html(figs), encoding="utf-8")
    return index


async def report(db: Database, keyring: KeyRing, out_dir: Path, *, now: datetime,
                 config: WaveConfig | None = None, questionnaires: QuestionnaireSet | None = None,
                 min_group: int = MIN_GROUP, selection: Selection | None = None) -> Path:
    config = config or default_wave_config()
    qs = questionnaires or default_questionnaires()
    figs = await compute_figures_async(iter_records(db, keyring, selection=selection), config, qs, now=now,
                                       min_group=min_group, selection=selection)
    return write_report(figs, out_dir)
