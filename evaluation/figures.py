"""The report's numbers, computed from the consented, pseudonymised wave records (no I/O).

Two views of "never afraid", side by side, because they answer different questions:
  cross-sectional  everyone who answered each wave: different women at each wave; a rise can be
                   attrition (the more afraid stop answering), not change
  paired           the same women at intake and at a later wave (IMPACT's before/after): the change
                   among those who stayed, with McNemar's exact test on the women whose answer changed
Every share carries a 95 % Wilson interval; every difference a Newcombe interval. Any group of fewer
than `min_group` people is suppressed (numbers withheld, "n<5"), and so is a before/after table with
a cell under `min_group` (a small cell could single a woman out by subtraction).

Attrition: among the women who answered at intake, those who answered a later wave, those who did
not (non-response), and those who withdrew by quick exit, compared at intake: "never afraid" share
and how long his programme had run by that wave. If they differ, the cross-sectional figures are
biased and the paired ones are the ones to read.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from evaluation.data import WITHDRAWN_STATE, Selection, WaveRecord
from evaluation.stats import (
    PairTable,
    independent_difference,
    mcnemar_exact,
    paired_difference,
    wilson,
)
from flows.questionnaires import QuestionnaireSet
from scheduler.waves import WaveConfig

MIN_GROUP = 5
FEAR_ITEM = "fear"
NEVER = "never"
BEHAVIOUR_PREFIX = "beh_"
CHECKINS = "check-ins"
SIGNIFICANCE = 0.05


def _r(v: float) -> float:
    return round(v, 4)


def share_with_interval(k: int, n: int, min_group: int) -> dict[str, Any]:
    """{n, k, share, ci_low, ci_high, suppressed}: numbers withheld when n < min_group."""
    if n < min_group:
        return {"n": n, "k": None, "share": None, "ci_low": None, "ci_high": None, "suppressed": True}
    lo, hi = wilson(k, n)
    return {"n": n, "k": k, "share": _r(k / n), "ci_low": _r(lo), "ci_high": _r(hi), "suppressed": False}


@dataclass
class _WaveAcc:
    invited: int = 0
    answered: int = 0
    partial: int = 0
    missing: int = 0
    withdrawn: int = 0
    fear: Counter[str] = field(default_factory=Counter)
    behaviours: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


@dataclass
class _Person:
    states: dict[str, str] = field(default_factory=dict)  # full wave -> state
    never: dict[str, bool] = field(default_factory=dict)  # full wave -> never afraid (fear answered)
    due: dict[str, date] = field(default_factory=dict)
    programme_start: date | None = None
    programme_end: date | None = None


class Aggregator:
    """Streams wave records into the report's figures (counts, and per pseudonym only what pairing
    needs: her state and never-afraid answer per full wave, and his programme's dates)."""

    def __init__(self, config: WaveConfig, qs: QuestionnaireSet, min_group: int = MIN_GROUP) -> None:
        self.config, self.qs, self.min_group = config, qs, min_group
        self.full = [w for w in config.waves if w.kind == "wave" and not w.repeating]
        self.acc: dict[str, _WaveAcc] = {w.code: _WaveAcc() for w in self.full}
        self.acc[CHECKINS] = _WaveAcc()
        self.invited: dict[str, set[str]] = defaultdict(set)
        self.responded: dict[str, set[str]] = defaultdict(set)
        self.people: set[str] = set()
        self.respondents: set[str] = set()
        self.person: dict[str, _Person] = defaultdict(_Person)

    def add(self, rec: WaveRecord) -> None:
        key = rec.wave if rec.wave in self.acc else (CHECKINS if rec.kind == "checkin" else None)
        if key is None:
            return
        self.people.add(rec.pseudonym)
        a = self.acc[key]
        a.invited += 1
        setattr(a, rec.state, getattr(a, rec.state) + 1)
        self.invited[key].add(rec.pseudonym)
        if key != CHECKINS:
            p = self.person[rec.pseudonym]
            p.states[key], p.due[key] = rec.state, rec.due_on
            p.programme_start, p.programme_end = rec.programme_start, rec.programme_end
        if not rec.responded:
            return
        self.respondents.add(rec.pseudonym)
        self.responded[key].add(rec.pseudonym)
        fear = rec.answers.get(FEAR_ITEM)
        if fear is not None and fear.value is not None and not fear.skipped:
            a.fear[fear.value] += 1
            if key != CHECKINS:
                self.person[rec.pseudonym].never[key] = fear.value == NEVER
        for item, ans in rec.answers.items():
            if item.startswith(BEHAVIOUR_PREFIX) and ans.value is not None and not ans.skipped:
                a.behaviours[item][ans.value] += 1

    def _small(self, n: int) -> bool:
        return n < self.min_group

    # -- the figures --------------------------------------------------------------------------------
    def figures(self, *, now: datetime, selection: Selection | None = None) -> dict[str, Any]:
        head = {
            "generated_at": now.isoformat(timespec="seconds"),
            "selection": (selection or Selection()).describe(),
            "min_group": self.min_group,
            "survivors": len(self.people),
            "respondents": len(self.respondents),
            "empty": self._small(len(self.respondents)),
        }
        if head["empty"]:
            return head
        q = self._reference_questionnaire()
        fear_scale = q.item(FEAR_ITEM).scale
        fear_codes = fear_scale.codes()
        never, dist = [], []
        for w in self.full:
            a = self.acc[w.code]
            n = sum(a.fear.values())
            small = self._small(n)
            s = share_with_interval(a.fear.get(NEVER, 0), n, self.min_group)
            never.append({"wave": w.code, "n": n, "suppressed": small, "never": s["k"], "share": s["share"],
                          "ci_low": s["ci_low"], "ci_high": s["ci_high"]})
            dist.append({"wave": w.code, "n": n, "suppressed": small,
                         "counts": None if small else {c: a.fear.get(c, 0) for c in fear_codes},
                         "shares": None if small else {c: _r(a.fear.get(c, 0) / n) for c in fear_codes},
                         "intervals": None if small else {c: [_r(v) for v in wilson(a.fear.get(c, 0), n)]
                                                          for c in fear_codes}})
        return {
            **head,
            "waves": [{"code": w.code, "label": w.label} for w in self.full],
            "fear_codes": fear_codes,
            "fear_labels": {c: fear_scale.label(c) for c in fear_codes},
            "never_afraid": never,
            "paired": self._paired(never),
            "fear_distribution": dist,
            "behaviours": self._behaviours(q),
            "response": self._response(),
            "attrition": self._attrition(),
        }

    def _paired(self, never: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Per later wave: the same women at intake and then, beside all respondents at each."""
        if not self.full:
            return []
        t0 = self.full[0].code
        cross0 = never[0]
        out = []
        for w, cross in zip(self.full[1:], never[1:], strict=True):
            cells = Counter((p.never[t0], p.never[w.code]) for p in self.person.values()
                            if t0 in p.never and w.code in p.never)
            table = PairTable(both=cells[(True, True)], before_only=cells[(True, False)],
                              after_only=cells[(False, True)], neither=cells[(False, False)])
            row: dict[str, Any] = {"wave": w.code, "label": w.label, "pairs": table.n}
            small = self._small(table.n) or self._small(table.smallest_cell())
            row["suppressed"] = small
            if small:
                row.update(table=None, intake=None, later=None, difference=None, p_value=None)
            else:
                diff, lo, hi = paired_difference(table)
                row.update(
                    table={"both": table.both, "intake_only": table.before_only, "later_only": table.after_only,
                           "neither": table.neither},
                    intake=share_with_interval(table.before, table.n, self.min_group),
                    later=share_with_interval(table.after, table.n, self.min_group),
                    difference={"estimate": _r(diff), "ci_low": _r(lo), "ci_high": _r(hi)},
                    p_value=_r(mcnemar_exact(table)),
                )
            if cross0["suppressed"] or cross["suppressed"]:
                row["cross_sectional"] = None
            else:
                diff, lo, hi = independent_difference(cross0["never"], cross0["n"], cross["never"], cross["n"])
                row["cross_sectional"] = {"intake_n": cross0["n"], "later_n": cross["n"],
                                          "estimate": _r(diff), "ci_low": _r(lo), "ci_high": _r(hi)}
            row["statement"] = paired_statement(row, self.full[0].label, self.min_group)
            out.append(row)
        return out

    def _response(self) -> list[dict[str, Any]]:
        t0 = self.full[0].code if self.full else None
        responded_t0 = self.responded.get(t0 or "", set())
        response = []
        for key in [w.code for w in self.full] + [CHECKINS]:
            a = self.acc[key]
            responded = a.answered + a.partial
            small = self._small(len(self.invited[key]))  # groups are people (check-ins: several waves each)
            row: dict[str, Any] = {"wave": key, "invited": a.invited, "suppressed": small}
            if small:
                row.update(answered=None, partial=None, missing=None, withdrawn=None, responded=None,
                           response_rate=None, response_ci=None)
            else:
                rate = share_with_interval(responded, a.invited, self.min_group)
                row.update(answered=a.answered, partial=a.partial, missing=a.missing, withdrawn=a.withdrawn,
                           responded=responded, response_rate=rate["share"],
                           response_ci=[rate["ci_low"], rate["ci_high"]])
            if key != CHECKINS and key != t0:
                cohort = responded_t0 & self.invited[key]
                kept = responded_t0 & self.responded[key]
                lost = share_with_interval(len(cohort) - len(kept), len(cohort), self.min_group)
                row["t0_cohort"] = len(cohort)
                row["attrition"] = lost["share"]
                row["attrition_ci"] = None if lost["suppressed"] else [lost["ci_low"], lost["ci_high"]]
            response.append(row)
        return response

    def _attrition(self) -> list[dict[str, Any]]:
        """Per later wave: the intake respondents invited to it, by what they did then, compared at intake."""
        if not self.full:
            return []
        t0 = self.full[0].code
        out = []
        for w in self.full[1:]:
            groups: dict[str, list[_Person]] = {"answered": [], "not_answered": [], "withdrawn": []}
            for p in self.person.values():
                if t0 not in p.never or w.code not in p.states:
                    continue
                state = p.states[w.code]
                group = ("answered" if state in ("answered", "partial")
                         else "withdrawn" if state == WITHDRAWN_STATE else "not_answered")
                groups[group].append(p)
            row: dict[str, Any] = {"wave": w.code, "label": w.label}
            for name, people in groups.items():
                s = share_with_interval(sum(p.never[t0] for p in people), len(people), self.min_group)
                weeks = [wk for p in people if (wk := _weeks_in_programme(p, w.code)) is not None]
                s["median_weeks"] = None if s["suppressed"] or self._small(len(weeks)) else _r(
                    statistics.median(weeks))
                s["weeks_n"] = None if s["suppressed"] else len(weeks)
                row[name] = s
            out.append(row)
        return out

    def _behaviours(self, q: Any) -> dict[str, Any]:
        t0 = self.full[0].code if self.full else None
        latest = None
        for w in reversed(self.full[1:]):
            a = self.acc[w.code]
            if not self._small(a.answered + a.partial):
                latest = w.code
                break
        items = []
        for it in [it for it in q.items if it.code.startswith(BEHAVIOUR_PREFIX)]:
            entry: dict[str, Any] = {"item": it.code, "label": it.wording}
            for slot, code in (("baseline", t0), ("latest", latest)):
                if code is None:
                    entry[slot] = None
                    continue
                counts = self.acc[code].behaviours[it.code]
                n = counts.get("yes", 0) + counts.get("no", 0)
                s = share_with_interval(counts.get("yes", 0), n, self.min_group)
                entry[slot] = {"wave": code, "n": n, "suppressed": s["suppressed"], "yes": s["k"],
                               "share": s["share"], "ci_low": s["ci_low"], "ci_high": s["ci_high"]}
            items.append(entry)
        return {"baseline": t0, "latest": latest, "items": items}

    def _reference_questionnaire(self) -> Any:
        version = self.config.questionnaires.get("full") or next(iter(self.config.questionnaires.values()))
        qid = "full" if "full" in self.config.questionnaires else next(iter(self.config.questionnaires))
        return self.qs.get("en", qid, version)


def _weeks_in_programme(p: _Person, wave: str) -> float | None:
    """Weeks his programme had run by the wave's due day (to its end, if it ended before)."""
    if p.programme_start is None or wave not in p.due:
        return None
    until = min(p.due[wave], p.programme_end) if p.programme_end is not None else p.due[wave]
    return max(0, (until - p.programme_start).days) / 7


def _pct(v: float) -> str:
    return f"{v * 100:.0f}%"


def _pp(v: float) -> str:
    return f"{v * 100:+.0f}"


def p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def paired_statement(row: dict[str, Any], intake_label: str, min_group: int) -> str:
    """The paired result in one or two plain sentences."""
    label = row["label"]
    if row["suppressed"]:
        if row["pairs"] < min_group:
            return f"Fewer than {min_group} women answered both at {intake_label.lower()} and at {label.lower()}."
        return (f"{row['pairs']} women answered both at {intake_label.lower()} and at {label.lower()}, but a cell "
                f"of their before/after table has fewer than {min_group}: not shown.")
    i, later, d, t = row["intake"], row["later"], row["difference"], row["table"]
    verdict = ("a change this large would be unlikely if nothing had changed" if row["p_value"] < SIGNIFICANCE
               else "a change this size could well be chance")
    return (f"Of the {row['pairs']} women who answered both at {intake_label.lower()} and at {label.lower()}, "
            f"{_pct(i['share'])} (95% CI {_pct(i['ci_low'])}-{_pct(i['ci_high'])}) were never afraid at "
            f"{intake_label.lower()} and {_pct(later['share'])} ({_pct(later['ci_low'])}-{_pct(later['ci_high'])}) "
            f"at {label.lower()}: a change of {_pp(d['estimate'])} percentage points "
            f"({_pp(d['ci_low'])} to {_pp(d['ci_high'])}). {t['later_only']} became never afraid and "
            f"{t['intake_only']} no longer were; McNemar's exact test: {p_text(row['p_value'])}: {verdict}.")


def compute_figures(records: Iterable[WaveRecord], config: WaveConfig, qs: QuestionnaireSet, *, now: datetime,
                    min_group: int = MIN_GROUP, selection: Selection | None = None) -> dict[str, Any]:
    agg = Aggregator(config, qs, min_group)
    for rec in records:
        agg.add(rec)
    return agg.figures(now=now, selection=selection)


async def compute_figures_async(records: AsyncIterable[WaveRecord], config: WaveConfig, qs: QuestionnaireSet, *,
                                now: datetime, min_group: int = MIN_GROUP,
                                selection: Selection | None = None) -> dict[str, Any]:
    agg = Aggregator(config, qs, min_group)
    async for rec in records:
        agg.add(rec)
    return agg.figures(now=now, selection=selection)
