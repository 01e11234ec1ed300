"""`liaison eval export`: a tidy CSV (one row per survivor pseudonym x wave x item) and its codebook."""

from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from bot.storage.db import Database
from evaluation.codebook import DATA_FILE, build_codebook, columns, write_codebook
from evaluation.data import Selection, WaveRecord, count_records, iter_records
from flows.questionnaires import Questionnaire, QuestionnaireSet, default_questionnaires
from safety.crypto import KeyRing
from safety.triage import Facts
from scheduler.waves import WaveConfig, default_wave_config

PROGRESS_THRESHOLD = 1000  # waves; smaller exports finish before a bar would tell anything


def _open_csv(path: Path) -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", newline="", encoding="utf-8")


@dataclass(frozen=True)
class ExportResult:
    data: Path
    codebook: Path
    rows: int
    waves: int
    survivors: int


def item_rows(rec: WaveRecord, q: Questionnaire, include_free_text: bool) -> list[list[str]]:
    facts = Facts({k: a.value for k, a in rec.answers.items() if a.value is not None})
    rows = []
    for it in q.items:
        a = rec.answers.get(it.code)
        value = score = answered = text = ""
        if a is not None:
            response = "skipped" if a.skipped else "answered"
            answered = a.answered_on.isoformat()
            if not a.skipped:
                value = a.value or ""
                s = it.scale.score(a.value) if a.value is not None else None
                score = "" if s is None else f"{s:g}"
                text = a.free_text or ""
        elif rec.state == "withdrawn":
            response = "withdrawn"
        elif rec.state == "missing":
            response = "wave_missing"
        elif it.ask_if is not None and not it.ask_if(facts):
            response = "not_applicable"
        else:
            response = "not_reached"
        row = [rec.pseudonym, rec.wave, rec.kind, rec.state, rec.questionnaire, rec.questionnaire_version,
               rec.due_on.isoformat(), rec.programme_outcome or "", rec.site or "",
               "" if rec.notices_since_last_wave is None else str(rec.notices_since_last_wave), it.code, response,
               value, score, answered]
        if include_free_text:
            row.append(text)
        rows.append(row)
    return rows


async def export(db: Database, keyring: KeyRing, out_dir: Path, *, config: WaveConfig | None = None,
                 questionnaires: QuestionnaireSet | None = None, include_free_text: bool = False,
                 progress: bool | None = None, selection: Selection | None = None,
                 now: datetime) -> ExportResult:
    """Write responses.csv, codebook.json and codebook.csv into `out_dir`.
    `progress`: None shows a bar (stderr) when there are at least PROGRESS_THRESHOLD waves.
    `selection`: a window of due days and a site; `now` stamps the codebook's generated_at."""
    config = config or default_wave_config()
    qs = questionnaires or default_questionnaires()
    total = await count_records(db, selection)
    show = progress if progress is not None else total >= PROGRESS_THRESHOLD
    data_path = out_dir / DATA_FILE
    rows = waves = 0
    people: set[str] = set()
    # a batch command: plain file writes; the file appears under its name only when complete
    tmp = data_path.with_name(DATA_FILE + ".partial")
    with _open_csv(tmp) as fh, tqdm(total=total, unit="wave", disable=not show, file=sys.stderr,
                                    desc="export") as bar:
        writer = csv.writer(fh)
        writer.writerow(columns(include_free_text))
        async for rec in iter_records(db, keyring, include_free_text=include_free_text, progress=bar.update,
                                      selection=selection):
            q = qs.get("en", rec.questionnaire, rec.questionnaire_version)
            for row in item_rows(rec, q, include_free_text):
                writer.writerow(row)
                rows += 1
            waves += 1
            people.add(rec.pseudonym)
    os.replace(tmp, data_path)
    book_json, _ = write_codebook(build_codebook(config, qs, include_free_text=include_free_text, now=now,
                                                 selection=selection), out_dir)
    return ExportResult(data_path, book_json, rows, waves, len(people))
