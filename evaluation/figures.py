"""The report's numbers, computed from the consented, pseudonymised wave records (no I/O), as typed data
that the tables, the charts and figures.json all read.

Two views of "never afraid", side by side, because they answer different questions:
  paired           the same women at intake and at a later wave (IMPACT's before/after): the change
                   among those who stayed, with Newcombe's paired interval and McNemar's exact test
  cross-sectional  everyone who answered each wave. The samples overlap (most women answering a later
                   wave also answered at intake) and differ by who stopped answering, so their difference
                   is shown only as a naive contrast beside the paired figure: its interval treats the two
                   samples as independent groups (too wide when answers hang together) and its estimate
                   carries the attrition bias (a rise can be the more afraid leaving, not change).
Every share carries a 95 % Wilson interval; every difference a Newcombe interval. Every count from 1 to
`min_group` - 1 is withheld, and so are the counts that would give it back (evaluation/suppression.py); a
group under `min_group` shows nothing; a before/after table with such a cell is withheld whole.

Attrition: among the women who answered at intake, those who answered a later wave, those who did
not (non-response), and those who withdrew by quick exit, compared at intake: "never afraid" share
and how long his programme had run by that wave. If they differ, the cross-sectional figures are
biased and the paired ones are the ones to read.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter, defaultdict
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from evaluation.data import WITHDRAWN_STATE, Selection, WaveRecord
from evaluation.stats import (
    PairTable,
    independent_difference,
    mcnemar_exact,
    paired_difference,
    wilson,
)
from evaluation.suppression import small_share, withheld
from flows.questionnaires import Questionnaire, QuestionnaireSet
from scheduler.waves import WaveConfig

MIN_GROUP = 5
FEAR_ITEM = "fear"
NEVER = "never"
YES = "yes"
BEHAVIOUR_PREFIX = "beh_"
CHECKINS = "check-ins"
SIGNIFICANCE = 0.05
# the report's chart files, by name (charts.py draws them; named here so linking them needs no matplotlib)
CHARTS = {
    "never_afraid": "never_afraid.png",
    "change": "change.png",
    "attrition": "attrition.png",
    "fear_distribution": "fear_distribution.png",
    "behaviours": "behaviours.png",
    "response": "response.png",
}


def _r(v: float) -> float:
    return round(v, 4)


# -- the typed figures --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Share:
    """k of n with its 95 % Wilson interval. A withheld number is None: n when the group is under the
    threshold (or a complement), k and the share when k or n - k is."""

    n: int | None
    k: int | None
    share: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool

    @staticmethod
    def of(k: int, n: int, min_group: int, *, hide_n: bool = False, hide_k: bool = False) -> Share:
        if n == 0 and not hide_n:
            return Share(0, None, None, None, None, True)
        if hide_n or n < min_group:
            return Share(None, None, None, None, None, True)
        if hide_k or small_share(k, n, min_group):
            return Share(n, None, None, None, None, True)
        lo, hi = wilson(k, n)
        return Share(n, k, _r(k / n), _r(lo), _r(hi), False)


@dataclass(frozen=True)
class Difference:
    """A difference of two shares (later minus earlier) with its 95 % Newcombe interval."""

    estimate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Cells:
    """The before/after table of the same women, for one yes/no outcome."""

    both: int
    intake_only: int
    later_only: int
    neither: int


@dataclass(frozen=True)
class PairedChange:
    """The same women at intake and later: withheld whole (only `pairs`, when 5 or more) if a cell of
    their table is a small count. p_value is McNemar's exact p, unrounded."""

    pairs: int | None
    suppressed: bool
    table: Cells | None = None
    intake: Share | None = None
    later: Share | None = None
    difference: Difference | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class NaiveContrast:
    """All respondents at a later wave minus all at intake: overlapping samples (`overlap` women are in
    both; None when 1 to min_group - 1) compared as if independent. Shown beside the paired figure, never
    instead of it."""

    intake_n: int
    later_n: int
    overlap: int | None
    estimate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Wave:
    code: str
    label: str


@dataclass(frozen=True)
class NeverAfraid:
    """Cross-sectional: everyone who answered the fear item at the wave."""

    wave: str
    never: Share


@dataclass(frozen=True)
class PairedRow:
    wave: str
    label: str
    change: PairedChange
    naive: NaiveContrast | None
    statement: str


@dataclass(frozen=True)
class FearRow:
    """How often afraid at one wave: a share per answer code (withheld codes are suppressed shares)."""

    wave: str
    n: int | None
    suppressed: bool
    codes: dict[str, Share]


@dataclass(frozen=True)
class BehaviourRow:
    """One behaviour: cross-sectional at intake and at the latest wave, and paired for the same women."""

    item: str
    label: str
    baseline: Share | None
    latest: Share | None
    paired: PairedChange | None


@dataclass(frozen=True)
class Behaviours:
    baseline: str | None
    latest: str | None
    items: list[BehaviourRow]


@dataclass(frozen=True)
class ResponseRow:
    """Who answered a wave. `rate` is responded/invited; `attrition` (later waves) is the share of intake
    respondents invited to the wave who did not respond to it, of `t0_cohort`."""

    wave: str
    label: str
    invited: int | None
    suppressed: bool
    answered: int | None
    partial: int | None
    missing: int | None
    withdrawn: int | None
    responded: int | None
    rate: Share
    attrition: Share | None


@dataclass(frozen=True)
class AttritionGroup:
    never_at_intake: Share
    median_weeks: float | None
    weeks_n: int | None


@dataclass(frozen=True)
class AttritionRow:
    wave: str
    label: str
    answered: AttritionGroup
    not_answered: AttritionGroup
    withdrawn: AttritionGroup


@dataclass(frozen=True)
class Body:
    waves: list[Wave]
    fear_codes: list[str]
    fear_labels: dict[str, str]
    never_afraid: list[NeverAfraid]
    paired: list[PairedRow]
    fear_distribution: list[FearRow]
    behaviours: Behaviours
    response: list[ResponseRow]
    attrition: list[AttritionRow]


@dataclass(frozen=True)
class Figures:
    """Everything the report shows. `body` is None when fewer than min_group women answered at all."""

    generated_at: str
    selection: str
    min_group: int
    survivors: int
    respondents: int
    body: Body | None

    @property
    def empty(self) -> bool:
        return self.body is None

    def to_json(self) -> dict[str, object]:
        """figures.json: the head, then the body's sections at the top level (none when empty)."""
        head = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "body"}
        return {**head, "empty": self.empty, **(dataclasses.asdict(self.body) if self.body else {})}


# -- the aggregation ----------------------------------------------------------------------------------
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
    behaviours: dict[str, dict[str, bool]] = field(default_factory=lambda: defaultdict(dict))  # wave -> item -> yes
    due: dict[str, date] = field(default_factory=dict)
    programme_start: date | None = None
    programme_end: date | None = None


def _table(before: Iterable[tuple[bool, bool]]) -> PairTable:
    cells = Counter(before)
    return PairTable(both=cells[(True, True)], before_only=cells[(True, False)],
                     after_only=cells[(False, True)], neither=cells[(False, False)])


def paired_change(t: PairTable, min_group: int) -> PairedChange:
    """The same women's table as the report shows it: whole, or withheld whole (a cell of 1 to min_group - 1
    would be given back by the margins)."""
    if t.n < min_group:
        return PairedChange(pairs=None, suppressed=True)
    if any(0 < cell < min_group for cell in (t.both, t.before_only, t.after_only, t.neither)):
        return PairedChange(pairs=t.n, suppressed=True)
    diff, lo, hi = paired_difference(t)
    return PairedChange(
        pairs=t.n, suppressed=False,
        table=Cells(both=t.both, intake_only=t.before_only, later_only=t.after_only, neither=t.neither),
        intake=Share.of(t.before, t.n, min_group), later=Share.of(t.after, t.n, min_group),
        difference=Difference(_r(diff), _r(lo), _r(hi)), p_value=mcnemar_exact(t))


class Aggregator:
    """Streams wave records into the report's figures (counts, and per pseudonym only what pairing
    needs: her state, never-afraid and behaviour answers per full wave, and his programme's dates)."""

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
                if key != CHECKINS and ans.value in (YES, "no"):
                    self.person[rec.pseudonym].behaviours[key][item] = ans.value == YES

    def _small(self, n: int) -> bool:
        return n < self.min_group

    # -- the figures --------------------------------------------------------------------------------
    def figures(self, *, now: datetime, selection: Selection | None = None) -> Figures:
        def figures(body: Body | None) -> Figures:
            return Figures(generated_at=now.isoformat(timespec="seconds"),
                           selection=(selection or Selection()).describe(), min_group=self.min_group,
                           survivors=len(self.people), respondents=len(self.respondents), body=body)

        if self._small(len(self.respondents)):
            return figures(None)
        q = self._reference_questionnaire()
        fear_scale = q.item(FEAR_ITEM).scale
        fear_codes = fear_scale.codes()
        dist = [self._fear_row(w.code, fear_codes) for w in self.full]
        never = [NeverAfraid(r.wave, r.codes.get(NEVER) or Share.of(0, 0, self.min_group)) for r in dist]
        return figures(Body(
            waves=[Wave(w.code, w.label) for w in self.full],
            fear_codes=fear_codes,
            fear_labels={c: fear_scale.label(c) for c in fear_codes},
            never_afraid=never,
            paired=self._paired(never),
            fear_distribution=dist,
            behaviours=self._behaviours(q),
            response=self._response(),
            attrition=self._attrition(),
        ))

    def _fear_row(self, wave: str, codes: list[str]) -> FearRow:
        """One wave's answers to the fear item. "never" is withheld as a complement only when nothing else
        will do, since the never-afraid share shows it on its own (and then withholds it too)."""
        counts = {c: self.acc[wave].fear.get(c, 0) for c in codes}
        n = sum(counts.values())
        mg = self.min_group
        if self._small(n):  # nobody, or too few to show even how many
            return FearRow(wave, n if n == 0 else None, True, {c: Share.of(0, n, mg) for c in codes})
        hidden = withheld(counts, mg, rather_show={NEVER})
        return FearRow(wave, n, False, {c: Share.of(counts[c], n, mg, hide_k=c in hidden) for c in codes})

    def _paired(self, never: list[NeverAfraid]) -> list[PairedRow]:
        """Per later wave: the same women at intake and then, beside the naive contrast of all respondents."""
        if not self.full:
            return []
        t0 = self.full[0].code
        out = []
        for w, cross in zip(self.full[1:], never[1:], strict=True):
            both = [p for p in self.person.values() if t0 in p.never and w.code in p.never]
            change = paired_change(_table((p.never[t0], p.never[w.code]) for p in both), self.min_group)
            naive = None
            a, b = never[0].never, cross.never
            if a.k is not None and a.n is not None and b.k is not None and b.n is not None:
                diff, lo, hi = independent_difference(a.k, a.n, b.k, b.n)
                overlap = None if 0 < len(both) < self.min_group else len(both)
                naive = NaiveContrast(intake_n=a.n, later_n=b.n, overlap=overlap, estimate=_r(diff), ci_low=_r(lo),
                                      ci_high=_r(hi))
            out.append(PairedRow(w.code, w.label, change, naive,
                                 paired_statement(change, self.full[0].label, w.label, self.min_group)))
        return out

    def _response(self) -> list[ResponseRow]:
        mg = self.min_group
        t0 = self.full[0].code if self.full else None
        responded_t0 = self.responded.get(t0 or "", set())
        labels = {w.code: w.label for w in self.full} | {CHECKINS: "Check-ins (all)"}
        response = []
        for key in [w.code for w in self.full] + [CHECKINS]:
            a = self.acc[key]
            responded = a.answered + a.partial
            attrition = None
            if key != CHECKINS and key != t0:
                cohort = responded_t0 & self.invited[key]
                kept = responded_t0 & self.responded[key]
                attrition = Share.of(len(cohort) - len(kept), len(cohort), mg)
            if self._small(len(self.invited[key])):  # groups are people (check-ins: several waves each)
                response.append(ResponseRow(key, labels[key], None, True, None, None, None, None, None,
                                            Share.of(0, a.invited, mg, hide_n=a.invited > 0), attrition))
                continue
            top = withheld({"responded": responded, "missing": a.missing, "withdrawn": a.withdrawn}, mg)
            sub = ({"answered", "partial"} if "responded" in top
                   else withheld({"answered": a.answered, "partial": a.partial}, mg))

            def shown(name: str, count: int, hidden: set[str]) -> int | None:
                return None if name in hidden else count

            response.append(ResponseRow(
                key, labels[key], a.invited, False,
                answered=shown("answered", a.answered, sub), partial=shown("partial", a.partial, sub),
                missing=shown("missing", a.missing, top), withdrawn=shown("withdrawn", a.withdrawn, top),
                responded=shown("responded", responded, top),
                rate=Share.of(responded, a.invited, mg, hide_k="responded" in top), attrition=attrition))
        return response

    def _attrition(self) -> list[AttritionRow]:
        """Per later wave: the intake respondents invited to it, by what they did then, compared at intake."""
        if not self.full:
            return []
        t0 = self.full[0].code
        mg = self.min_group
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
            total = sum(len(g) for g in groups.values())
            hidden = set(groups) if self._small(total) else withheld({k: len(g) for k, g in groups.items()}, mg)
            row: dict[str, AttritionGroup] = {}
            for name, people in groups.items():
                s = Share.of(sum(p.never[t0] for p in people), len(people), mg, hide_n=name in hidden)
                weeks = [wk for p in people if (wk := _weeks_in_programme(p, w.code)) is not None]
                known = s.n is not None and (len(weeks) == len(people) or not small_share(len(weeks), len(people), mg))
                row[name] = AttritionGroup(
                    never_at_intake=s,
                    median_weeks=_r(statistics.median(weeks)) if s.n is not None and len(weeks) >= mg else None,
                    weeks_n=len(weeks) if known else None)
            out.append(AttritionRow(w.code, w.label, **row))
        return out

    def _behaviours(self, q: Questionnaire) -> Behaviours:
        t0 = self.full[0].code if self.full else None
        latest = None
        for w in reversed(self.full[1:]):
            a = self.acc[w.code]
            if not self._small(a.answered + a.partial):
                latest = w.code
                break
        items = []
        for it in [it for it in q.items if it.code.startswith(BEHAVIOUR_PREFIX)]:
            shares: dict[str, Share | None] = {}
            for slot, code in (("baseline", t0), ("latest", latest)):
                if code is None:
                    shares[slot] = None
                    continue
                counts = self.acc[code].behaviours[it.code]
                shares[slot] = Share.of(counts.get(YES, 0), counts.get(YES, 0) + counts.get("no", 0), self.min_group)
            paired = None
            if t0 is not None and latest is not None:
                answers = [(p.behaviours[t0][it.code], p.behaviours[latest][it.code]) for p in self.person.values()
                           if it.code in p.behaviours.get(t0, {}) and it.code in p.behaviours.get(latest, {})]
                paired = paired_change(_table(answers), self.min_group)
            items.append(BehaviourRow(it.code, it.wording, shares["baseline"], shares["latest"], paired))
        return Behaviours(baseline=t0, latest=latest, items=items)

    def _reference_questionnaire(self) -> Questionnaire:
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
    """A p-value for prose: "p < 0.001" below a thousandth, else three decimals (figures.json keeps it exact)."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def paired_statement(c: PairedChange, intake_label: str, label: str, min_group: int) -> str:
    """The paired result in one or two plain sentences."""
    at_both = f"at {intake_label.lower()} and at {label.lower()}"
    if c.pairs is None:
        return f"Fewer than {min_group} women answered both {at_both}."
    if c.suppressed or c.intake is None or c.later is None or c.difference is None or c.table is None \
            or c.p_value is None or c.intake.share is None or c.later.share is None:
        return (f"{c.pairs} women answered both {at_both}, but a cell of their before/after table has fewer "
                f"than {min_group}: not shown.")
    i, later, d = c.intake, c.later, c.difference
    verdict = ("a change this large would be unlikely if nothing had changed" if c.p_value < SIGNIFICANCE
               else "a change this size could well be chance")
    return (f"Of the {c.pairs} women who answered both {at_both}, "
            f"{_pct(i.share or 0)} (95% CI {_pct(i.ci_low or 0)}-{_pct(i.ci_high or 0)}) were never afraid at "
            f"{intake_label.lower()} and {_pct(later.share or 0)} ({_pct(later.ci_low or 0)}-"
            f"{_pct(later.ci_high or 0)}) at {label.lower()}: a change of {_pp(d.estimate)} percentage points "
            f"({_pp(d.ci_low)} to {_pp(d.ci_high)}). {c.table.later_only} became never afraid and "
            f"{c.table.intake_only} no longer were; McNemar's exact test: {p_text(c.p_value)}: {verdict}.")


def compute_figures(records: Iterable[WaveRecord], config: WaveConfig, qs: QuestionnaireSet, *, now: datetime,
                    min_group: int = MIN_GROUP, selection: Selection | None = None) -> Figures:
    agg = Aggregator(config, qs, min_group)
    for rec in records:
        agg.add(rec)
    return agg.figures(now=now, selection=selection)


async def compute_figures_async(records: AsyncIterable[WaveRecord], config: WaveConfig, qs: QuestionnaireSet, *,
                                now: datetime, min_group: int = MIN_GROUP,
                                selection: Selection | None = None) -> Figures:
    agg = Aggregator(config, qs, min_group)
    async for rec in records:
        agg.add(rec)
    return agg.figures(now=now, selection=selection)
