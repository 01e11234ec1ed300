"""The ways her words are folded before they meet the content's words: one module, a variant per purpose,
each pinned here by what it does to the same few inputs (where they differ is the point)."""

from __future__ import annotations

import pytest

from content.text import fold, fold_answer, fold_for_danger, fold_for_features, fold_letters, fold_phrase


@pytest.mark.parametrize(("typed", "folded"), [
    ("Stop!", "stop"),
    ("  MENU  ", "menu"),
    ("not   now", "not now"),
    ("Weiß", "weiss"),            # case-folded: ß becomes ss
    ("yes\"", "yes\""),           # quotes stay
    ("Tür", "tür"),               # umlauts stay
    (None, ""),
])
def test_a_command_or_choice_is_case_folded_with_spaces_collapsed_and_trailing_punctuation_dropped(
        typed: str | None, folded: str) -> None:
    assert fold(typed) == folded


@pytest.mark.parametrize(("typed", "folded"), [
    ("Yes.", "yes"),
    ("yes\"", "yes"),             # trailing quotes go too
    ("Weiß", "weiß"),             # lower-cased only: ß stays
    ("not   now", "not   now"),   # inner spaces kept
    ("  3 ", "3"),
])
def test_an_answer_to_a_question_is_lower_cased_with_trailing_punctuation_and_quotes_dropped(
        typed: str, folded: str) -> None:
    assert fold_answer(typed) == folded


@pytest.mark.parametrize(("typed", "folded"), [
    ("This is  HIS phone now", "this is his phone now"),
    ("it’s his", "it's his"),      # curly apostrophe straightened, kept
    ("Who is this?", "who is this?"),  # punctuation kept
    (None, ""),
])
def test_a_phrase_inside_a_message_is_case_folded_with_apostrophes_straightened(typed: str | None,
                                                                               folded: str) -> None:
    assert fold_phrase(typed) == folded


@pytest.mark.parametrize(("typed", "folded"), [
    ("Tür", "tuer"),               # umlauts spelt out
    ("TUER", "tuer"),
    ("pleeease  help", "please help"),
    ("he's", "hes"),
    ("café!", "cafe!"),            # accents dropped, punctuation kept
])
def test_the_classifier_sees_umlauts_spelt_out_and_repeats_squeezed(typed: str, folded: str) -> None:
    assert fold_for_features(typed) == folded


@pytest.mark.parametrize(("typed", "folded"), [
    ("Er ist VOR der Tür!!", "er ist vor der tur"),   # umlaut to its base letter, punctuation a space
    ("er ist vor der tuer", "er ist vor der tur"),    # typed as ue: the same
    ("he's heeere", "hes here"),
    ("Straße", "strasse"),
])
def test_the_danger_net_sees_base_letters_and_words_only(typed: str, folded: str) -> None:
    assert fold_for_danger(typed) == folded


def test_the_danger_lexicons_patterns_fold_their_letters_and_keep_their_syntax() -> None:
    assert fold_letters(r"t(ü|ue)r\b") == r"t(u|u)r\b"
