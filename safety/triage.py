"""Triage: turn check-in answers into an escalation priority and a child-protection flag.

The rules are data (content/triage_rules.yaml), checked when loaded; this module holds the small
condition language they (and questionnaire `ask_if` conditions) are written in, and the evaluation.
Pure: no I/O beyond reading the rules file.

Conditions (YAML):
    {item: fear, in: [often, always]}        her answer to `fear` is one of these codes
    {item: safe, at_most: 2}                 the answer's score is <= 2 (also at_least)
    {rise: {item: fear, by: 1}}              score rose by >= 1 since her previous answer set
    {all: [cond, ...]}, {any: [cond, ...]}, {not: cond}
    always                                   always true (the fall-back rule)
A skipped or unasked item matches nothing (so `not` of it is true).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from content import shared_path

RULES_PATH = shared_path("triage_rules.yaml")
PRIORITIES = ("urgent", "high", "routine")  # most urgent first
RANK = {"routine": 1, "high": 2, "urgent": 3}


class RuleError(ValueError):
    """A rules or condition file that cannot be used; the message names the file and the place."""


Scores = Mapping[str, Mapping[str, float]]  # item -> code -> score


@dataclass(frozen=True)
class Facts:
    """What the rules look at: her coded answers now, her previous answer set, and item scores."""

    current: Mapping[str, str]
    previous: Mapping[str, str] = field(default_factory=dict)
    scores: Scores = field(default_factory=dict)

    def score(self, item: str, answers: Mapping[str, str]) -> float | None:
        code = answers.get(item)
        if code is None:
            return None
        by_code = self.scores.get(item)
        if by_code is not None and code in by_code:
            return by_code[code]
        try:
            return float(code)
        except ValueError:
            return None


# -- conditions ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    op: str
    item: str | None = None
    codes: frozenset[str] = frozenset()
    number: float = 0.0
    children: tuple[Condition, ...] = ()

    def __call__(self, facts: Facts) -> bool:
        op = self.op
        if op == "always":
            return True
        if op == "in":
            return facts.current.get(self.item or "") in self.codes
        if op == "at_least":
            s = facts.score(self.item or "", facts.current)
            return s is not None and s >= self.number
        if op == "at_most":
            s = facts.score(self.item or "", facts.current)
            return s is not None and s <= self.number
        if op == "rise":
            now, before = facts.score(self.item or "", facts.current), facts.score(self.item or "", facts.previous)
            return now is not None and before is not None and now - before >= self.number
        if op == "all":
            return all(c(facts) for c in self.children)
        if op == "any":
            return any(c(facts) for c in self.children)
        if op == "not":
            return not self.children[0](facts)
        raise AssertionError(op)

    def items(self) -> set[str]:
        found = {self.item} if self.item else set()
        for c in self.children:
            found |= c.items()
        return found

    def item_codes(self) -> list[tuple[str, str]]:
        found = [(self.item, c) for c in sorted(self.codes)] if self.item and self.op == "in" else []
        for child in self.children:
            found += child.item_codes()
        return found


ALWAYS = Condition("always")


def _codes(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise RuleError(f"{where}.in: expected a non-empty list of answer codes")
    for v in value:
        if not isinstance(v, str | int) or isinstance(v, bool):
            raise RuleError(f"{where}.in: {v!r} is not an answer code (quote yes/no in YAML)")
    return frozenset(str(v) for v in value)


def _number(value: Any, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise RuleError(f"{where}: expected a number, got {value!r}")
    return float(value)


def parse_condition(raw: Any, where: str) -> Condition:
    """Compile a condition from YAML data; errors name `where` (file and place)."""
    if raw == "always" or raw == {"always": True}:
        return ALWAYS
    if not isinstance(raw, dict) or not raw:
        raise RuleError(f"{where}: expected a condition (a mapping or 'always'), got {raw!r}")
    keys = set(raw)
    if keys <= {"all", "any"} and len(keys) == 1:
        op = next(iter(keys))
        parts = raw[op]
        if not isinstance(parts, list) or not parts:
            raise RuleError(f"{where}.{op}: expected a non-empty list of conditions")
        return Condition(op, children=tuple(parse_condition(p, f"{where}.{op}[{i}]") for i, p in enumerate(parts)))
    if keys == {"not"}:
        return Condition("not", children=(parse_condition(raw["not"], f"{where}.not"),))
    if keys == {"rise"}:
        spec = raw["rise"]
        if not isinstance(spec, dict) or set(spec) - {"item", "by"} or "item" not in spec:
            raise RuleError(f"{where}.rise: expected {{item: CODE, by: NUMBER}}")
        return Condition("rise", item=str(spec["item"]), number=_number(spec.get("by", 1), f"{where}.rise.by"))
    if "item" in keys:
        tests = keys - {"item"}
        if len(tests) != 1 or not tests <= {"in", "at_least", "at_most"}:
            raise RuleError(f"{where}: an item condition needs exactly one of in, at_least, at_most; "
                            f"got {sorted(tests) or 'none'}")
        test = next(iter(tests))
        item = raw["item"]
        if not isinstance(item, str) or not item:
            raise RuleError(f"{where}.item: expected an item code")
        if test == "in":
            return Condition("in", item=item, codes=_codes(raw["in"], where))
        return Condition(test, item=item, number=_number(raw[test], f"{where}.{test}"))
    raise RuleError(f"{where}: unknown condition keys {sorted(keys)} "
                    "(expected item/in|at_least|at_most, rise, all, any, not or 'always')")


# -- rules --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    id: str
    priority: str
    reason: str
    when: Condition


@dataclass(frozen=True)
class TriageRules:
    version: str
    rules: tuple[Rule, ...]
    child_protection: Condition
    source: str = ""

    def items(self) -> set[str]:
        found = self.child_protection.items()
        for r in self.rules:
            found |= r.when.items()
        return found

    def item_codes(self) -> list[tuple[str, str]]:
        found = self.child_protection.item_codes()
        for r in self.rules:
            found += r.when.item_codes()
        return found


@dataclass(frozen=True)
class Triage:
    """The outcome for one answer set: highest matching priority, every matching rule, child flag."""

    priority: str
    reason: str  # the first (most urgent) matching rule's reason
    matched: tuple[str, ...]
    child_protection: bool

    @property
    def rank(self) -> int:
        return RANK[self.priority]


def parse_rules(raw: Any, source: str) -> TriageRules:
    if not isinstance(raw, dict):
        raise RuleError(f"{source}: expected a mapping with version, rules and child_protection")
    unknown = set(raw) - {"version", "rules", "child_protection"}
    if unknown:
        raise RuleError(f"{source}: unknown top-level keys {sorted(unknown)}")
    if "version" not in raw:
        raise RuleError(f"{source}: version is missing")
    rules_raw = raw.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise RuleError(f"{source}: rules: expected a non-empty list")
    rules, seen = [], set()
    for i, r in enumerate(rules_raw):
        where = f"{source}: rules[{i}]"
        if not isinstance(r, dict):
            raise RuleError(f"{where}: expected a mapping")
        extra = set(r) - {"id", "priority", "reason", "when"}
        if extra:
            raise RuleError(f"{where}: unknown keys {sorted(extra)}")
        rid = r.get("id")
        if not isinstance(rid, str) or not rid:
            raise RuleError(f"{where}.id: expected a rule id")
        if rid in seen:
            raise RuleError(f"{where}.id: {rid!r} is used twice")
        seen.add(rid)
        if r.get("priority") not in PRIORITIES:
            raise RuleError(f"{where}.priority: {r.get('priority')!r} is not one of {', '.join(PRIORITIES)}")
        if "when" not in r:
            raise RuleError(f"{where}.when: missing")
        reason = str(r.get("reason") or rid)
        if len(reason) > 64:
            raise RuleError(f"{where}.reason: longer than 64 characters")
        rules.append(Rule(rid, r["priority"], reason, parse_condition(r["when"], f"{where}.when")))
    if not any(rule.when is ALWAYS for rule in rules):
        raise RuleError(f"{source}: rules: needs a fall-back rule with `when: always`")
    child_raw = raw.get("child_protection")
    child = Condition("any") if child_raw is None else parse_condition(child_raw, f"{source}: child_protection")
    return TriageRules(str(raw["version"]), tuple(rules), child, source)


def load_rules(path: Path = RULES_PATH) -> TriageRules:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleError(f"{path}: missing") from None
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: not valid YAML ({exc})") from None
    return parse_rules(raw, str(path))


@cache
def default_rules() -> TriageRules:
    return load_rules(RULES_PATH)


def triage(rules: TriageRules, facts: Facts) -> Triage:
    """Every rule is checked; the most urgent match wins (ties: the earlier rule)."""
    matched = [r for r in rules.rules if r.when(facts)]
    best = max(matched, key=lambda r: RANK[r.priority])  # max keeps the first of equal ranks
    return Triage(best.priority, best.reason, tuple(r.id for r in matched), rules.child_protection(facts))
