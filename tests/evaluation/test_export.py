"""`liaison eval export`: tidy CSV checked against its codebook, consent honoured, pseudonyms
stable and not her internal id, free text only on request, unlinked waves after an erasure kept."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from bot.storage.db import Database
from bot.storage.models import ProgrammeMilestones, Survivor, WaveInstance
from bot.waves.evaluation_records import PSEUDONYM_NAMESPACE, detach_or_delete
from evaluation.cli import eval_group
from tests.evaluation.cohort import FULL, generate


@pytest.fixture
def env(database_url: str, keyring) -> dict[str, str]:
    return {"LIAISON_ENV": "test", "DATABASE_URL": database_url, "LIAISON_KEY_FILE": str(keyring.path)}


def _cohort(database_url: str, keyring, n: int):
    async def go():
        db = Database(database_url, keyring)
        try:
            return await generate(db, keyring, n=n)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _read(out: Path) -> tuple[list[dict[str, str]], dict]:
    with (out / "responses.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return rows, json.loads((out / "codebook.json").read_text(encoding="utf-8"))


def test_export_columns_and_values_match_the_codebook(env, database_url, keyring, tmp_path: Path) -> None:
    _cohort(database_url, keyring, 60)
    out = tmp_path / "export"
    result = CliRunner().invoke(eval_group, ["export", "--out", str(out), "--no-progress"], env=env)
    assert result.exit_code == 0, result.output
    rows, book = _read(out)
    with (out / "responses.csv").open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == [c["name"] for c in book["columns"]]
    assert "free_text" not in header
    items = {(q["id"], q["version"]): {it["code"]: it for it in q["items"]} for q in book["questionnaires"]}
    for row in rows:
        item = items[(row["questionnaire"], row["questionnaire_version"])][row["item"]]
        assert row["response"] in book["response_codes"]
        if row["response"] == "answered" and item["scale_type"] != "text":
            codes = {c["code"]: c["score"] for c in item["codes"]}
            assert row["value"] in codes
            assert row["score"] == ("" if codes[row["value"]] is None else f"{codes[row['value']]:g}")
        else:
            assert row["value"] == "" and row["score"] == ""
    assert {w["code"] for w in book["waves"]} >= {"T0", "T1", "T2", "T3", "T4"}
    assert book["questionnaires"][1]["items"][0]["wording"]["de"].startswith("Wie oft")


def test_export_holds_consenting_survivors_only_under_stable_pseudonyms(env, database_url, keyring,
                                                                        tmp_path: Path) -> None:
    people = _cohort(database_url, keyring, 60)
    out = tmp_path / "export"
    assert CliRunner().invoke(eval_group, ["export", "--out", str(out)], env=env).exit_code == 0
    rows, _book = _read(out)
    expected = {keyring.pseudonym(PSEUDONYM_NAMESPACE, p.pseudonym): p for p in people if p.consented}
    assert {r["pseudonym"] for r in rows} == set(expected)
    text = (out / "responses.csv").read_text(encoding="utf-8")
    assert not any(p.pseudonym in text for p in people)  # never her internal pseudonym
    # tidy: one row per survivor x wave x item, and the answers are hers
    full_items = [it.code for it in FULL.items]
    n_checkin_items = 8
    assert len(rows) == sum(len(p.waves) * len(full_items) + 2 * n_checkin_items for p in expected.values())
    by_key = {(r["pseudonym"], r["wave"], r["item"]): r for r in rows}
    for pn, p in expected.items():
        for code, (state, answers) in p.waves.items():
            assert by_key[(pn, code, "fear")]["wave_state"] == state
            assert by_key[(pn, code, "fear")]["programme_outcome"] == (p.outcome or "")
            for item in full_items:
                row = by_key[(pn, code, item)]
                if state == "missing":
                    assert row["response"] == "wave_missing"
                elif item not in answers:
                    assert row["response"] == "not_reached"
                elif answers[item] is None:
                    assert row["response"] == ("answered" if item == "comment" else "skipped")
                else:
                    assert (row["response"], row["value"]) == ("answered", answers[item])
    # the same pseudonyms next time (stable across exports and waves)
    out2 = tmp_path / "again"
    CliRunner().invoke(eval_group, ["export", "--out", str(out2)], env=env)
    assert {r["pseudonym"] for r in _read(out2)[0]} == set(expected)


def test_free_text_only_on_request_and_a_progress_bar(env, database_url, keyring, tmp_path: Path) -> None:
    _cohort(database_url, keyring, 20)
    out = tmp_path / "export"
    result = CliRunner().invoke(eval_group, ["export", "--out", str(out), "--include-free-text", "--progress"],
                                env=env)
    assert result.exit_code == 0, result.output
    assert "export" in result.stderr and "wave" in result.stderr  # tqdm's bar
    rows, book = _read(out)
    assert book["columns"][-1]["name"] == "free_text"
    assert {r["free_text"] for r in rows if r["item"] == "comment" and r["response"] == "answered"} == {"left blank"}


def test_waves_of_an_erased_survivor_who_consented_stay_unlinked(env, database_url, keyring,
                                                                 tmp_path: Path) -> None:
    people = _cohort(database_url, keyring, 30)
    kept, gone = next(p for p in people if p.consented), next(p for p in people[1:] if not p.consented)
    expected = keyring.pseudonym(PSEUDONYM_NAMESPACE, kept.pseudonym)

    async def erase() -> None:
        db = Database(database_url, keyring)
        try:
            async with db.transaction() as s:
                await s.execute(update(ProgrammeMilestones).where(ProgrammeMilestones.survivor_id == kept.id)
                                .values(site="east"))
            async with db.transaction() as s:
                assert await detach_or_delete(s, kept.id, keep=True, keyring=keyring) == len(kept.waves) + 2
                await detach_or_delete(s, gone.id, keep=False, keyring=keyring)
                for p in (kept, gone):
                    await s.delete(await s.get(Survivor, p.id))
            async with db.sessions() as s:
                left = (await s.execute(select(WaveInstance.survivor_id, func.count()).where(
                    WaveInstance.survivor_id.is_(None) | WaveInstance.survivor_id.in_((kept.id, gone.id)))
                    .group_by(WaveInstance.survivor_id))).all()
                assert left == [(None, len(kept.waves) + 2)]
        finally:
            await db.dispose()

    asyncio.run(erase())
    out = tmp_path / "export"
    assert CliRunner().invoke(eval_group, ["export", "--out", str(out), "--include-free-text"], env=env).exit_code == 0
    rows, _ = _read(out)
    mine = [r for r in rows if r["pseudonym"] == expected]
    assert {r["wave"] for r in mine} == set(kept.waves) | {"C01", "C02"}
    assert all(r["free_text"] == "" for r in mine)  # free text goes with her identity
    assert mine[0]["programme_outcome"] == (kept.outcome or "")
    # her site goes with her kept waves, so a report by site still counts her
    out = tmp_path / "east"
    assert CliRunner().invoke(eval_group, ["export", "--out", str(out), "--site", "east"], env=env).exit_code == 0
    rows, _ = _read(out)
    assert rows and {r["pseudonym"] for r in rows} == {expected} and {r["programme_site"] for r in rows} == {"east"}
