"""Before/after for the same women, beside everyone at each wave: on a generated cohort whose true
change is known and whose attrition is biased (the more afraid stop answering), the paired estimate
finds the true change inside its interval and the cross-sectional one does not; who stopped is shown,
compared at intake; quick-exit withdrawals are counted apart; small tables are withheld."""

from __future__ import annotations

import asyncio
import csv
import json
import math
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.storage.db import Database
from evaluation.cli import eval_group
from evaluation.codebook import DERIVED_MEASURES
from evaluation.data import AnswerRecord, WaveRecord
from evaluation.figures import Difference, Figures, NaiveContrast, compute_figures
from evaluation.report import CHARTS
from evaluation.stats import PairTable, independent_difference, mcnemar_exact, paired_difference, wilson
from flows.questionnaires import default_questionnaires
from safety.crypto import KeyRing
from scheduler.waves import default_wave_config
from tests.evaluation.biased_cohort import TRUE_EFFECT, Woman, make_cohort, realised_effect, records, write

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LATER = ("T1", "T2", "T3")


@pytest.fixture
def env(database_url: str, keyring) -> dict[str, str]:
    return {"LIAISON_ENV": "test", "DATABASE_URL": database_url, "LIAISON_KEY_FILE": str(keyring.path)}


@pytest.fixture
def women(database_url: str, keyring: KeyRing) -> list[Woman]:
    cohort = make_cohort(n=800, seed=11)

    async def go() -> None:
        db = Database(database_url, keyring)
        try:
            await write(db, cohort)
        finally:
            await db.dispose()

    asyncio.run(go())
    return cohort


def _figures(rs: list[WaveRecord]) -> Figures:
    return compute_figures(rs, default_wave_config(), default_questionnaires(), now=NOW)


def _inside(est: dict, value: float) -> bool:
    """In figures.json: does the interval hold the value?"""
    return est["ci_low"] <= value <= est["ci_high"]


def _holds(est: Difference | NaiveContrast | None, value: float) -> bool:
    return est is not None and est.ci_low <= value <= est.ci_high


# -- the statistics against published values -------------------------------------------------------
def test_intervals_match_newcombes_published_examples() -> None:
    lo, hi = wilson(81, 263)  # Newcombe 1998, Statistics in Medicine 17:857, example (a)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)
    assert wilson(0, 10)[0] == 0.0 and 0 < wilson(0, 10)[1] < 0.31
    d, lo, hi = independent_difference(48, 80, 56, 70)  # Newcombe 1998, 17:873, example (a): 0.0524 to 0.3339
    assert (round(d, 4), round(lo, 4), round(hi, 4)) == (0.2, 0.0524, 0.3339)


def test_the_paired_interval_is_narrower_than_the_unpaired_one_for_correlated_answers() -> None:
    t = PairTable(both=40, before_only=5, after_only=25, neither=130)
    d, lo, hi = paired_difference(t)
    _, ulo, uhi = independent_difference(t.before, t.n, t.after, t.n)
    assert d == pytest.approx(0.1) and lo < 0.1 < hi
    assert hi - lo < uhi - ulo
    # McNemar: only the 30 women whose answer changed count; 25 of 30 one way is far from even
    assert mcnemar_exact(t) == pytest.approx(2 * sum(math.comb(30, k) for k in range(0, 6)) / 2**30)
    assert mcnemar_exact(PairTable(10, 0, 0, 10)) == 1.0


# -- the generated cohort, through `liaison eval report` ----------------------------------------------
def test_the_paired_estimate_recovers_the_true_change_and_the_cross_sectional_one_does_not(
        env, women: list[Woman], tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(eval_group, ["report", "--out", str(out), "--generated-at", NOW.isoformat()],
                                env=env)
    assert result.exit_code == 0, result.output
    figs = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    paired = {p["wave"]: p for p in figs["paired"]}
    for wave in LATER:
        p, c = paired[wave], paired[wave]["change"]
        assert c["pairs"] > 300 and not c["suppressed"]
        assert _inside(c["difference"], TRUE_EFFECT[wave]), (wave, c["difference"])
        assert _inside(c["difference"], realised_effect(women, wave))
        assert not _inside(p["naive"], TRUE_EFFECT[wave]), (wave, p["naive"])
        assert p["naive"]["ci_low"] > TRUE_EFFECT[wave]  # it overstates the change
        assert c["p_value"] < 0.001
        assert f"Of the {c['pairs']} women who answered both at intake and at" in p["statement"]
    assert paired["T4"]["change"]["suppressed"] and paired["T4"]["change"]["difference"] is None
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<h3>Paired: the same women</h3>" in html and "Cross-sectional: everyone who answered" in html
    assert "McNemar&#x27;s exact test: p &lt; 0.001" in html
    assert "Does dropping out relate to fear?" in html and "<h2>Method</h2>" in html
    assert "@media print" in html
    for name in CHARTS.values():
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"src='{name}'" in html


def test_over_many_cohorts_the_paired_interval_holds_the_truth_and_the_naive_one_misses_it() -> None:
    covered = {"paired": 0, "cross-sectional": 0}
    seeds = range(100, 115)
    for seed in seeds:
        body = _figures(records(make_cohort(n=800, seed=seed))).body
        assert body is not None
        p = {r.wave: r for r in body.paired}["T2"]
        covered["paired"] += _holds(p.change.difference, TRUE_EFFECT["T2"])
        covered["cross-sectional"] += _holds(p.naive, TRUE_EFFECT["T2"])
    assert covered["paired"] >= len(seeds) - 2
    assert covered["cross-sectional"] <= 1


def test_those_who_stopped_answering_were_more_afraid_at_intake_and_quick_exits_count_apart(
        env, women: list[Woman], tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert CliRunner().invoke(eval_group, ["report", "--out", str(out), "--generated-at", NOW.isoformat()],
                              env=env).exit_code == 0
    figs = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    attrition = {r["wave"]: r for r in figs["attrition"]}
    response = {r["wave"]: r for r in figs["response"]}
    for wave in LATER:
        a = attrition[wave]
        answered, lost = a["answered"], a["not_answered"]
        assert lost["never_at_intake"]["ci_high"] < answered["never_at_intake"]["ci_low"]  # less often never afraid
        # his programme more often ended early (by the mid-point most had not ended yet)
        assert lost["median_weeks"] <= answered["median_weeks"]
        if wave != "T1":
            assert lost["median_weeks"] < answered["median_weeks"] - 8
        at_intake = [w for w in women if w.state.get("T0") == "answered" and wave in w.state]
        assert answered["never_at_intake"]["n"] == sum(w.state[wave] == "answered" for w in at_intake)
        assert lost["never_at_intake"]["n"] == sum(w.state[wave] == "missing" for w in at_intake)
        assert a["withdrawn"]["never_at_intake"]["n"] == sum(w.state[wave] == "withdrawn" for w in at_intake) > 0
        # both ways a quick exit may leave a wave (state withdrawn; cancelled + withdrawn_quick_exit) count
        assert response[wave]["withdrawn"] == sum(w.state.get(wave) == "withdrawn" for w in women)
        assert response[wave]["missing"] == sum(w.state.get(wave) == "missing" for w in women)


def test_a_before_after_table_with_a_cell_under_five_is_withheld() -> None:
    def rec(i: int, wave: str, fear: str) -> WaveRecord:
        return WaveRecord(pseudonym=f"p{i}", wave=wave, kind="wave", state="answered", questionnaire="full",
                          questionnaire_version="1", due_on=date(2025, 1, 1),
                          programme_outcome=None, answers={"fear": AnswerRecord(fear, False, date(2025, 1, 1))})

    # 40 women: 3 were never afraid at intake and no longer at T1 (a cell of 3)
    pattern = [("never", "never")] * 10 + [("never", "often")] * 3 + [("often", "never")] * 12 + [
        ("often", "often")] * 15
    rs = [r for i, (a, b) in enumerate(pattern) for r in (rec(i, "T0", a), rec(i, "T1", b))]
    body = _figures(rs).body
    assert body is not None
    p = body.paired[0]
    assert p.change.pairs == 40 and p.change.suppressed
    assert p.change.table is None and p.change.difference is None and p.change.p_value is None
    assert p.change.intake is None and p.change.later is None
    assert "a cell of their before/after table has fewer than 5" in p.statement
    # the naive contrast needs only the two waves' shares, whose counts are all 5 or more, so it stays
    assert p.naive is not None


def test_a_site_and_a_window_narrow_the_export_and_the_report(env, women: list[Woman], tmp_path: Path) -> None:
    out = tmp_path / "north"
    result = CliRunner().invoke(eval_group, ["report", "--out", str(out), "--site", "north",
                                             "--generated-at", NOW.isoformat()], env=env)
    assert result.exit_code == 0, result.output
    figs = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    north = [w for w in women if w.site == "north"]
    assert figs["survivors"] == len(north) == 400 and figs["selection"] == "site north"
    assert figs["never_afraid"][0]["never"]["n"] == sum(w.state["T0"] == "answered" for w in north)

    out = tmp_path / "export"
    result = CliRunner().invoke(eval_group, ["export", "--out", str(out), "--no-progress", "--since", "2025-04-01",
                                             "--until", "2025-04-30", "--site", "south",
                                             "--generated-at", NOW.isoformat()], env=env)
    assert result.exit_code == 0, result.output
    with (out / "responses.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["wave"] for r in rows} == {"T1"} and {r["programme_site"] for r in rows} == {"south"}
    assert len({r["pseudonym"] for r in rows}) == sum(1 for w in women if w.site == "south" and "T1" in w.state)
    withdrawn = [r for r in rows if r["wave_state"] == "withdrawn"]
    assert withdrawn and {r["response"] for r in withdrawn} == {"withdrawn"}
    book = json.loads((out / "codebook.json").read_text(encoding="utf-8"))
    assert book["generated_at"] == NOW.isoformat()
    assert book["selection"] == "waves due 2025-04-01 to 2025-04-30, site south"
    assert "withdrawn" in book["response_codes"]
    bad = CliRunner().invoke(eval_group, ["export", "--out", str(out), "--since", "2025-05-01",
                                          "--until", "2025-04-01"], env=env)
    assert bad.exit_code != 0 and "--until is before --since" in bad.output


def test_the_codebook_names_every_derived_measure_the_report_computes() -> None:
    figs = _figures(records(make_cohort(n=200, seed=3))).to_json()
    for key in ("never_afraid", "paired", "fear_distribution", "response", "attrition", "behaviours"):
        assert key in figs
    for measure in ("never_afraid", "never_afraid_paired", "naive_contrast", "mcnemar_p", "interval_share",
                    "interval_difference", "response_rate", "attrition", "attrition_comparison", "weeks_in_programme",
                    "suppression", "respondent", "behaviour_share", "behaviour_paired", "fear_distribution"):
        assert DERIVED_MEASURES[measure]
