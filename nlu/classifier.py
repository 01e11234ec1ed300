"""Embedded intent classifier: word + character n-grams and a linear model (scikit-learn).

Why this shape: it mirrors Rasa's CountVectorsFeaturizer pipeline (word n-grams plus
``char_wb`` n-grams, RegexFeaturizer for regex/lookup hits) closely enough that one set
of training files serves both, yet trains in about a second with no extra service to run.
Character n-grams make it forgiving of typos, missing umlauts and SMS spelling.

The answer has Rasa's ``/model/parse`` shape. Below the confidence threshold the intent
becomes ``nlu_fallback`` exactly as Rasa's FallbackClassifier does, for every intent:
catching danger when the model is unsure is the danger net's job (safety/danger_net.py).
Exempting danger_now from the threshold was tried and rejected: out-of-domain text
(another language, gibberish) then came out as low-confidence danger_now, i.e. false
urgent escalations, while the danger net already catches the phrasing that matters.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from nlu import DEFAULT_THRESHOLD
from nlu.data import TrainingData, data_hash, load_training_data

log = logging.getLogger(__name__)

MODEL_VERSION = "1"  # bump whenever features or model change, to invalidate cached artefacts
FALLBACK_INTENT = "nlu_fallback"
RANKING_LENGTH = 10  # Rasa's default intent ranking length

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "’": "", "'": "", "`": "", "´": ""})


def normalise(text: str) -> str:
    """Case- and spelling-fold so 'Tür', 'TUER' and 'tuer' look alike to the features."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_FOLD)
    # Strip remaining accents (é -> e) and collapse letters repeated 3+ times ("pleeease").
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"(.)\1{2,}", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


class PatternFeatures(BaseEstimator, TransformerMixin):
    """One binary feature per regex and per lookup table, as Rasa's RegexFeaturizer adds."""

    def __init__(self, patterns: dict[str, str] | None = None) -> None:
        self.patterns = patterns

    def fit(self, x: list[str], y: Any = None) -> PatternFeatures:
        self.compiled_ = {name: re.compile(p, re.IGNORECASE) for name, p in (self.patterns or {}).items()}
        return self

    def transform(self, x: list[str]) -> sparse.csr_matrix:
        names = list(self.compiled_)
        rows = [[1.0 if self.compiled_[n].search(t) else 0.0 for n in names] for t in x]
        if not names:
            return sparse.csr_matrix((len(x), 0))
        return sparse.csr_matrix(np.asarray(rows))


def _pattern_table(data: TrainingData) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, patterns in data.regexes.items():
        table[f"regex:{name}"] = "|".join(f"(?:{p})" for p in patterns)
    for name, elements in data.lookups.items():
        alts = "|".join(re.escape(normalise(e)) for e in sorted(elements, key=len, reverse=True))
        table[f"lookup:{name}"] = rf"\b(?:{alts})\b"
    return table


class EmbeddedClassifier:
    """A trained model for one locale; ``parse`` answers like Rasa's /model/parse."""

    def __init__(
        self,
        pipeline: Pipeline,
        entity_patterns: dict[str, re.Pattern[str]],
        synonyms: dict[str, str],
        threshold: float,
        locale: str,
    ) -> None:
        self.pipeline = pipeline
        self.entity_patterns = entity_patterns
        self.synonyms = synonyms
        self.threshold = threshold
        self.locale = locale
        self.labels: list[str] = [str(c) for c in pipeline.classes_]

    @classmethod
    def train(cls, data: TrainingData, locale: str, threshold: float = DEFAULT_THRESHOLD) -> EmbeddedClassifier:
        """Fit on every example; fails if the data has fewer than two intents."""
        if len(data.intents) < 2:
            raise ValueError(f"need at least two intents to train, found {data.intents}")
        texts = [normalise(e.text) for e in data.examples]
        labels = [e.intent for e in data.examples]
        features = FeatureUnion(
            [
                (
                    "words",
                    TfidfVectorizer(
                        analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", sublinear_tf=True
                    ),
                ),
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
                ("patterns", PatternFeatures(_pattern_table(data))),
            ]
        )
        model = LogisticRegression(C=20.0, max_iter=5000, class_weight="balanced")
        pipeline = Pipeline([("features", features), ("model", model)])
        pipeline.fit(texts, labels)
        return cls(pipeline, _entity_patterns(data), dict(data.synonyms), threshold, locale)

    def rank(self, texts: list[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in ``self.labels`` order."""
        return self.pipeline.predict_proba([normalise(t) for t in texts])

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa-shaped parse of one message."""
        return self.parse_many([text])[0]

    def parse_many(self, texts: list[str]) -> list[dict[str, Any]]:
        """Batch parse: one vectorisation for many messages (evaluation, benchmarks)."""
        results: list[dict[str, Any]] = [{} for _ in texts]
        non_empty = [i for i, t in enumerate(texts) if t.strip()]
        probs = self.rank([texts[i] for i in non_empty]) if non_empty else np.zeros((0, len(self.labels)))
        for row, i in enumerate(non_empty):
            order = np.argsort(-probs[row])[:RANKING_LENGTH]
            ranking = [{"name": self.labels[j], "confidence": float(probs[row][j])} for j in order]
            results[i] = self._shape(texts[i], ranking)
        for i, t in enumerate(texts):
            if not results[i]:
                results[i] = self._shape(t, [])
        return results

    def _shape(self, text: str, ranking: list[dict[str, Any]]) -> dict[str, Any]:
        top = ranking[0] if ranking else None
        if top is None or top["confidence"] < self.threshold:
            fallback = {"name": FALLBACK_INTENT, "confidence": self.threshold}
            intent = fallback
            ranking = [fallback, *ranking][:RANKING_LENGTH]
        else:
            intent = dict(top)
        return {"text": text, "intent": intent, "entities": self.entities(text), "intent_ranking": ranking}

    def entities(self, text: str) -> list[dict[str, Any]]:
        """Regex/lookup entities with synonyms applied (RegexEntityExtractor + EntitySynonymMapper)."""
        found: list[dict[str, Any]] = []
        for name, pattern in self.entity_patterns.items():
            for m in pattern.finditer(text):
                if not m.group(0).strip():
                    continue
                entity: dict[str, Any] = {
                    "entity": name,
                    "start": m.start(),
                    "end": m.end(),
                    "value": m.group(0),
                    "extractor": "RegexEntityExtractor",
                }
                canonical = self.synonyms.get(m.group(0).lower())
                if canonical is not None and canonical != m.group(0):
                    entity["value"] = canonical
                    entity["processors"] = ["EntitySynonymMapper"]
                found.append(entity)
        found.sort(key=lambda e: (e["start"], -e["end"]))
        # Drop matches nested inside an earlier, longer one.
        kept: list[dict[str, Any]] = []
        for e in found:
            if kept and e["start"] < kept[-1]["end"]:
                continue
            kept.append(e)
        return kept


def _entity_patterns(data: TrainingData) -> dict[str, re.Pattern[str]]:
    """Only regexes/lookups named after an annotated entity extract, as in Rasa."""
    annotated = {ent.entity for ex in data.examples for ent in ex.entities}
    patterns: dict[str, re.Pattern[str]] = {}
    for name in sorted(annotated):
        alts: list[str] = [f"(?:{p})" for p in data.regexes.get(name, [])]
        elements = sorted(data.lookups.get(name, []), key=len, reverse=True)
        alts.extend(re.escape(e) for e in elements)
        if alts:
            patterns[name] = re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)
    return patterns


def cache_key(data_dir: Path, threshold: float = DEFAULT_THRESHOLD) -> str:
    """Artefact key: training data content + model code version + library version."""
    material = f"{data_hash(data_dir)}|{MODEL_VERSION}|{sklearn.__version__}|{threshold}"
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def load_or_train(
    locale: str, data_dir: Path, cache_dir: Path, threshold: float = DEFAULT_THRESHOLD
) -> tuple[EmbeddedClassifier, bool]:
    """Return the cached model for this exact data, or train and cache it. Bool: trained now."""
    cache_dir = Path(cache_dir)
    path = cache_dir / f"{locale}-{cache_key(data_dir, threshold)}.pkl"
    if path.exists():
        try:
            with path.open("rb") as fh:
                model = pickle.load(fh)  # our own artefact, written below; never user-supplied
            if isinstance(model, EmbeddedClassifier):
                return model, False
            log.warning("nlu cache artefact for locale %s has the wrong type; retraining", locale)
        except (OSError, pickle.UnpicklingError, AttributeError, EOFError, ImportError) as exc:
            log.warning("nlu cache artefact for locale %s unreadable (%s); retraining", locale, type(exc).__name__)
    started = time.perf_counter()
    model = EmbeddedClassifier.train(load_training_data(data_dir), locale, threshold)
    log.info("nlu model for locale %s trained in %.2fs", locale, time.perf_counter() - started)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{locale}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return model, True
