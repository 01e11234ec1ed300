"""Hashed text features for the embedded classifier: pure Python, no numpy, no scikit-learn.

Why hashing: a vocabulary of every word and character n-gram seen in training is a large
Python dict that has to stay in memory; hashing each n-gram (CRC-32, stable across runs and
machines, unlike ``hash()``) into a fixed number of buckets needs no vocabulary at all, so
the served model is a few plain arrays. Collisions in 2**17 buckets cost nothing measurable
at this data size.

Features of one message (each group L2-normalised on its own, as TF-IDF would):
- words: unigrams and bigrams of the text folded by ``content.text.fold_for_features``, German compounds also split into
  their known parts ("wohnungstür" -> "wohnungs" + "tür"), so an unseen compound shares
  features with the words it is made of;
- chars: ``char_wb`` 2-5-grams (inside word boundaries), forgiving of typos and SMS spelling;
- patterns: one feature per regex/lookup table of the training data (Rasa's RegexFeaturizer).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

N_BUCKETS = 2**17
CHAR_RANGE = (2, 5)
_WORD = re.compile(r"\w+")
_GROUP_SALT = {"w": b"w\x00", "c": b"c\x00", "p": b"p\x00"}
LINKING = ("s", "es", "n", "en", "e")  # German Fugenelemente, longest tried last


def split_compound(word: str, vocabulary: frozenset[str], min_part: int = 3) -> list[str]:
    """Known parts of a compound (head last), or [] when it is not one.

    Tries every split point, with or without a linking element, and keeps the split whose
    right part is longest (German compounds put the meaning-bearing head on the right).
    """
    if len(word) < 2 * min_part + 1 or not vocabulary:
        return []
    for cut in range(min_part, len(word) - min_part + 1):
        left, right = word[:cut], word[cut:]
        if right not in vocabulary:
            continue
        if left in vocabulary:
            return [left, right]
        for link in LINKING:
            if left.endswith(link) and left[: -len(link)] in vocabulary and len(left) - len(link) >= min_part:
                return [left[: -len(link)], right]
    return []


def word_tokens(normalised: str, vocabulary: frozenset[str] = frozenset()) -> list[str]:
    """Words of a normalised text plus the parts of any compound made of known words."""
    words = _WORD.findall(normalised)
    if not vocabulary:
        return words
    out: list[str] = []
    for w in words:
        out.append(w)
        if w not in vocabulary:
            out.extend(split_compound(w, vocabulary))
    return out


_SEED = {group: zlib.crc32(salt) for group, salt in _GROUP_SALT.items()}  # CRC-32 of "w\0" etc., once


def _bucket(group: str, gram: str) -> int:
    return zlib.crc32(gram.encode(), _SEED[group]) % N_BUCKETS


def _char_grams(words: Iterable[str]) -> list[str]:
    lo, hi = CHAR_RANGE
    grams: list[str] = []
    for w in words:
        padded = f" {w} "
        n_chars = len(padded)
        for n in range(lo, hi + 1):
            if n > n_chars:
                break
            grams.extend(padded[i : i + n] for i in range(n_chars - n + 1))
    return grams


def _l2(counts: dict[int, float]) -> dict[int, float]:
    # sublinear tf (1 + log) is close to binary for short texts: use 1 per distinct feature
    if not counts:
        return {}
    norm = len(counts) ** -0.5
    return {k: norm for k in counts}


def hashed_features(
    normalised: str, vocabulary: frozenset[str], patterns: Iterable[re.Pattern[str]]
) -> dict[int, float]:
    """Sparse feature vector of one normalised text: bucket -> value."""
    words = word_tokens(normalised, vocabulary)
    word_feats = {_bucket("w", w): 1.0 for w in words}
    plain = _WORD.findall(normalised)
    for a, b in zip(plain, plain[1:], strict=False):
        word_feats[_bucket("w", f"{a} {b}")] = 1.0
    seed, crc32 = _SEED["c"], zlib.crc32
    char_feats = {crc32(g.encode(), seed) % N_BUCKETS: 1.0 for g in set(_char_grams(plain))}
    out: dict[int, float] = {}
    for group in (_l2(word_feats), _l2(char_feats)):
        for k, v in group.items():
            out[k] = out.get(k, 0.0) + v
    for i, pattern in enumerate(patterns):
        if pattern.search(normalised):
            k = _bucket("p", str(i))
            out[k] = out.get(k, 0.0) + 1.0
    return out
