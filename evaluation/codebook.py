"""The codebook: what every column, item, answer code and wave of the export means."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from evaluation.data import Selection
from flows.questionnaires import QuestionnaireSet
from safety.triage import Condition
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
                   "cancelled its opening before delivery; counted apart from non-response, see "
                   "`wave_closed_reasons`)."),
    ("questionnaire", "Questionnaire id (see `questionnaires`)."),
    ("questionnaire_version", "Questionnaire version she was asked."),
    ("due_date", "Day the wave fell due (UTC date)."),
    ("programme_outcome", "How his programme ended: completed, dropped_out, excluded; empty while it runs."),
    ("programme_site", "The programme's site code (programme_milestones.site); empty when not recorded."),
    ("notices_since_last_wave", "How many risk notices reached her (their preview was sent) after her previous "
                                "wave fell due and up to this wave's due time; for her first wave, all before "
                                "it. A count only, never what they said. Empty for waves kept after an erasure."),
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
    "withdrawn": "Not answered: she left by quick exit during or before this wave (wave_state withdrawn).",
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

# The report's derived measures: name -> how it is computed from the columns above (see
# evaluation/figures.py, which computes them; a test holds the two together).
DERIVED_MEASURES: dict[str, str] = {
    "respondent": "A pseudonym with at least one wave whose wave_state is answered or partial. Fewer than 5 "
                  "respondents in all: the report says so and shows nothing else.",
    "never_afraid": 'Per wave: among rows with item = fear and response = answered, the share with value = never '
                    '(skipped items are in no denominator). Cross-sectional: everyone who answered that wave.',
    "naive_contrast": "Per later wave W: never_afraid at W minus never_afraid at T0, all respondents of each. The two "
                      "samples overlap (the pseudonyms in both are counted as `overlap`) and differ by who stopped "
                      "answering; the interval treats them as independent groups (Newcombe's unpaired method 10). "
                      "Shown beside the paired change for comparison, not as an estimate of change.",
    "never_afraid_paired": "Per later wave W: pseudonyms with fear answered at T0 and at W. The 2x2 table "
                           "(never at both / at T0 only / at W only / at neither) gives the share never afraid at "
                           "T0 and at W for the same women, and their difference W - T0.",
    "mcnemar_p": "McNemar's exact test on the paired table: two-sided binomial test of 'at W only' among the "
                 "discordant pairs ('at T0 only' + 'at W only'), p = 1/2 (as scipy.stats.binomtest), kept "
                 "unrounded in figures.json and written '< 0.001' in prose below a thousandth.",
    "interval_share": "95% Wilson score interval of a share k/n.",
    "interval_difference": "95% interval of a difference of shares, Newcombe's (1998) method 10: paired for the "
                           "same women, with the phi correlation of the 2x2 table (a, b, c, d) whose numerator "
                           "AD - BC is corrected to AD - BC - N/2 when above N/2 and to 0 when from 0 to N/2; "
                           "unpaired for the naive contrast.",
    "fear_distribution": "Per wave: counts and shares of each fear code among answered fear items.",
    "behaviour_share": "Per behaviour item (beh_*): share of yes among yes + no answers, at T0 and at the latest "
                       "full wave with at least 5 respondents (cross-sectional).",
    "behaviour_paired": "Per behaviour item: pseudonyms with yes/no at both T0 and the latest wave; their 2x2 table, "
                        "shares of yes at each, the difference with Newcombe's paired interval and McNemar's exact "
                        "p, as never_afraid_paired.",
    "response_rate": "Per wave: (answered + partial) / invited; invited = rows of the wave (any wave_state).",
    "attrition": "Per later wave: among pseudonyms who responded at T0 and were invited to the wave, the share "
                 "who did not respond to it (missing or withdrawn).",
    "attrition_comparison": "Per later wave: T0 respondents with fear answered at T0 and invited to the wave, in "
                            "three groups by their wave_state there: answered (answered/partial), did not answer "
                            "(missing), withdrawn. For each: n, share never afraid at T0, and median weeks in "
                            "programme.",
    "weeks_in_programme": "Weeks from his programme's start to the wave's due_date, or to the programme's actual "
                          "end if that came first (not known for waves kept after an erasure).",
    "suppression": "Every count from 1 to 4 is withheld ('withheld', null in figures.json), in tables, charts and "
                   "figures.json alike; a zero is shown. Where a shown total would give a withheld count back, "
                   "other counts of the same total are withheld too (smallest first) until at least two are "
                   "withheld and they add up to 5 or more. A share is withheld when its count or its complement "
                   "is; a group of fewer than 5 people shows nothing; a paired table with a withheld cell is "
                   "withheld whole, and so is any difference that needs a withheld share.",
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


def build_codebook(config: WaveConfig, qs: QuestionnaireSet, *, now: datetime, include_free_text: bool = False,
                   selection: Selection | None = None) -> dict[str, Any]:
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
        "generated_at": now.isoformat(timespec="seconds"),
        "selection": (selection or Selection()).describe(),
        "data_file": DATA_FILE,
        "layout": "tidy: one row per survivor pseudonym x wave x item of the wave's questionnaire",
        "columns": [{"name": n, "description": d} for n, d in cols],
        "response_codes": RESPONSE_CODES,
        "derived_measures": [{"name": k, "computation": v} for k, v in DERIVED_MEASURES.items()],
        "wave_closed_reasons": CLOSED_REASONS,
        "questionnaires": questionnaires,
        "waves": waves,
        "wave_config_version": config.version,
        "wave_config_signature": config.signature,
        "inclusion": "Survivors whose latest evaluation consent is granted; closed waves only "
                     "(answered, partial, missing) and waves she withdrew from by quick exit (withdrawn); "
                     "within the selection (due day window, site) named in `selection`.",
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
