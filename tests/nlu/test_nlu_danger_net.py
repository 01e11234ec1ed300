"""Danger net: recall 1.0 on the collected danger phrasing, false alarms measured and bounded."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from content.text import fold_for_danger as normalise
from nlu import SUPPORTED_LOCALES, heldout_file
from nlu.data import load_training_data
from safety.danger_net import DangerLexiconError, DangerSignal, detect_danger, load_lexicon
from tests.nlu.conftest import phrases

MAX_FALSE_ALARM_RATE = 0.02  # measured: 0 of ~130 benign messages per locale


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_recall_is_total_on_collected_danger_phrases(locale: str) -> None:
    danger = phrases(f"danger_{locale}.txt")
    assert len(danger) >= 100
    missed = [t for t in danger if detect_danger(t, locale) is None]
    assert missed == [], f"danger net missed {len(missed)}/{len(danger)}: {missed}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_recall_is_total_on_heldout_danger_examples(locale: str) -> None:
    examples = [e for e in load_training_data(heldout_file(locale)).examples if e.intent == "danger_now"]
    missed = [e.text for e in examples if detect_danger(e.text, locale) is None]
    assert missed == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_false_alarm_rate_on_benign_messages(locale: str) -> None:
    benign = phrases(f"benign_{locale}.txt")
    assert len(benign) >= 100
    alarms = [(t, s.rule) for t in benign if (s := detect_danger(t, locale)) is not None]
    rate = len(alarms) / len(benign)
    print(f"danger net false alarm rate ({locale}): {rate:.3f} ({len(alarms)}/{len(benign)})")
    assert rate <= MAX_FALSE_ALARM_RATE, alarms


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("HE IS HERE", "en"),
        ("he's here!!!", "en"),
        ("hes here", "en"),
        ("he s  here", "en"),
        ("He’s outside the door", "en"),
        ("hes got a knfie", "en"),  # transposition
        ("call the polcie", "en"),  # transposition
        ("hes hiting me", "en"),  # dropped letter
        ("heeeelp me", "en"),  # stretched letters
        ("er steht vor der Tür", "de"),
        ("ER STEHT VOR DER TUER", "de"),
        ("er steht vor der tur", "de"),  # umlaut dropped
        ("er schlägt mich", "de"),
        ("er schlaegt mich", "de"),
        ("er schlagt mich", "de"),
        ("er ist draußen", "de"),
        ("er ist draussen", "de"),
        ("er ist drausen", "de"),  # ß typed as s
        ("ruf die polizie", "de"),  # transposition
        ("er hat ein mesesr", "de"),
        ("help he is here", "de"),  # English from a German-locale survivor
        ("er ist hier", "en"),  # and the reverse
        ("he is here", "fr"),  # unknown locale: every lexicon is tried
    ],
)
def test_robust_spelling(text: str, locale: str) -> None:
    assert detect_danger(text, locale) is not None, normalise(text)


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("help", "en"),  # the menu keyword
        ("hilfe", "de"),
        ("hilfe bitte", "de"),
        ("not afraid today", "en"),
        ("he hasn't been here", "en"),
        ("he's not here", "en"),
        ("er war nicht hier", "de"),
        ("er ist nicht da", "de"),
        ("er schlägt mich nicht mehr", "de"),
        ("i'm not in danger", "en"),
        ("what should i do in an emergency", "en"),
        ("was mache ich im notfall", "de"),
        ("he hit me yesterday", "en"),  # a report, not danger now: the classifier's incident route
        ("", "en"),
        ("   ", "de"),
    ],
)
def test_quiet_on_everyday_answers(text: str, locale: str) -> None:
    assert detect_danger(text, locale) is None


def test_signal_names_the_rule_never_the_text() -> None:
    signal = detect_danger("he has a knife", "en")
    assert signal == DangerSignal(rule="weapon", locale="en")
    assert {f.name for f in dataclasses.fields(DangerSignal)} == {"rule", "locale"}
    assert "knife" not in repr(signal)
    with pytest.raises(dataclasses.FrozenInstanceError):
        signal.rule = "other"  # type: ignore[misc]


def test_normalise_folds_spelling_variants() -> None:
    assert normalise("Tür") == normalise("TUER") == normalise("tur") == "tur"
    assert normalise("draußen") == normalise("draussen")
    assert normalise("He's   HERE!!!") == "hes here"
    assert normalise("heeeelp") == "help"
    assert normalise("call 999") == "call 999"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("rules: [\n", "invalid YAML"),
        ("locale: en\n", "'rules' list"),
        ("rules:\n  - patterns: ['x']\n", "needs a 'name'"),
        ("rules:\n  - name: a\n", "needs 'patterns'"),
        ("rules:\n  - name: a\n    patterns: ['(']\n", "does not compile"),
        ("rules:\n  - name: a\n    patterns: ['{nope} x']\n", "unknown group"),
        ("rules:\n  - name: a\n    patterns: ['x']\n  - name: a\n    patterns: ['y']\n", "duplicate"),
        ("rules:\n  - name: a\n    patern: ['x']\n", "unknown key"),
    ],
)
def test_malformed_lexicon_fails_loudly(tmp_path: Path, body: str, fragment: str) -> None:
    path = tmp_path / "xx" / "danger.yaml"
    path.parent.mkdir()
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DangerLexiconError) as info:
        load_lexicon(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_a_custom_content_dir_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "danger.yaml").write_text(
        "locale: en\ngroups:\n  who: 'he|she'\ntypo_tolerant: [pineapple]\n"
        "rules:\n  - name: fruit\n    patterns: ['{who} has a pineapple']\n    unless: ['not']\n",
        encoding="utf-8",
    )
    assert detect_danger("She has a PINAPPLE", "en", content_dir=tmp_path) == DangerSignal("fruit", "en")
    assert detect_danger("she has not a pineapple", "en", content_dir=tmp_path) is None
    assert detect_danger("he is here", "en", content_dir=tmp_path) is None


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("i took all my tablets i just want it to stop", "en"),  # once read as STOP (issue 23)
        ("swallowed a whole packet of paracetamol", "en"),
        ("i dont see the point in living anymore", "en"),
        ("been cutting myself again", "en"),
        ("ich hab alle meine tabletten geschluckt", "de"),
        ("ich will einfach nicht mehr aufwachen", "de"),
        ("ich denke daran mich umzubringen", "de"),
        ("💊💊💊", "en"),
        # said indirectly (issue 23, round 2)
        ("everyone would be better off if i wasnt around", "en"),
        ("nobody would notice if i was gone", "en"),
        ("i wish i could just stop existing", "en"),
        ("how many paracetamol does it take", "en"),
        ("ohne mich hätten es alle leichter", "de"),
        ("würde eh keiner merken wenn ich weg wäre", "de"),
        ("ich mag morgen nicht mehr aufwachen", "de"),
        ("ich bin so lebensmüde", "de"),
    ],
)
def test_self_harm_in_her_own_words_is_a_self_harm_signal(text: str, locale: str) -> None:
    signal = detect_danger(text, locale)
    assert signal is not None and signal.self_harm, (text, signal)


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("he has a knife and i want to die", "en"),  # his danger first: the danger answer
        ("er steht vor der tür und ich will sterben", "de"),
    ],
)
def test_his_danger_is_named_before_her_own(text: str, locale: str) -> None:
    signal = detect_danger(text, locale)
    assert signal is not None and not signal.self_harm


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("i'm not suicidal, just tired", "en"),
        ("he threatens to kill himself if i leave", "en"),
        ("i need to pick up my prescription, my tablets are all gone", "en"),
        ("ich würde mir nie etwas antun", "de"),
        ("er droht sich umzubringen wenn ich gehe", "de"),
    ],
)
def test_not_her_own_life_at_risk_is_no_self_harm_signal(text: str, locale: str) -> None:
    signal = detect_danger(text, locale)
    assert signal is None or not signal.self_harm, (text, signal)
