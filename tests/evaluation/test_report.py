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


def _share(k: int, n: int, *, hide_k: bool = False) -> dict:
    """A share as figures.json holds it, with the suppression rule written out again here."""
    if 0 < n < 5:
        return {"n": None, "k": None, "share": None, "ci_low": None, "ci_high": None, "suppressed": True}
    if n == 0 or hide_k or 0 < k < 5 or 0 < n - k < 5:
        return {"n": n, "k": None, "share": None, "ci_low": None, "ci_high": None, "suppressed": True}
    lo, hi = _ci(k, n)
    return {"n": n, "k": k, "share": round(k / n, 4), "ci_low": lo, "ci_high": hi, "suppressed": False}


def _withheld(cells: dict[str, int], prefer: tuple[str, ...] = ()) -> set[str]:
    """Small counts (1-4), then the smallest non-zero others until two or more add up to 5 or more."""
    out = {c for c, v in cells.items() if 0 < v < 5}
    others = sorted((c in prefer, v == 0, v, c) for c, v in cells.items() if c not in out)
    while out and others and (len(out) < 2 or sum(cells[c] for c in out) < 5):
        out.add(others.pop(0)[3])
    return out


def expected_figures(people: list[Person]) -> dict:
    ps = [p for p in people if p.consented]
    responded = {w: {p.id for p in ps if w in p.waves and p.waves[w][0] != "missing"} for w in WAVES}
    invited = {w: {p.id for p in ps if w in p.waves} for w in WAVES}
    labels = dict(zip(WAVES, ("Intake", "Mid-point", "End", "Six months after", "Twelve months after"), strict=True))
    never, dist, response = [], [], []
    for w in WAVES:
        fear = Counter(p.waves[w][1]["fear"] for p in ps if p.id in responded[w]
                       and p.waves[w][1].get("fear") is not None)
        n = sum(fear.values())
        counts = {c: fear[c] for c in FEAR}
        hidden = set(FEAR) if n < 5 else _withheld(counts, prefer=("never",))
        codes = {c: _share(counts[c], n, hide_k=c in hidden) for c in FEAR}
        never.append({"wave": w, "never": codes["never"]})
        dist.append({"wave": w, "n": None if n < 5 else n, "suppressed": n < 5, "codes": codes})
        states = Counter(p.waves[w][0] for p in ps if w in p.waves)
        row: dict = {"wave": w, "label": labels[w], "invited": len(invited[w]), "suppressed": len(invited[w]) < 5}
        top = _withheld({"responded": len(responded[w]), "missing": states["missing"], "withdrawn": 0})
        sub = {"answered", "partial"} if "responded" in top else _withheld(
            {"answered": states["answered"], "partial": states["partial"]})
        row.update(answered=None if "answered" in sub else states["answered"],
                   partial=None if "partial" in sub else states["partial"],
                   missing=None if "missing" in top else states["missing"], withdrawn=0,
                   responded=None if "responded" in top else len(responded[w]),
                   rate=_share(len(responded[w]), len(invited[w]), hide_k="responded" in top))
        cohort = responded["T0"] & invited[w]
        kept = responded["T0"] & responded[w]
        row["attrition"] = None if w == "T0" else _share(len(cohort) - len(kept), len(cohort))
        response.append(row)
    checkins_invited = 2 * len(ps)
    checkins_answered = sum(1 for p in ps for c in (1, 2) if (p.id + c) % 3 != 0)
    response.append({"wave": "check-ins", "label": "Check-ins (all)", "invited": checkins_invited,
                     "suppressed": False, "answered": checkins_answered, "partial": 0,
                     "missing": checkins_invited - checkins_answered, "withdrawn": 0, "responded": checkins_answered,
                     "rate": _share(checkins_answered, checkins_invited), "attrition": None})
    latest = next(w for w in reversed(WAVES[1:]) if len(responded[w]) >= 5)
    behaviours = []
    for b in BEHAVIOURS:
        entry: dict = {"item": b}
        for slot, w in (("baseline", "T0"), ("latest", latest)):
            vals = Counter(p.waves[w][1][b] for p in ps if p.id in responded[w] and p.waves[w][1].get(b) is not None)
            entry[slot] = _share(vals["yes"], vals["yes"] + vals["no"])
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
    shares = [r["never"]["share"] for r in figs["never_afraid"] if not r["never"]["suppressed"]]
    assert shares == sorted(shares) and len(shares) == 4
    # T4 has a handful of respondents: suppressed everywhere, its n too
    t4 = figs["never_afraid"][4]["never"]
    assert t4["suppressed"] and t4["n"] is None and t4["k"] is None and t4["share"] is None
    html = (out / "index.html").read_text(encoding="utf-8")
    for name in CHARTS.values():
        png = out / name
        assert png.stat().st_size > 10_000
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        height, width, _ = matplotlib.image.imread(png).shape
        assert width >= 600 and height >= 300
        assert f"src='{name}'" in html
    t0 = figs["never_afraid"][0]["never"]
    assert (f"<td>T0 Intake</td><td>{t0['n']}</td><td>{t0['k']}</td><td>{t0['share'] * 100:.1f}% "
            f"<span class='ci'>[{t0['ci_low'] * 100:.1f}–{t0['ci_high'] * 100:.1f}]</span></td>") in html
    assert "<td>T4 Twelve months after</td><td>withheld</td><td>withheld</td><td>withheld</td>" in html
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
