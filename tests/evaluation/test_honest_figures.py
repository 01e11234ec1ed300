"""What a statistician reading the report would check: no small count anywhere (tables, charts,
figures.json), nor one a total gives back; the cross-sectional difference called what it is (a naive
contrast of overlapping samples) beside the paired change; the paired change of behaviours; exact
p-values in figures.json and "< 0.001" in prose; plain labels; one typed contract from query to chart."""

from __future__ import annotations

import inspect
import json
import re
import typing
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from evaluation import charts, figures, report
from evaluation.charts import draw
from evaluation.data import AnswerRecord, WaveRecord
from evaluation.figures import Figures, compute_figures
from evaluation.report import render_html, write_report
from evaluation.stats import PairTable, mcnemar_exact, paired_difference
from evaluation.suppression import withheld
from flows.questionnaires import default_questionnaires
from scheduler.waves import default_wave_config
from tests.evaluation.biased_cohort import Woman, make_cohort, records

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def cohort() -> list[Woman]:
    return make_cohort(n=800, seed=11)


@pytest.fixture(scope="module")
def figs(cohort: list[Woman]) -> Figures:
    return _figures(records(cohort))


def _figures(rs: list[WaveRecord]) -> Figures:
    return compute_figures(rs, default_wave_config(), default_questionnaires(), now=NOW)


def _chart_texts(f: Figures) -> list[str]:
    out = []
    for fig in draw(f).values():
        for ax in fig.axes:
            out += [t.get_text() for t in ax.texts] + [ax.get_title()] + [t.get_text() for t in ax.get_xticklabels()]
        out += [t.get_text() for t in fig.texts]
    return out


def _rec(i: int, wave: str, answers: dict[str, str], *, kind: str = "wave", state: str = "answered") -> WaveRecord:
    return WaveRecord(pseudonym=f"p{i}", wave=wave, kind=kind, state=state, questionnaire="full" if kind == "wave"
                      else "checkin", questionnaire_version="1", due_on=date(2025, 1, 1), programme_outcome=None,
                      answers={k: AnswerRecord(v, False, date(2025, 1, 1)) for k, v in answers.items()})


# -- suppression ----------------------------------------------------------------------------------------
def test_a_small_count_is_withheld_with_the_smallest_other_count_of_its_total() -> None:
    assert withheld({"a": 3, "b": 10, "c": 20}, 5) == {"a", "b"}
    assert withheld({"a": 2, "b": 2, "c": 30}, 5) == {"a", "b", "c"}  # 2 + 2 < 5 still says too much
    assert withheld({"zero": 0, "small": 3, "mid": 9, "big": 40}, 5) == {"small", "mid"}  # a zero hides nothing
    assert withheld({"never": 8, "a": 3, "b": 9}, 5, rather_show={"never"}) == {"a", "b"}
    assert withheld({"a": 0, "b": 5, "c": 7}, 5) == set()


def test_the_t4_row_shows_no_small_count_in_the_table_the_chart_or_figures_json(figs: Figures,
                                                                                tmp_path: Path) -> None:
    # T4: 10 invited; 2 answered and 3 withdrew by quick exit, 5 did not answer (the cohort's numbers)
    assert figs.body is not None
    t4 = {r.wave: r for r in figs.body.response}["T4"]
    assert (t4.invited, t4.missing) == (10, 5)
    assert t4.answered is None and t4.withdrawn is None and t4.responded is None and t4.partial is None
    assert t4.rate.share is None and t4.rate.k is None
    write_report(figs, tmp_path)
    js = {r["wave"]: r for r in json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))["response"]}
    assert js["T4"]["answered"] is None and js["T4"]["withdrawn"] is None and js["T4"]["rate"]["k"] is None
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert ("<tr><td>T4 Twelve months after</td><td>10</td><td>withheld</td><td>withheld</td><td>5</td>"
            "<td>withheld</td><td>withheld</td>") in html
    texts = _chart_texts(figs)
    assert not any("2/10" in t for t in texts)
    # no chart label anywhere carries a count from 1 to 4 ("n=3", "3/10", "(3 pairs)")
    for t in texts:
        for m in re.finditer(r"(?:n=|\()(\d+)(?: pairs|\b)|(\d+)/\d+", t):
            assert not 0 < int(m.group(1) or m.group(2)) < 5, t


def test_a_rare_fear_answer_is_withheld_with_a_complement_and_the_never_share_stays(tmp_path: Path) -> None:
    # intake: never 20, rarely 3, sometimes 10, often 12, always 8 (53 women)
    answers = ["never"] * 20 + ["rarely"] * 3 + ["sometimes"] * 10 + ["often"] * 12 + ["always"] * 8
    f = _figures([_rec(i, "T0", {"fear": a}) for i, a in enumerate(answers)])
    assert f.body is not None
    row = f.body.fear_distribution[0]
    shown = {c: s.k for c, s in row.codes.items()}
    assert shown == {"never": 20, "rarely": None, "sometimes": 10, "often": 12, "always": None}
    assert f.body.never_afraid[0].never.k == 20
    html = render_html(f)
    assert "<td>T0</td><td>53</td><td>20 (38%)" in html and html.count("<td>withheld</td>") >= 2


def test_a_share_whose_complement_is_small_is_withheld() -> None:
    # 22 of 25 never afraid: the share would say 3 women were afraid
    f = _figures([_rec(i, "T0", {"fear": "never" if i < 22 else "often"}) for i in range(25)])
    assert f.body is not None
    never = f.body.never_afraid[0].never
    assert never.n == 25 and never.k is None and never.share is None and never.suppressed


# -- the naive contrast of overlapping samples -------------------------------------------------------------
def test_the_cross_sectional_difference_is_a_naive_contrast_of_overlapping_samples(figs: Figures,
                                                                                    cohort: list[Woman]) -> None:
    assert figs.body is not None
    t1 = {p.wave: p for p in figs.body.paired}["T1"]
    assert t1.naive is not None
    answered_t0 = {w.index for w in cohort if w.state.get("T0") == "answered"}
    answered_t1 = {w.index for w in cohort if w.state.get("T1") == "answered"}
    assert (t1.naive.later_n, t1.naive.overlap) == (len(answered_t1), len(answered_t0 & answered_t1)) == (430, 413)
    html = render_html(figs)
    assert "different women at each wave" not in html.lower()
    assert "naive contrast" in html.lower() and "(430 vs 763 respondents, 413 in both)" in html
    texts = " ".join(_chart_texts(figs)).lower()
    assert "different women" not in texts and "overlapping samples" in texts


def test_a_small_overlap_is_withheld_from_the_naive_contrast() -> None:
    # 20 answered at intake, 20 at T1, only 3 of them at both: the pairs and the overlap are withheld
    rs = [_rec(i, "T0", {"fear": "never" if i % 2 else "often"}) for i in range(20)]
    rs += [_rec(i, "T1", {"fear": "never" if i % 3 else "often"}) for i in range(17, 37)]
    f = _figures(rs)
    assert f.body is not None
    p = f.body.paired[0]
    assert p.change.pairs is None and p.naive is not None and p.naive.overlap is None
    assert "(20 vs 20 respondents, withheld in both)" in render_html(f)


# -- behaviours: paired beside cross-sectional ------------------------------------------------------------------
def test_the_behaviours_section_shows_the_same_womens_change_beside_all_respondents(figs: Figures,
                                                                                   cohort: list[Woman]) -> None:
    assert figs.body is not None
    b = figs.body.behaviours
    assert (b.baseline, b.latest) == ("T0", "T3")
    shouting = next(it for it in b.items if it.item == "beh_shouting")
    both = [w for w in cohort if w.state.get("T0") == "answered" and w.state.get("T3") == "answered"]
    yes = [(w.behaviours["T0"]["beh_shouting"] == "yes", w.behaviours["T3"]["beh_shouting"] == "yes") for w in both]
    table = PairTable(both=yes.count((True, True)), before_only=yes.count((True, False)),
                      after_only=yes.count((False, True)), neither=yes.count((False, False)))
    c = shouting.paired
    assert c is not None and c.pairs == len(both) and c.difference is not None and c.p_value is not None
    d, lo, hi = paired_difference(table)
    assert (c.difference.estimate, c.difference.ci_low, c.difference.ci_high) == (round(d, 4), round(lo, 4),
                                                                                  round(hi, 4))
    assert c.p_value == mcnemar_exact(table)
    assert shouting.baseline is not None and shouting.baseline.n == sum(w.state["T0"] == "answered" for w in cohort)
    html = render_html(figs)
    section = html[html.index("<section id='behaviours'>"):html.index("<section id='response'>")]
    assert "Change, points (paired)" in section and "all respondents" in section
    assert f"<tr><td>beh_shouting</td><td>{len(both)}</td>" in section and "p &lt; 0.001" in section


# -- p-values and labels -----------------------------------------------------------------------------------------
def test_p_values_are_exact_in_figures_json_and_below_a_thousandth_in_prose(figs: Figures, tmp_path: Path) -> None:
    write_report(figs, tmp_path)
    js = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    for p in js["paired"][:3]:
        c = p["change"]
        t = c["table"]
        exact = mcnemar_exact(PairTable(t["both"], t["intake_only"], t["later_only"], t["neither"]))
        assert c["p_value"] == exact and 0.0 < c["p_value"] < 0.001
        assert "McNemar's exact test: p < 0.001" in p["statement"]
    assert all(it["paired"]["p_value"] != 0.0 for it in js["behaviours"]["items"] if it["paired"]["p_value"])
    assert "p &lt; 0.001" in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_the_check_ins_row_is_labelled_once() -> None:
    rs = [_rec(i, "T0", {"fear": "never" if i % 2 else "often"}) for i in range(12)]
    rs += [_rec(i, f"C0{c}", {"fear": "never"}, kind="checkin") for i in range(12) for c in (1, 2)]
    html = render_html(_figures(rs))
    assert "<tr><td>Check-ins (all)</td><td>24</td>" in html
    assert "check-ins Check-ins" not in html


# -- one typed contract --------------------------------------------------------------------------------------------
def test_the_report_reads_typed_figures_from_the_query_to_the_chart() -> None:
    for module in (figures, charts, report):
        assert "dict[str, Any]" not in inspect.getsource(module), module.__name__
    for fn in (report.render_html, report.write_report, charts.draw, charts.write_charts, charts.chart_response):
        assert typing.get_type_hints(fn)["figs"] is Figures, fn.__name__
    assert typing.get_type_hints(figures.compute_figures)["return"] is Figures
