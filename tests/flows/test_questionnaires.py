"""Questionnaires are data, validated at load: a broken file fails with its path and the reason;
the shipped files agree across locales and their cover texts hold no sensitive words."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from flows.questionnaires import (
    CONTENT_DIR,
    QuestionnaireError,
    check_rules_against,
    load_questionnaires,
)
from safety.disguise import sensitive_hits, word_pattern
from safety.triage import default_rules

SHIPPED = load_questionnaires()


def test_the_shipped_questionnaires_load_in_every_locale() -> None:
    assert sorted(SHIPPED.by_key) == [("de", "checkin", "1"), ("de", "full", "1"), ("en", "checkin", "1"),
                                      ("en", "full", "1")]
    full = SHIPPED.get("en", "full", "1")
    assert [i.code for i in full.items][:2] == ["fear", "safe"]
    assert full.item("fear").scale.codes() == ["never", "rarely", "sometimes", "often", "always"]
    assert full.item("safe").scale.codes() == [str(n) for n in range(11)]
    behaviours = [i.code for i in full.items if i.code.startswith("beh_")]
    assert behaviours == ["beh_shouting", "beh_control", "beh_jealousy", "beh_threats", "beh_following",
                          "beh_physical", "beh_sexual", "beh_children"]
    assert {"children_witnessed", "wellbeing", "comment", "danger_now"} <= {i.code for i in full.items}
    check = SHIPPED.get("en", "checkin", "1")
    assert [i.code for i in check.items if i.ask_if is None] == ["fear", "safe", "incident"]
    check_rules_against(default_rules(), SHIPPED)


@pytest.mark.parametrize("locale", ["en", "de"])
def test_cover_texts_hold_no_sensitive_words(locale: str) -> None:
    words = yaml.safe_load((CONTENT_DIR / locale / "sensitive_words.yaml").read_text(encoding="utf-8"))["words"]
    pattern = word_pattern(words)
    for (loc, _qid, _v), q in SHIPPED.by_key.items():
        if loc != locale:
            continue
        shown = [t for k, t in q.texts.items() if not k.endswith("_plain")]
        for it in q.items:
            shown.append(it.cover_wording or it.wording)  # what she sees with her cover on
            shown += [it.scale.label(c) for c in it.scale.codes()]
            shown += [it.scale.low_label, it.scale.high_label]
        for text in shown:
            assert not sensitive_hits(text, pattern), f"{q.path}: {text!r}"


def _copy(tmp_path: Path) -> Path:
    for loc in ("en", "de"):
        (tmp_path / loc).mkdir()
        for f in (CONTENT_DIR / loc).glob("questionnaire*.yaml"):
            shutil.copy(f, tmp_path / loc / f.name)
    return tmp_path


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


BROKEN = [
    ("en/questionnaire_full.yaml", "    scale: safe_0_10\n", "    scale: safe_0_100\n",
     r"items\[1\]\.scale: unknown scale 'safe_0_100'"),
    ("en/questionnaire_full.yaml", '- {code: "yes", score: 1, label: "Yes"}', "- {code: yes, score: 1, label: Yes}",
     r"scales\.yes_no\.options\[0\]\.code: expected a text code, got True \(quote yes/no in YAML\)"),
    ("en/questionnaire_checkin.yaml", 'ask_if: {item: incident, in: ["yes"]}',
     'ask_if: {item: incident, in: ["maybe"]}',
     r"items\[3\]\.ask_if: 'maybe' is not an answer code of 'incident'"),
    ("en/questionnaire_checkin.yaml", 'ask_if: {item: incident, in: ["yes"]}',
     'ask_if: {item: beh_threats, in: ["yes"]}',
     r"refers to 'beh_threats', which is not asked before it"),
    ("en/questionnaire_full.yaml", 'version: "1"', "version: 1", r"version: expected a quoted version"),
    ("en/questionnaire_full.yaml", "  pause: [later, pause, not now]", "  pause: [later, stop]",
     r"keywords\.pause: 'stop' is a word that works everywhere"),
    ("en/questionnaire_full.yaml", "  resume: [continue, go on, carry on]", "  resume: [continue, start]",
     r"keywords\.resume: 'start' is a word that works everywhere"),
    ("en/questionnaire_full.yaml", '  thanks: "Thank you for your answers',
     '  thanks: "Thank you {name} for your answers',
     r"texts\.thanks: unknown placeholder\(s\) \['name'\]"),
    ("en/questionnaire_full.yaml", "  closed:", "  shut:", r"texts\.closed: missing"),
    ("en/questionnaire_full.yaml", "locale: en", "locale: de", r"locale: 'de' but the file is in the 'en' folder"),
    ("en/questionnaire_full.yaml", "items:\n", "items:\n  - {code: Fear, wording: x, scale: fear}\n",
     r"items\[0\]\.code: 'Fear'"),
    ("en/questionnaire_full.yaml", "title: Follow-up questionnaire", "title: [oops",
     r"not valid YAML"),
    ("de/questionnaire_full.yaml", "      - {code: no_children, label: \"Keine Kinder betroffen\"}\n", "",
     r"does not match .*questionnaire_full\.yaml: item 'children_witnessed': answer codes differ"),
    ("de/questionnaire_checkin.yaml", 'version: "1"', 'version: "2"',
     r"questionnaire 'checkin' version '1' is missing"),
]


@pytest.mark.parametrize(("file", "old", "new", "reason"), BROKEN, ids=[b[3][:40] for b in BROKEN])
def test_a_broken_questionnaire_fails_with_its_path_and_the_reason(tmp_path: Path, file: str, old: str, new: str,
                                                                  reason: str) -> None:
    root = _copy(tmp_path)
    _edit(root / file, old, new)
    with pytest.raises(QuestionnaireError) as err:
        load_questionnaires(root)
    message = str(err.value)
    assert str(root) in message, message
    assert re.search(reason, message), message


def test_the_message_names_the_broken_file_and_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    broken = root / "de/questionnaire_full.yaml"
    _edit(broken, "    scale: wellbeing\n", "    scale: happiness\n")
    line = next(i for i, row in enumerate(broken.read_text(encoding="utf-8").splitlines(), 1) if "happiness" in row)
    with pytest.raises(QuestionnaireError) as err:
        load_questionnaires(root)
    assert str(err.value).startswith(f"{broken}:{line}: items[12].scale: unknown scale 'happiness'")


def test_typed_replies_map_to_codes() -> None:
    q = SHIPPED.get("en", "full", "1")
    fear, safe, yes_no = q.item("fear").scale, q.item("safe").scale, q.item("beh_threats").scale
    assert [fear.parse(t) for t in ("1", "5", "Often", " ALWAYS. ", "6", "x")] == \
        ["never", "always", "often", "always", None, None]
    assert [safe.parse(t) for t in ("0", "07", "10", "11", "-1", "seven")] == ["0", "7", "10", None, None, None]
    assert [yes_no.parse(t) for t in ("1", "2", "yes", "No")] == ["yes", "no", "yes", "no"]
    de = SHIPPED.get("de", "full", "1")
    assert de.item("fear").scale.parse("Manchmal") == "sometimes"
    assert de.keyword("Später") == "pause" and de.keyword("überspringen") == "skip" and de.keyword("weiter") == "resume"
