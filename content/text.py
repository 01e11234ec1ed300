"""How her words are folded before they are compared with the content's words: one module, one named
variant per purpose.

They differ on purpose, and each is pinned by tests/content/test_text.py:
- ``fold``: a command or a choice as typed ("Stop!" -> "stop"): case-folded (ß -> ss), spaces
  collapsed, trailing punctuation dropped. Keywords, yes/no, persona and time-zone names.
- ``fold_answer``: an answer to a check-in question: lower-cased (ß stays), trailing punctuation and
  quotes dropped, inner spaces kept. Questionnaire labels and keywords are folded the same way.
- ``fold_phrase``: a phrase looked for inside a longer message ("this is his phone now"):
  case-folded, curly apostrophes straightened, spaces collapsed; punctuation kept.
- ``fold_for_features``: what the embedded classifier sees: umlauts spelt out (ü -> ue), accents
  and apostrophes dropped, letters repeated three times or more squeezed ("pleeease" -> "please").
- ``fold_for_danger`` (with ``fold_letters`` for the lexicon's patterns): what the danger net
  matches: umlauts folded to their base letter whether typed as ä, ae or a, apostrophes dropped,
  anything but letters and digits a space, repeats squeezed.
"""

from __future__ import annotations

import re
import unicodedata

# -- commands and choices ----------------------------------------------------------------------------
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, trimmed, inner spaces collapsed, trailing punctuation dropped ("Stop!" -> "stop")."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).strip().casefold()
    text = _SPACES.sub(" ", text)
    return text.rstrip(".!?,;: ")


# -- answers to a questionnaire ------------------------------------------------------------------------
_ANSWER_TAIL = re.compile(r"[\s.!?,;:'\"]+$")


def fold_answer(text: str) -> str:
    """Lower-cased and trimmed, with trailing punctuation and quotes dropped ("Yes." -> "yes")."""
    return _ANSWER_TAIL.sub("", text.strip().lower()).strip()


# -- a phrase inside a message ---------------------------------------------------------------------------
def fold_phrase(text: str | None) -> str:
    """Case-folded, curly apostrophes straight, spaces collapsed: for finding a phrase in a message."""
    return " ".join((text or "").casefold().replace("’", "'").split())


# -- the classifier's features -------------------------------------------------------------------------
_FEATURE_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "’": "", "'": "", "`": "", "´": ""})
_FEATURE_REPEATS = re.compile(r"(.)\1{2,}")


def fold_for_features(text: str) -> str:
    """Case- and spelling-fold so 'Tür', 'TUER' and 'tuer' look alike to the features."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_FEATURE_FOLD)
    # Strip remaining accents (é -> e) and collapse letters repeated 3+ times ("pleeease").
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _FEATURE_REPEATS.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


# -- the danger net ------------------------------------------------------------------------------------
_APOSTROPHES = re.compile(r"['’‘`´]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LETTER_REPEATS = re.compile(r"([a-z])\1{2,}")
_UMLAUT_DIGRAPHS = re.compile(r"(?<=[aou])e")


def fold_letters(text: str) -> str:
    """Fold case, ß and diacritics, and umlaut digraphs (ae/oe/ue) to their base vowel.

    Applied to the danger lexicon's patterns too, so it must leave regex syntax alone: it only
    lower-cases letters that are already lower case in well-formed lexicon files.
    """
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ẞ", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _UMLAUT_DIGRAPHS.sub("", text)


def fold_for_danger(text: str) -> str:
    """The canonical form the danger patterns are matched against."""
    text = fold_letters(_APOSTROPHES.sub("", text.casefold()))
    text = _NON_WORD.sub(" ", text)
    text = _LETTER_REPEATS.sub(r"\1", text)
    return " ".join(text.split())
