"""Embedded intent classifier: hashed word + character n-grams and a linear model.

Why this shape: it mirrors Rasa's CountVectorsFeaturizer pipeline (word n-grams plus
``char_wb`` n-grams, RegexFeaturizer for regex/lookup hits) closely enough that one set
of training files serves both, yet trains in about a second with no extra service to run.
Character n-grams, typo-augmented training data (nlu/augment.py) and German compound
splitting (nlu/features.py) make it forgiving of typos, missing umlauts and SMS spelling.

Serving is light on purpose (issue 16): scikit-learn and scipy are used only to *train*; the
trained model is exported to plain numpy arrays (a hashed weight matrix and a bias) saved as
``.npz`` without pickle, so the running service imports neither library and a parse is one
feature hash plus one small matrix sum.

The answer has Rasa's ``/model/parse`` shape. Below the confidence threshold the intent
becomes ``nlu_fallback`` exactly as Rasa's FallbackClassifier does, for every intent:
catching danger when the model is unsure is the job of the danger decision
(safety/danger_decision.py), which reads the whole ranking, not only the top intent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from content.text import fold_for_features
from nlu.augment import augment
from nlu.data import TrainingData, data_hash, load_training_data
from nlu.features import N_BUCKETS, hashed_features

log = logging.getLogger(__name__)

MODEL_VERSION = "3-hashed-compact"  # bump whenever features or model change, to invalidate cached artefacts
FALLBACK_INTENT = "nlu_fallback"
DEFAULT_THRESHOLD = 0.3  # Rasa's FallbackClassifier default
RANKING_LENGTH = 10  # Rasa's default intent ranking length
REGULARISATION_C = 20.0
ARTEFACT_SUFFIX = ".npz"

__all__ = ["EmbeddedClassifier", "cache_key", "load_or_train"]


def _pattern_table(data: TrainingData) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, patterns in data.regexes.items():
        table[f"regex:{name}"] = "|".join(f"(?:{p})" for p in patterns)
    for name, elements in data.lookups.items():
        alts = "|".join(re.escape(fold_for_features(e)) for e in sorted(elements, key=len, reverse=True))
        table[f"lookup:{name}"] = rf"\b(?:{alts})\b"
    return table


def _vocabulary(texts: list[str]) -> frozenset[str]:
    """Words of the training data long enough to be a compound part."""
    return frozenset(w for t in texts for w in re.findall(r"\w+", t) if len(w) >= 3 and not w.isdigit())


class EmbeddedClassifier:
    """A trained model for one locale; ``parse`` answers like Rasa's /model/parse."""

    def __init__(
        self,
        buckets: np.ndarray,
        weights: np.ndarray,
        bias: np.ndarray,
        labels: list[str],
        vocabulary: frozenset[str],
        feature_patterns: dict[str, str],
        entity_patterns: dict[str, str],
        synonyms: dict[str, str],
        threshold: float,
        locale: str,
    ) -> None:
        self.buckets = buckets  # sorted hash buckets seen in training; row i of weights is buckets[i]
        self.weights = weights
        self.bias = bias
        self.labels = labels
        self.vocabulary = vocabulary
        self.feature_sources = feature_patterns
        self.feature_patterns = [re.compile(p, re.IGNORECASE) for p in feature_patterns.values()]
        self.entity_sources = entity_patterns
        self.entity_patterns = {n: re.compile(p, re.IGNORECASE) for n, p in entity_patterns.items()}
        self.synonyms = synonyms
        self.threshold = threshold
        self.locale = locale

    # ------------------------------------------------------------------ training (sklearn)

    @classmethod
    def train(cls, data: TrainingData, locale: str, threshold: float = DEFAULT_THRESHOLD) -> EmbeddedClassifier:
        """Fit on every example plus its typo variants; fails with fewer than two intents."""
        from scipy import sparse  # training only: the served model needs neither
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        if len(data.intents) < 2:
            raise ValueError(f"need at least two intents to train, found {data.intents}")
        pairs = augment([(e.text, e.intent) for e in data.examples], locale)
        texts = [fold_for_features(t) for t, _ in pairs]
        labels = [intent for _, intent in pairs]
        vocabulary = _vocabulary([fold_for_features(e.text) for e in data.examples])
        table = _pattern_table(data)
        compiled = [re.compile(p, re.IGNORECASE) for p in table.values()]
        rows, cols, vals = [], [], []
        for i, t in enumerate(texts):
            for k, v in hashed_features(t, vocabulary, compiled).items():
                rows.append(i)
                cols.append(k)
                vals.append(v)
        # fit on the buckets that occur only (a few tens of thousands): far faster than 2**17 columns
        used, compact = np.unique(np.asarray(cols, dtype=np.int64), return_inverse=True)
        x = sparse.csr_matrix((vals, (rows, compact)), shape=(len(texts), len(used)), dtype=np.float64)
        # saga reaches lbfgs's solution here in a fifth of the time; a loose tol is enough for ranking
        model = LogisticRegression(C=REGULARISATION_C, solver="saga", max_iter=300, tol=1e-3, class_weight="balanced",
                                   random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            model.fit(x, labels)
        classes = [str(c) for c in model.classes_]
        # only the buckets seen in training can have a weight: keep those rows (about a tenth of 2**17)
        buckets = used.astype(np.int32)
        weights = np.ascontiguousarray(model.coef_.T, dtype=np.float32)
        bias = np.asarray(model.intercept_, dtype=np.float32)
        if len(classes) == 2:  # binary: sklearn keeps one column; make it two for softmax
            weights = np.ascontiguousarray(np.hstack([-weights / 2, weights / 2]))
            bias = np.asarray([-bias[0] / 2, bias[0] / 2], dtype=np.float32)
        entity = {n: p.pattern for n, p in _entity_patterns(data).items()}
        return cls(buckets, weights, bias, classes, vocabulary, table, entity, dict(data.synonyms), threshold, locale)

    # ------------------------------------------------------------------ artefact (numpy only)

    def save(self, path: Path) -> None:
        """Plain arrays and a JSON header in one ``.npz``: loading needs no pickle."""
        meta = {
            "labels": self.labels,
            "vocabulary": sorted(self.vocabulary),
            "feature_patterns": self.feature_sources,
            "entity_patterns": self.entity_sources,
            "synonyms": self.synonyms,
            "threshold": self.threshold,
            "locale": self.locale,
            "version": MODEL_VERSION,
        }
        header = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        with Path(path).open("wb") as fh:
            np.savez(fh, buckets=self.buckets, weights=self.weights, bias=self.bias, meta=header)

    @classmethod
    def load(cls, path: Path) -> EmbeddedClassifier:
        with np.load(Path(path), allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            buckets = np.ascontiguousarray(z["buckets"])
            weights, bias = np.ascontiguousarray(z["weights"]), np.ascontiguousarray(z["bias"])
        if meta.get("version") != MODEL_VERSION or weights.shape != (len(buckets), len(meta["labels"])):
            raise ValueError("artefact of another model version")
        return cls(
            buckets, weights, bias, list(meta["labels"]), frozenset(meta["vocabulary"]), dict(meta["feature_patterns"]),
            dict(meta["entity_patterns"]), dict(meta["synonyms"]), float(meta["threshold"]), str(meta["locale"]),
        )

    # ------------------------------------------------------------------ serving (numpy only)

    def probabilities(self, text: str) -> np.ndarray:
        """Class probabilities of one text, in ``self.labels`` order."""
        feats = hashed_features(fold_for_features(text), self.vocabulary, self.feature_patterns)
        logits = self.bias.astype(np.float64)
        if feats and len(self.buckets):
            keys = np.fromiter(feats.keys(), dtype=np.int32, count=len(feats))
            val = np.fromiter(feats.values(), dtype=np.float32, count=len(feats))
            rows = np.minimum(np.searchsorted(self.buckets, keys), len(self.buckets) - 1)
            known = self.buckets[rows] == keys  # a bucket never seen in training has no weight
            logits = logits + val[known] @ self.weights[rows[known]]
        logits -= logits.max()
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum())

    def rank(self, texts: list[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in ``self.labels`` order."""
        if not texts:
            return np.zeros((0, len(self.labels)))
        return np.vstack([self.probabilities(t) for t in texts])

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa-shaped parse of one message."""
        if not text.strip():
            return self._shape(text, [])
        probs = self.probabilities(text)
        order = np.argsort(-probs)[:RANKING_LENGTH]
        return self._shape(text, [{"name": self.labels[j], "confidence": float(probs[j])} for j in order])

    def parse_many(self, texts: list[str]) -> list[dict[str, Any]]:
        """Parse of each message (evaluation, benchmarks)."""
        return [self.parse(t) for t in texts]

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
    """Artefact key: training data content + model code version + threshold."""
    material = f"{data_hash(data_dir)}|{MODEL_VERSION}|{N_BUCKETS}|{threshold}"
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def cached_model_path(locale: str, data_dir: Path, cache_dir: Path, threshold: float = DEFAULT_THRESHOLD) -> Path:
    """Where the model trained on exactly this data is cached."""
    return Path(cache_dir) / f"{locale}-{cache_key(data_dir, threshold)}{ARTEFACT_SUFFIX}"


_TRAIN_CHILD = (
    "import sys; sys.path.insert(0, sys.argv[5]); from pathlib import Path; from nlu.classifier import load_or_train; "
    "load_or_train(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]))"
)


def train_in_subprocess(
    locale: str, data_dir: Path, cache_dir: Path, threshold: float = DEFAULT_THRESHOLD, timeout: float = 900.0
) -> bool:
    """Train into the cache from a child process; False (logged) if that failed.

    Why: training imports scikit-learn and scipy, and a process that has imported them keeps about
    200 MB it never gives back. A child trains, writes the arrays and exits; the caller loads them."""
    root = str(Path(__file__).resolve().parents[1])  # the child imports this package from where it lies
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-c", _TRAIN_CHILD, locale, str(data_dir), str(cache_dir), repr(threshold),
                        root], check=True, capture_output=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("nlu training for locale %s in a child process failed (%s)", locale, type(exc).__name__)
        return False
    log.info("nlu model for locale %s trained in a child process in %.2fs", locale, time.perf_counter() - started)
    return True


def load_or_train(
    locale: str, data_dir: Path, cache_dir: Path, threshold: float = DEFAULT_THRESHOLD
) -> tuple[EmbeddedClassifier, bool]:
    """Return the cached model for this exact data, or train and cache it. Bool: trained now."""
    cache_dir = Path(cache_dir)
    path = cached_model_path(locale, data_dir, cache_dir, threshold)
    if path.exists():
        try:
            return EmbeddedClassifier.load(path), False
        except (OSError, ValueError, KeyError, EOFError) as exc:
            log.warning("nlu cache artefact for locale %s unreadable (%s); retraining", locale, type(exc).__name__)
    started = time.perf_counter()
    model = EmbeddedClassifier.train(load_training_data(data_dir), locale, threshold)
    log.info("nlu model for locale %s trained in %.2fs", locale, time.perf_counter() - started)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{locale}-", suffix=".tmp")
    os.close(fd)
    try:
        model.save(Path(tmp))
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return model, True
