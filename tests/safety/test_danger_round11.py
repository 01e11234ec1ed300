"""Round 11 of issue 23: class rules for doubt, conditional threats and self-harm said sideways; fewer false alerts
for him held or away, "not in danger now", a release feared, figures of speech about a course, "stop" about our texts.

Own wordings (never an item of a test, held-out or dev set); the model is left out (parse None), so each line
shows what the explicit rules alone do."""

import pytest

from tests.safety.rules_alone import rules_alone as _decide


@pytest.mark.parametrize("text", [
    "i feel unsafe alone with myself this evening",
    "overdosed in 2021 and the same thoughts are back",
    "might as well finish things myself now he's got the house",
    "sometimes i hope the bus doesn't stop for me",
    "honestly wouldn't mind if i got cancer",
    "nicht sicher mit mir selbst heute",
    "hatte schon mal eine überdosis, jetzt fühl ich mich wieder so",
    "wenn das so weitergeht mach ich selber schluss",
    "ich hoffe manchmal dass mich ein zug erwischt",
])
def test_self_harm_said_sideways_is_asked(text: str) -> None:
    d = _decide(text)
    assert d.caught and d.kind == "self_harm"


@pytest.mark.parametrize("text", [
    "i reckon that's his bike by the gate, he's on bail not to come here",
    "könnte sein auto vor dem haus sein, er hat ein kontaktverbot",
    "he's saying unless i let him in he'll torch the place",
    "falls ich nicht rausgehe, tritt er die tür ein, schreibt er",
])
def test_danger_named_with_doubt_or_a_condition_is_asked(text: str) -> None:
    assert _decide(text).caught


@pytest.mark.parametrize("text", [
    "i reckon the new bike lane is not allowed on this street",  # no him
    "he always said if i left he'd burn the house down, back when we were together",  # the past
    "hope the bus isn't late tomorrow",
    "i tried the swimming class again, feeling good",
])
def test_look_alikes_are_not_asked(text: str) -> None:
    assert not _decide(text).caught


@pytest.mark.parametrize(("text", "locale"), [
    ("he smashed the mirror on saturday, he's been remanded since", "en"),
    ("er hat mich letzte woche gewürgt, seitdem sitzt er in untersuchungshaft", "de"),
    ("er hat am freitag die tür eingetreten, die polizei hat ihn festgenommen, er ist in gewahrsam", "de"),
    ("i'm not in any danger today, just can't settle", "en"),
    ("diese warterei auf den termin bringt mich noch um", "de"),
    ("der kurs bringt mich noch um, wann ist der endlich zu ende", "de"),
    ("can it all stop for a bit, the reminders i mean", "en"),
])
def test_reports_and_figures_are_not_alerts(text: str, locale: str) -> None:
    assert _decide(text, locale).action != "alert"


@pytest.mark.parametrize(("text", "locale"), [
    ("he is at work but he keeps ringing and saying he is coming over with a knife", "en"),
    ("er ist hier bei mir auf der arbeit und schreit", "de"),
    ("er sagt er bringt mich um wenn der kurs vorbei ist", "de"),
    ("er ist aus der u-haft raus und tritt gerade meine tür ein", "de"),
])
def test_danger_now_beside_custody_or_work_still_caught(text: str, locale: str) -> None:
    assert _decide(text, locale).caught
