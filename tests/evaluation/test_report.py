"""`liaison eval report` on a generated cohort of 300 survivors over five waves: the charts are
there, and every number matches what was generated (computed here independently); small groups
are suppressed."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import matplotlib.image
import pytest
from click.testing import CliRunner

from bot.storage.db import Database
from evaluation.cli import eval_group
from evaluation.report import CHARTS
from evaluation.stats import wilson
from tests.evaluation.cohort import BEHAVIOURS, FEAR, WAVES, Person, generate

GENERATED_AT = "2026-03-02T09:30:00+00:00"


def _ci(k: int, n: int) -> tuple[float, float]:
    lo, hi = wilson(k, n)
    return round(lo, 4), round(hi, 4)


@pytest.fixture
def env(database_url: str, keyring) -> dict[str, str]:
    return {"LIAISON_ENV": "test", "DATABASE_URL": database_url, "LIAISON_KEY_FILE": str(keyring.path)}


@pytest.fixture
def cohort(database_url: str, keyring) -> list[Person]:
    async def go() -> list[Person]:
        db = Database(database_url, keyring)
        try:
            return await generate(db, keyring, n=300)
        finally:
            await db.dispose()

    return asyncio.run(go())


def expected_figures(people: list[Person]) -> dict:
    ps = [p for p in people if p.consented]
    responded = {w: {p.id for p in ps if w in p.waves and p.waves[w][0] != "missing"} for w in WAVES}
    invited = {w: {p.id for p in ps if w in p.waves} for w in WAVES}
    never, dist, response = [], [], []
    for w in WAVES:
        fear = Counter(p.waves[w][1]["fear"] for p in ps if p.id in responded[w]
                       and p.waves[w][1].get("fear") is not None)
        n = sum(fear.values())
        small = n < 5
        lo, hi = (None, None) if small else _ci(fear["never"], n)
        never.append({"wave": w, "n": n, "suppressed": small, "never": None if small else fear["never"],
                      "share": None if small else round(fear["never"] / n, 4), "ci_low": lo, "ci_high": hi})
        dist.append({"wave": w, "n": n, "suppressed": small,
                     "counts": None if small else {c: fear[c] for c in FEAR},
                     "shares": None if small else {c: round(fear[c] / n, 4) for c in FEAR},
                     "intervals": None if small else {c: list(_ci(fear[c], n)) for c in FEAR}})
        states = Counter(p.waves[w][0] for p in ps if w in p.waves)
        row = {"wave": w, "invited": len(invited[w]), "suppressed": len(invited[w]) < 5}
        if not row["suppressed"]:
            row.update(answered=states["answered"], partial=states["partial"], missing=states["missing"], withdrawn=0,
                       responded=len(responded[w]), response_rate=round(len(responded[w]) / len(invited[w]), 4),
                       response_ci=list(_ci(len(responded[w]), len(invited[w]))))
        else:
            row.update(answered=None, partial=None, missing=None, withdrawn=None, responded=None, response_rate=None,
                       response_ci=None)
        if w != "T0":
            cohort = responded["T0"] & invited[w]
            kept = responded["T0"] & responded[w]
            row["t0_cohort"] = len(cohort)
            row["attrition"] = None if len(cohort) < 5 else round((len(cohort) - len(kept)) / len(cohort), 4)
            row["attrition_ci"] = None if len(cohort) < 5 else list(_ci(len(cohort) - len(kept), len(cohort)))
        response.append(row)
    checkins_invited = 2 * len(ps)
    checkins_answered = sum(1 for p in ps for c in (1, 2) if (p.id + c) % 3 != 0)
    response.append({"wave": "check-ins", "invited": checkins_invited, "suppressed": False,
                     "answered": checkins_answered, "partial": 0, "missing": checkins_invited - checkins_answered,
                     "withdrawn": 0, "responded": checkins_answered,
                     "response_rate": round(checkins_answered / checkins_invited, 4),
                     "response_ci": list(_ci(checkins_answered, checkins_invited))})
    latest = next(w for w in reversed(WAVES[1:]) if len(responded[w]) >= 5)
    behaviours = []
    for b in BEHAVIOURS:
        entry = {"item": b}
        for slot, w in (("baseline", "T0"), ("latest", latest)):
            vals = Counter(p.waves[w][1][b] for p in ps if p.id in responded[w] and p.waves[w][1].get(b) is not None)
            n = vals["yes"] + vals["no"]
            lo, hi = (None, None) if n < 5 else _ci(vals["yes"], n)
            entry[slot] = {"wave": w, "n": n, "suppressed": n < 5, "yes": None if n < 5 else vals["yes"],
                           "share": None if n < 5 else round(vals["yes"] / n, 4), "ci_low": lo, "ci_high": hi}
        behaviours.append(entry)
    return {"survivors": len(ps), "never_afraid": never, "fear_distribution": dist, "response": response,
            "behaviours": {"baseline": "T0", "latest": latest, "items": behaviours}}


def test_the_report_from_a_cohort_has_its_charts_and_numbers(env, cohort: list[Person], tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(eval_group, ["report", "--out", str(out), "--generated-at", GENERATED_AT], env=env)
    assert result.exit_code == 0, result.output
    figs = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    expected = expected_figures(cohort)
    assert figs["generated_at"] == GENERATED_AT
    assert figs["survivors"] == expected["survivors"] > 200
    assert figs["never_afraid"] == expected["never_afraid"]
    assert figs["fear_distribution"] == expected["fear_distribution"]
    assert figs["response"] == expected["response"]
    assert figs["behaviours"]["latest"] == expected["behaviours"]["latest"] == "T3"
    for got, want in zip(figs["behaviours"]["items"], expected["behaviours"]["items"], strict=True):
        assert got["item"] == want["item"] and got["baseline"] == want["baseline"] and got["latest"] == want["latest"]
    # the headline moves the way the cohort was made: more "never afraid" after the programme
    shares = [r["share"] for r in figs["never_afraid"] if not r["suppressed"]]
    assert shares == sorted(shares) and len(shares) == 4
    # T4 has a handful of respondents: suppressed everywhere
    t4 = figs["never_afraid"][4]
    assert t4["suppressed"] and t4["never"] is None and t4["share"] is None
    html = (out / "index.html").read_text(encoding="utf-8")
    for name in CHARTS.values():
        png = out / name
        assert png.stat().st_size > 10_000
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        height, width, _ = matplotlib.image.imread(png).shape
        assert width >= 600 and height >= 300
        assert f"src='{name}'" in html
    t0 = figs["never_afraid"][0]
    assert (f"<td>T0 Intake</td><td>{t0['n']}</td><td>{t0['never']}</td><td>{t0['share'] * 100:.1f}% "
            f"<span class='ci'>[{t0['ci_low'] * 100:.1f}–{t0['ci_high'] * 100:.1f}]</span></td>") in html
    assert "<td>T4 Twelve months after</td><td>n&lt;5</td><td>n&lt;5</td><td>n&lt;5</td>" in html
    assert f"Generated {GENERATED_AT}" in html
    assert not any(p.pseudonym in html for p in cohort)


def test_fewer_than_five_respondents_give_one_sentence_and_no_charts(env, database_url, keyring,
                                                                       tmp_path: Path) -> None:
    async def go() -> None:
        db = Database(database_url, keyring)
        try:
            await generate(db, keyring, n=4)
        finally:
            await db.dispose()

    asyncio.run(go())
    out = tmp_path / "report"
    assert CliRunner().invoke(eval_group, ["report", "--out", str(out), "--generated-at", GENERATED_AT],
                              env=env).exit_code == 0
    figs = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    assert figs["empty"] and figs["respondents"] < 5
    assert "never_afraid" not in figs and "paired" not in figs
    assert not list(out.glob("*.png"))
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Fewer than 5 women have answered any wave yet" in html
    assert "<img" not in html and "<table" not in html
