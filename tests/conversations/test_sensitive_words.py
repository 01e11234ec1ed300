"""What a lock screen or a chat list could show never gives her away.

Rendered here: every text key, with every cover persona, in both locales. Decision (see
safety/disguise.py): every message starts with her cover title; with the cover on, every text
and button that can be sent without her PIN is free of the locale's sensitive words; the explicit
post-PIN pages (programme.yaml) may name things, but their first PREVIEW_CHARS characters, what a
lock-screen preview shows, are the title and a neutral lead. A preview (first line: the cover
title; second line; first PREVIEW_CHARS characters) shows neither a sensitive word nor an
emergency number of the locale, in any mode. Plain mode is her choice: otherwise only the title
rule applies. tests/flows/test_every_flow_text.py walks the flows themselves.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot import catalog
from content import LOCALES
from flows.types import Option, Say
from flows.windows import PRESETS
from safety.disguise import PLAIN, Disguise, revealing_preview, sensitive_hits, word_pattern

COUNTRIES = ("GB", "IE", "DE", "AT", "EU")
NOT_A_MESSAGE = {"windows.day_names"}  # a word list used to build other texts
STRANGER_ONLY = {"stranger.neutral"}  # sent without a title: no cover before enrolment


def sample_params(locale: str, persona: str) -> list[dict[str, Any]]:
    """Every value a computed parameter can take, so every tip, number list and label is seen."""
    tips = len(catalog.personas(locale)[persona]["tips"])
    base = {"number": 1, "total": 3, "min": 4, "max": 8, "tz": "Europe/London", "phone_tail": "123",
            "window": PRESETS["weekday_morning"], "windows": list(PRESETS.values()), "persona": persona,
            "country": "GB", "tip": 0, "word": "tulips"}
    variants = [dict(base, tip=i) for i in range(tips)]
    variants += [dict(base, country=c) for c in COUNTRIES]
    variants += [dict(base, persona=p) for p in catalog.persona_ids()]
    return variants


def rendered(locale: str, disguise: Disguise) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    persona = disguise.persona
    for key in catalog.messages(locale):
        if key in NOT_A_MESSAGE:
            continue
        for params in sample_params(locale, persona):
            body, _ = catalog.render(Say(key, params), locale, None if key in STRANGER_ONLY else disguise)
            out.append((key, body))
            _, (button,) = catalog.render(Say("common.yes", options=(Option("x", key, params),)), locale, disguise)
            out.append((f"label:{key}", button.label))
    return out


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("persona", catalog.persona_ids())
def test_no_cover_text_or_lock_screen_preview_names_what_the_service_is_about(locale: str, persona: str) -> None:
    pattern, numbers = catalog.sensitive_pattern(locale), catalog.emergency_number_pattern(locale)
    title = catalog.title(locale, Disguise(persona))
    post_pin = catalog.post_pin_keys(locale)
    problems = []
    for key, body in rendered(locale, Disguise(persona)):
        if key.startswith("label:"):
            if sensitive_hits(body, pattern) and key.removeprefix("label:") not in post_pin:
                problems.append((key, sensitive_hits(body, pattern)))
            continue
        if key not in STRANGER_ONLY and not body.startswith(title + "\n"):
            problems.append((key, "does not start with the cover title"))
        if revealing_preview(body, pattern, numbers):
            problems.append((key, "preview: " + ", ".join(revealing_preview(body, pattern, numbers))))
        elif key not in post_pin and sensitive_hits(body, pattern):
            problems.append((key, ", ".join(sensitive_hits(body, pattern))))
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
def test_in_plain_mode_every_message_still_starts_with_the_title(locale: str) -> None:
    title = catalog.title(locale, Disguise(plain=True))
    assert title == catalog.personas(locale)[PLAIN]["title"]
    for key, body in rendered(locale, Disguise(plain=True)):
        if not key.startswith("label:") and key not in STRANGER_ONLY:
            assert body.startswith(title + "\n"), key


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("disguise", [*(Disguise(p) for p in catalog.persona_ids()), Disguise(plain=True), None],
                         ids=[*catalog.persona_ids(), "plain", "stranger"])
def test_the_numbers_message_opens_with_a_neutral_line_and_puts_the_numbers_below_the_preview(
        locale: str, disguise: Disguise | None) -> None:
    numbers = catalog.emergency_number_pattern(locale)
    words = catalog.sensitive_pattern(locale) if disguise is None or not disguise.plain else word_pattern([])
    for country in COUNTRIES:
        body, _ = catalog.render(Say("emergency.numbers", {"country": country}), locale, disguise)
        assert not revealing_preview(body, words, numbers), (country, body[:120])
        assert numbers.search(body), country  # the numbers are all there, below the fold


def test_the_emergency_number_pattern_finds_the_numbers_however_they_are_spaced() -> None:
    en, de = catalog.emergency_number_pattern("en"), catalog.emergency_number_pattern("de")
    assert [m.group(0) for m in en.finditer("call 999, or 0808 2000 247 / 08082000247")] == [
        "999", "0808 2000 247", "08082000247"]
    assert [m.group(0) for m in de.finditer("110 oder 116 016; 12:00–17:00, 07700900123, 1100")] == ["110", "116 016"]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_explicit_pages_are_really_explicit_so_the_check_above_is_not_vacuous(locale: str) -> None:
    pattern = catalog.sensitive_pattern(locale)
    explicit = [k for k in catalog.post_pin_keys(locale)
                if sensitive_hits(catalog.render(Say(k), locale, Disguise("garden"))[0], pattern)]
    assert len(explicit) >= 3


def test_the_word_list_matches_word_starts_in_any_case() -> None:
    en, de = catalog.sensitive_pattern("en"), catalog.sensitive_pattern("de")
    assert sensitive_hits("Domestic VIOLENCE and the Programme", en) == ["Domestic", "VIOLENCE", "Programme"]
    assert sensitive_hits("Häusliche Gewalt", de) == ["Häusliche", "Gewalt"]
    assert sensitive_hits("a harmonica in the safe", en) == ["harmonica", "safe"]  # prefixes are deliberate
    assert sensitive_hits("unsupported? no: Datenschutz", de) == []


def test_both_locales_have_the_same_texts_personas_countries_and_consent_kinds() -> None:
    assert set(catalog.messages("en")) == set(catalog.messages("de"))
    assert set(catalog.personas("en")) == set(catalog.personas("de"))
    for locale in LOCALES:
        assert set(catalog.load_yaml(locale, "emergency.yaml")) == set(COUNTRIES)
        assert set(catalog.consent_versions(locale)) == {"information", "checkins", "evaluation"}
        for key, value in catalog.messages(locale).items():
            assert isinstance(value, str) or set(value) <= {"cover", "plain"}, key
