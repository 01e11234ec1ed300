"""Danger net: a lexicon and pattern layer that runs on every free-text message.

Why it exists beside the classifier: a statistical model can be unsure, or confidently
wrong, about exactly the messages that matter most ("he's here", "hilfe er kommt").
This layer is deterministic, reviewable data (``content/<locale>/danger.yaml``) and it
wins over whatever the classifier says. It is pure logic: no I/O after the lexicon is
loaded, no logging, and the signal it returns carries the rule name, never the text.

Robustness comes from normalising both the text and the patterns the same way:
- case-folded, apostrophes dropped ("he's" -> "hes", "won't" -> "wont"),
- German umlauts folded to their base letter whether typed as ä, ae or a, and ß as ss
  ("Tür", "Tuer", "Tur" -> "tur"), other accents stripped,
- punctuation replaced by spaces, letters repeated 3+ times collapsed ("heeelp"),
- tokens within one edit (two for long words, transpositions included) of a word listed
  under ``typo_tolerant`` corrected to it ("knfie" -> "knife", "polizie" -> "polizei").

Every locale's lexicon is tried, the message's own locale first: a survivor whose
settings say German may still write "help he is here".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from content import CONTENT_DIR
from content.text import fold_for_danger, fold_letters

LEXICON_FILE = "danger.yaml"
MEMO_TOKENS = 20000  # distinct tokens whose correction a lexicon remembers (about 2 MB at most)
SELF_HARM_RULE = "self_harm"  # rules so named (or self_harm_*) are her own life at risk, not his violence


@dataclass(frozen=True)
class DangerSignal:
    """A danger rule fired. Holds the rule's name and lexicon locale, never the message."""

    rule: str
    locale: str

    @property
    def self_harm(self) -> bool:
        """A self-harm rule (``self_harm``, ``self_harm_*``): she may harm herself. Its answer is
        the crisis line beside the emergency number, and its escalation names self-harm."""
        return self.rule == SELF_HARM_RULE or self.rule.startswith(SELF_HARM_RULE + "_")


class DangerLexiconError(ValueError):
    """A danger.yaml file is malformed; raised at load so the service fails at start-up."""


# ---------------------------------------------------------------- typos (folding is content.text.fold_for_danger)

def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (adjacent transpositions count 1), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


# ---------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class _Rule:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    raw_patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Lexicon:
    """One locale's compiled rules."""

    locale: str
    rules: tuple[_Rule, ...]
    typo_words: tuple[str, ...]
    known_words: frozenset[str]
    # round 11: each token's correction, remembered (the same words recur in every message and, for a long message,
    # in each clause read again): the edit distances were most of the net's cost. Bounded; the answer is unchanged.
    _memo: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def correct(self, normalised: str) -> str:
        """Replace likely misspellings of typo-tolerant words by the word itself."""
        memo = self._memo
        out = []
        for token in normalised.split():
            fixed = memo.get(token)
            if fixed is None:
                if len(memo) >= MEMO_TOKENS:
                    memo.clear()
                fixed = memo[token] = self._correct_token(token)
            out.append(fixed)
        return " ".join(out)

    def _correct_token(self, token: str) -> str:
        if token in self.known_words or len(token) < 4 or token.isdigit():
            return token
        for word in self.typo_words:
            limit = 2 if len(word) >= 9 else 1
            if len(word) < 5:  # short words: only a swap of two letters ("hlep")
                if len(token) == len(word) and sorted(token) == sorted(word):
                    if _edit_distance(token, word, 1) <= 1:
                        return word
                continue
            if token[0] != word[0] and token[:2] != word[1::-1]:
                continue  # typos rarely hit the first letter; this keeps false corrections down
            if _edit_distance(token, word, limit) <= limit:
                return word
        return token

    def match(self, raw_casefolded: str, corrected: str) -> str | None:
        """Name of the first rule that fires, or None."""
        for rule in self.rules:
            hit = any(p.search(corrected) for p in rule.patterns) or any(
                p.search(raw_casefolded) for p in rule.raw_patterns
            )
            if hit and not any(u.search(corrected) for u in rule.unless):
                return rule.name
        return None


_GROUP_REF = re.compile(r"\{([a-z_]+)\}")


def _expand(pattern: str, groups: dict[str, str], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in groups:
            raise DangerLexiconError(f"{where}: unknown group {{{name}}}")
        return groups[name]

    for _ in range(5):  # groups may reference groups
        expanded = _GROUP_REF.sub(sub, pattern)
        if expanded == pattern:
            return expanded
        pattern = expanded
    raise DangerLexiconError(f"{where}: group references nest too deep")


def _compile(pattern: str, where: str, *, bounded: bool = True) -> re.Pattern[str]:
    source = rf"(?<![a-z0-9])(?:{pattern})(?![a-z0-9])" if bounded else pattern
    try:
        return re.compile(source)
    except re.error as exc:
        raise DangerLexiconError(f"{where}: pattern does not compile: {exc}") from None


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DangerLexiconError(f"{where}: expected a list of strings")
    return value


def load_lexicon(path: Path) -> Lexicon:
    """Parse and compile one danger.yaml; errors name the file and the rule."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise DangerLexiconError(f"{path}{line}: invalid YAML") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise DangerLexiconError(f"{path}: expected a mapping with a 'rules' list")
    locale = str(doc.get("locale") or Path(path).parent.name)
    raw_groups = doc.get("groups") or {}
    if not isinstance(raw_groups, dict):
        raise DangerLexiconError(f"{path}: 'groups' must be a mapping")
    groups = {str(k): "(?:" + fold_letters(str(v)) + ")" for k, v in raw_groups.items()}
    rules: list[_Rule] = []
    literal_words: set[str] = set()
    seen: set[str] = set()
    for i, spec in enumerate(doc["rules"]):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise DangerLexiconError(f"{path}: rule #{i + 1} needs a 'name'")
        name = spec["name"]
        where = f"{path}: rule '{name}'"
        if name in seen:
            raise DangerLexiconError(f"{where}: duplicate rule name")
        seen.add(name)
        unknown = set(spec) - {"name", "description", "patterns", "raw_patterns", "unless"}
        if unknown:
            raise DangerLexiconError(f"{where}: unknown key(s) {sorted(unknown)}")
        patterns = [_expand(fold_letters(p), groups, where) for p in _str_list(spec.get("patterns"), where)]
        unless = [_expand(fold_letters(p), groups, where) for p in _str_list(spec.get("unless"), where)]
        raw = _str_list(spec.get("raw_patterns"), where)
        if not patterns and not raw:
            raise DangerLexiconError(f"{where}: needs 'patterns' or 'raw_patterns'")
        for p in patterns:
            literal_words.update(re.findall(r"[a-z]{2,}", p))
        rules.append(
            _Rule(
                name=name,
                patterns=tuple(_compile(p, where) for p in patterns),
                raw_patterns=tuple(_compile(p, where, bounded=False) for p in raw),
                unless=tuple(_compile(p, where) for p in unless),
            )
        )
    typo_words = tuple(fold_for_danger(w) for w in _str_list(doc.get("typo_tolerant"), f"{path}: typo_tolerant"))
    not_typos = {fold_for_danger(w) for w in _str_list(doc.get("not_typos"), f"{path}: not_typos")}
    return Lexicon(locale, tuple(rules), typo_words, frozenset(literal_words | set(typo_words) | not_typos))


@lru_cache(maxsize=8)
def lexicons(content_dir: Path = CONTENT_DIR) -> dict[str, Lexicon]:
    """Every locale's lexicon under content_dir, loaded once per process."""
    found = sorted(Path(content_dir).glob(f"*/{LEXICON_FILE}"))
    if not found:
        raise DangerLexiconError(f"no {LEXICON_FILE} under {content_dir}")
    return {p.parent.name: load_lexicon(p) for p in found}


def detect_danger(text: str, locale: str, content_dir: Path = CONTENT_DIR) -> DangerSignal | None:
    """Signal if the message shows immediate danger in any language we hold, own locale first."""
    if not text or not text.strip():
        return None
    table = lexicons(Path(content_dir))
    order = [table[locale]] if locale in table else []
    order += [lex for loc, lex in table.items() if loc != locale]
    raw = text.casefold()
    normalised = fold_for_danger(text)
    for lexicon in order:
        rule = lexicon.match(raw, lexicon.correct(normalised))
        if rule is not None:
            return DangerSignal(rule=rule, locale=lexicon.locale)
    return None
