"""The codebook: what every column, item, answer code and wave of the export means."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safety.triage import Condition
from scheduler.questionnaires import QuestionnaireSet
from scheduler.waves import WaveConfig

DATA_FILE = "responses.csv"
CODEBOOK_JSON = "codebook.json"
CODEBOOK_CSV = "codebook.csv"

COLUMNS: list[tuple[str, str]] = [
    ("pseudonym", "Survivor pseudonym: keyed HMAC, stable across waves and exports, not reversible "
                  "without the service's key file. Never her name, number or internal id."),
    ("wave", "Wave code (see `waves`): T0-T4 are full waves; C01, C02, ... are short check-ins."),
    ("wave_kind", "wave (full questionnaire) or checkin (short check-in)."),
    ("wave_state", "answered (she reached the end), partial (closed after some answers), "
                   "missing (closed without an answer), withdrawn (never reached her: her quick exit "
                   "cancelled its opening before delivery; not a non-response, see `wave_closed_reasons`)."),
    ("questionnaire", "Questionnaire id (see `questionnaires`)."),
    ("questionnaire_version", "Questionnaire version she was asked."),
    ("due_date", "Day the wave fell due (UTC date)."),
    ("programme_outcome", "How his programme ended: completed, dropped_out, excluded; empty while it runs."),
    ("item", "Item code (see `questionnaires[].items`)."),
    ("response", "See `response_codes`."),
    ("value", "Answer code (see the item's `codes`); empty unless response is answered. Free-text items "
              "have no code."),
    ("score", "Numeric score of the answer code where the scale defines one (fear 0-4, yes 1 / no 0, "
              "feeling safe 0-10, wellbeing 1-5); empty otherwise."),
    ("answered_date", "Day the answer was stored (UTC date)."),
]
FREE_TEXT_COLUMN = ("free_text", "Her free-text answer, only in exports made with --include-free-text: it may "
                                 "identify her or others; handle as personal data.")

RESPONSE_CODES = {
    "answered": "She gave an answer.",
    "skipped": "She chose to skip this item.",
    "not_applicable": "Not asked: its condition (ask_if) did not hold for her earlier answers.",
    "not_reached": "Not asked: she stopped before this item and the wave closed (wave_state partial).",
    "wave_missing": "The whole wave is missing (no answer before its deadline, or never sent).",
    "wave_withdrawn": "The whole wave was withdrawn: her quick exit cancelled its opening before it reached "
                      "her phone. Not a non-response: count it apart (it was offered again once; see "
                      "`wave_closed_reasons`).",
}

# Why a wave closed (wave_instances.closed_reason), so withdrawn surveys are told apart from non-response.
CLOSED_REASONS = {
    "no_reply": "It reached her and was not (fully) answered before its deadline: non-response.",
    "not_sent": "It never went out before its deadline (no contact window, not consented, paused, stopped).",
    "superseded": "An unbegun check-in gave way to a full wave.",
    "withdrawn_quick_exit": "Her quick exit cancelled its opening before delivery (wave_state withdrawn). If "
                            "it was offered again and then not answered, wave_state is missing with this "
                            "reason: still not comparable with an ordinary non-response.",
}


def columns(include_free_text: bool) -> list[str]:
    return [c for c, _ in COLUMNS] + ([FREE_TEXT_COLUMN[0]] if include_free_text else [])


def _condition_text(c: Condition | None) -> str | None:
    if c is None:
        return None
    if c.op == "in":
        return f"{c.item} in {sorted(c.codes)}"
    if c.op in ("at_least", "at_most"):
        return f"{c.item} {c.op} {c.number:g}"
    if c.op in ("all", "any"):
        return f"{c.op}(" + ", ".join(_condition_text(ch) or "" for ch in c.children) + ")"
    if c.op == "not":
        return f"not {_condition_text(c.children[0])}"
    return c.op


def build_codebook(config: WaveConfig, qs: QuestionnaireSet, *, include_free_text: bool = False) -> dict[str, Any]:
    locales = qs.locales()
    questionnaires = []
    for qid, version in sorted({(i, v) for (_, i, v) in qs.by_key}):
        per_locale = {loc: qs.by_key[(loc, qid, version)] for loc in locales if (loc, qid, version) in qs.by_key}
        ref = per_locale.get("en") or next(iter(per_locale.values()))
        items = []
        for it in ref.items:
            local = {loc: q.item(it.code) for loc, q in per_locale.items()}
            items.append({
                "code": it.code,
                "scale": it.scale.code,
                "scale_type": it.scale.type,
                "wording": {loc: li.wording for loc, li in local.items()},
                "cover_wording": {loc: li.cover_wording for loc, li in local.items() if li.cover_wording},
                "ask_if": _condition_text(it.ask_if),
                "codes": [{"code": c, "score": it.scale.score(c),
                           "label": {loc: li.scale.label(c) for loc, li in local.items()}}
                          for c in it.scale.codes()],
                **({"range": {"min": it.scale.min, "max": it.scale.max,
                              "low_label": {loc: li.scale.low_label for loc, li in local.items()},
                              "high_label": {loc: li.scale.high_label for loc, li in local.items()}}}
                   if it.scale.type == "range" else {}),
            })
        questionnaires.append({"id": qid, "version": version, "title": {loc: q.title for loc, q in per_locale.items()},
                               "in_use": config.questionnaires.get(qid) == version, "items": items})
    waves = [{
        "code": w.code if not w.repeating else f"{w.code}01, {w.code}02, ...",
        "label": w.label, "kind": w.kind, "questionnaire": w.questionnaire,
        "questionnaire_version": w.questionnaire_version, "anchor": w.anchor,
        "offset": {"days": w.offset.days, "months": w.offset.months},
        "every_days": w.every_days, "during_programme": w.during_programme,
        "skip_within_days": w.skip_within_days,
        "reminder_after_days": w.reminder_after.days if w.reminder_after else None,
        "close_after_days": w.close_after.days,
    } for w in config.waves]
    cols = COLUMNS + ([FREE_TEXT_COLUMN] if include_free_text else [])
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_file": DATA_FILE,
        "layout": "tidy: one row per survivor pseudonym x wave x item of the wave's questionnaire",
        "columns": [{"name": n, "description": d} for n, d in cols],
        "response_codes": RESPONSE_CODES,
        "wave_closed_reasons": CLOSED_REASONS,
        "questionnaires": questionnaires,
        "waves": waves,
        "wave_config_version": config.version,
        "wave_config_signature": config.signature,
        "inclusion": "Survivors whose latest evaluation consent is granted; closed waves only "
                     "(answered, partial, missing).",
    }


def write_codebook(book: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / CODEBOOK_JSON
    json_path.write_text(json.dumps(book, indent=2, ensure_ascii=False), encoding="utf-8")
    csv_path = out_dir / CODEBOOK_CSV
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["questionnaire", "version", "item", "scale_type", "wording_en", "code", "score", "label_en",
                    "label_de"])
        for q in book["questionnaires"]:
            for it in q["items"]:
                codes = it["codes"] or [{"code": "", "score": None, "label": {}}]
                for c in codes:
                    w.writerow([q["id"], q["version"], it["code"], it["scale_type"], it["wording"].get("en", ""),
                                c["code"], "" if c["score"] is None else f"{c['score']:g}",
                                c["label"].get("en", ""), c["label"].get("de", "")])
    return json_path, csv_path
