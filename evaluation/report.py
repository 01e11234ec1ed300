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

from bot.storage.db import Database
from evaluation.data import Selection, iter_records
from evaluation.figures import (
    CHARTS,
    CHECKINS,
    MIN_GROUP,
    Difference,
    Figures,
    NaiveContrast,
    PairedChange,
    Share,
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


WITHHELD = "withheld"  # the same mark for every withheld number, so none shows which count was the small one


def _n(v: int | None, min_group: int) -> str:
    return WITHHELD if v is None else html.escape(str(v))


def _share(s: Share | None, min_group: int) -> str:
    """'12.3% [8.1–17.9]' (or 'withheld')."""
    if s is None or s.share is None or s.ci_low is None or s.ci_high is None:
        return WITHHELD
    return f"{s.share * 100:.1f}% <span class='ci'>[{s.ci_low * 100:.1f}–{s.ci_high * 100:.1f}]</span>"


def _diff(d: Difference | NaiveContrast | None, min_group: int) -> str:
    if d is None:
        return WITHHELD
    return (f"{d.estimate * 100:+.1f} <span class='ci'>[{d.ci_low * 100:+.1f} to "
            f"{d.ci_high * 100:+.1f}]</span>")


def _p(c: PairedChange) -> str:
    return "-" if c.p_value is None else html.escape(p_text(c.p_value))


def _img(name: str, alt: str) -> str:
    return f"<img src='{CHARTS[name]}' alt='{html.escape(alt)}'>"


def render_empty(figs: Figures) -> str:
    e = html.escape
    return "\n".join([
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Survivor follow-up: evaluation report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Survivor follow-up: evaluation report</h1>",
        f"<p>Fewer than {figs.min_group} women have answered any wave yet ({e(figs.selection)}), "
        "too few to report anything without risking that one of them could be recognised.</p>",
        f"<p class='note'>Generated {e(figs.generated_at)}.</p>",
        "</body></html>",
    ])


def render_html(figs: Figures) -> str:
    b = figs.body
    if b is None:
        return render_empty(figs)
    e = html.escape
    mg = figs.min_group
    labels = {w.code: w.label for w in b.waves}
    intake = b.waves[0].label if b.waves else "intake"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Survivor follow-up: evaluation report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Survivor follow-up: evaluation report</h1>",
        f"<p class='note'>Generated {e(figs.generated_at)}. {figs.survivors} women who consented to "
        f"evaluation use; {figs.respondents} answered at least one wave. Selection: {e(figs.selection)}. "
        f"&ldquo;Withheld&rdquo;: a count from 1 to {mg - 1}, a group of fewer than {mg}, or a number that would "
        "give one of them away. Shares are shown with their 95% interval in brackets.</p>",
    ]
    # -- never afraid ----------------------------------------------------------------------------
    parts += [
        "<section id='never-afraid'><h2>How often are they afraid? Share &ldquo;never afraid&rdquo;</h2>",
        "<p><b>Paired</b>: the same women at intake and at the later wave &ndash; the change among the women "
        "who stayed; this is the figure to read. <b>Cross-sectional</b>: everyone who answered each wave. "
        "These are overlapping samples (most women who answer a later wave also answered at intake), thinned "
        "by who stopped answering, so their difference is shown only as a <b>naive contrast</b> beside the "
        "paired figure: it treats the two samples as independent, and a rise in it can come from the more "
        "afraid women leaving rather than from change (see attrition below).</p>",
        _img("never_afraid", "Share never afraid: cross-sectional by wave, and paired intake vs later wave"),
        "<h3>Paired: the same women</h3>",
    ]
    for p in b.paired:
        parts.append(f"<p class='statement'>{e(p.statement)}</p>")
    parts.append("<table><tr><th>Intake vs</th><th>Pairs</th><th>Never afraid at intake</th>"
                 "<th>Never afraid then</th><th>Change, points (paired)</th><th>McNemar exact</th>"
                 "<th>Naive contrast, points (all respondents, overlapping samples)</th></tr>")
    for p in b.paired:
        pc = p.change
        naive = _diff(p.naive, mg)
        if p.naive is not None:
            naive += (f" <span class='ci'>({p.naive.later_n} vs {p.naive.intake_n} respondents, "
                      f"{_n(p.naive.overlap, mg)} in both)</span>")
        parts.append(
            f"<tr><td>{e(p.wave)} {e(p.label)}</td><td>{_n(pc.pairs, mg)}</td><td>{_share(pc.intake, mg)}</td>"
            f"<td>{_share(pc.later, mg)}</td><td>{_diff(pc.difference, mg)}</td><td>{_p(pc)}</td>"
            f"<td>{naive}</td></tr>")
    parts += ["</table>", _img("change", "Change since intake, paired and the naive contrast, with intervals"),
              "<h3>Cross-sectional: everyone who answered each wave</h3>",
              "<table><tr><th>Wave</th><th>Respondents (n)</th><th>Never afraid</th><th>Share [95% interval]</th></tr>"]
    for na in b.never_afraid:
        parts.append(f"<tr><td>{e(na.wave)} {e(labels[na.wave])}</td><td>{_n(na.never.n, mg)}</td>"
                     f"<td>{_n(na.never.k, mg)}</td><td>{_share(na.never, mg)}</td></tr>")
    parts.append("</table>")
    head = "".join(f"<th>{e(b.fear_labels[c])}</th>" for c in b.fear_codes)
    parts += ["<h3>How often afraid, by wave (all respondents)</h3>",
              _img("fear_distribution", "Fear distribution by wave"),
              f"<table><tr><th>Wave</th><th>n</th>{head}</tr>"]
    for f in b.fear_distribution:
        cells = ""
        for code in b.fear_codes:
            s = f.codes[code]
            if s.k is None or s.share is None or s.ci_low is None or s.ci_high is None:
                cells += f"<td>{WITHHELD}</td>"
            else:
                cells += (f"<td>{s.k} ({s.share * 100:.0f}%) "
                          f"<span class='ci'>[{s.ci_low * 100:.0f}–{s.ci_high * 100:.0f}]</span></td>")
        parts.append(f"<tr><td>{e(f.wave)}</td><td>{_n(f.n, mg)}</td>{cells}</tr>")
    parts.append("</table></section>")
    # -- behaviours --------------------------------------------------------------------------------
    bh = b.behaviours
    first, last = str(bh.baseline), str(bh.latest or "none with enough respondents")
    parts += [f"<section id='behaviours'><h2>What has he done since the last wave? {e(first)} vs "
              f"latest wave ({e(last)})</h2>",
              "<p>Paired: the same women at both waves, and their change with McNemar&rsquo;s exact test; beside it "
              "everyone who answered each wave (cross-sectional: different and fewer women at the later wave, "
              "so not a change).</p>",
              _img("behaviours", "Behaviours at intake and the latest wave"),
              f"<table><tr><th>Behaviour</th><th>Pairs</th><th>{e(first)}: yes (same women)</th>"
              f"<th>{e(last)}: yes (same women)</th><th>Change, points (paired)</th><th>McNemar exact</th>"
              f"<th>{e(first)}: all respondents</th><th>{e(last)}: all respondents</th></tr>"]
    for it in bh.items:
        c = it.paired
        paired = ("<td>-</td>" * 5 if c is None else
                  f"<td>{_n(c.pairs, mg)}</td><td>{_share(c.intake, mg)}</td><td>{_share(c.later, mg)}</td>"
                  f"<td>{_diff(c.difference, mg)}</td><td>{_p(c)}</td>")
        cross = "".join("<td>-</td>" if s is None else
                        f"<td>{_share(s, mg)} <span class='ci'>n={_n(s.n, mg)}</span></td>"
                        for s in (it.baseline, it.latest))
        parts.append(f"<tr><td>{e(it.item)}</td>{paired}{cross}</tr>")
    parts.append("</table></section>")
    # -- response and attrition ---------------------------------------------------------------------
    parts += ["<section id='response'><h2>Who answered, and who stopped?</h2>",
              _img("response", "Response rates and attrition per wave"),
              "<table><tr><th>Wave</th><th>Invited</th><th>Answered</th><th>Partial</th><th>Missing</th>"
              "<th>Withdrawn (quick exit)</th><th>Response rate</th><th>T0 cohort</th><th>Attrition</th></tr>"]
    for r in b.response:
        name = e(r.label) if r.wave == CHECKINS else f"{e(r.wave)} {e(r.label)}"
        cohort = "-" if r.attrition is None else _n(r.attrition.n, mg)
        lost = "-" if r.attrition is None else _share(r.attrition, mg)
        parts.append(
            f"<tr><td>{name}</td><td>{_n(r.invited, mg)}</td>"
            f"<td>{_n(r.answered, mg)}</td><td>{_n(r.partial, mg)}</td><td>{_n(r.missing, mg)}</td>"
            f"<td>{_n(r.withdrawn, mg)}</td><td>{_share(r.rate, mg)}</td><td>{cohort}</td><td>{lost}</td></tr>")
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
    for a in b.attrition:
        cells = ""
        for g in (a.answered, a.not_answered, a.withdrawn):
            weeks = WITHHELD if g.median_weeks is None else f"{g.median_weeks:.0f}"
            cells += (f"<td>{_n(g.never_at_intake.n, mg)}</td><td>{_share(g.never_at_intake, mg)}</td>"
                      f"<td>{weeks}</td>")
        parts.append(f"<tr><td>{e(a.wave)} {e(a.label)}</td>{cells}</tr>")
    parts.append("</table></section>")
    # -- method ------------------------------------------------------------------------------------
    parts += [
        "<section id='method'><h2>Method</h2><ul class='note'>",
        "<li>Data: closed waves (answered, partial, missing) and waves withdrawn by quick exit, of women whose "
        "latest evaluation consent is granted, under a pseudonym; nobody is named.</li>",
        "<li>Never afraid: the fear item answered &ldquo;never&rdquo;; a skipped item counts in no denominator.</li>",
        "<li>Intervals: 95% Wilson score intervals for shares; for the paired change, Newcombe&rsquo;s method 10 "
        "for paired data (with his continuity-corrected correlation). The naive contrast uses Newcombe&rsquo;s "
        "interval for independent groups although the samples overlap: it is shown for comparison only.</li>",
        "<li>Paired test: McNemar's exact test (a two-sided binomial test on the women whose answer changed). "
        "Pairs are women with an answered item at intake and at the later wave.</li>",
        "<li>Response rate = (answered + partial) / invited. Attrition = share of intake respondents invited to "
        "the wave who did not respond to it (missing or withdrawn). Withdrawn = she left by quick exit; "
        "counted apart from non-response.</li>",
        "<li>Weeks in programme: from his programme's start to the wave's due day, or to the programme's end "
        "if it ended earlier.</li>",
        f"<li>Suppression: every count from 1 to {mg - 1} is withheld in tables, charts and figures.json alike "
        f"(a zero is shown: it names nobody), and so are other counts of the same total until the withheld ones "
        f"are at least two and add up to {mg} or more, so the total cannot give a small one back; a share is "
        f"withheld when either of its two counts is; a group of fewer than {mg} shows nothing; a before/after "
        "table with a withheld cell is withheld whole.</li>",
        "<li>The paired figures describe the women who stayed; they are not free of bias if the change itself "
        "differs between those who stayed and those who left.</li>",
        "</ul></section></body></html>",
    ]
    return "\n".join(parts)


def write_report(figs: Figures, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    if not figs.empty:
        from evaluation.charts import write_charts  # matplotlib: loaded only when a report is drawn

        write_charts(figs, out_dir)
    (out_dir / "figures.json").write_text(json.dumps(figs.to_json(), indent=2), encoding="utf-8")
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
