"""The check-in flow: one question at a time, pure (no I/O).

It takes the wave's questionnaire, what she answered so far and where she is (`progress`, kept in
her conversation state beside every other flow's, under `checkin`), plus one input, and returns the
new progress, the messages to send and effects: `RecordAnswer` (store at once), `FinishWave` (the
answer set is complete) and `RaiseEscalation` (from safety.triage; urgent ones at once, with
emergency numbers shown to her). `handle` is the router's rule-level entry: it reads her open
check-in from the engine's pre-fetched `Context.checkin` and returns engine effects
(`RecordCheckinAnswer`, `FinishCheckin`, `SetCheckinPriority`).

- Buttons or typed replies: an option's number, its label, or (0-10 scales) the number itself. On
  SMS a 0-10 question lists no numbered options ("1 → 0 … 11 → 10" was misread): the value she
  types is the answer, "skip"/"later" are words, so what she chooses is what is recorded.
- "skip" and "later" (stop for now) work on every question, as buttons and as words; "continue"
  resumes. The words are in the questionnaire file per locale ("stop" is avoided: it is the SMS
  opt-out word). The words that work everywhere (flows.keywords: stop, quick exit, numbers, help)
  are never taken: the flow returns None so the router handles them; "menu"/"start" too, except
  "0" when it answers a 0-10 question.
- Every message names a text in the questionnaire file (keys `checkin.*`, rendered by
  `bot.rendering.render`), except the emergency numbers (`emergency.numbers`, shared with
  the other flows) shown at once when triage says urgent.
- Questions in cover wording are not explicit; in plain mode they are, so they are `sensitive`
  (shown only after her PIN, expiring).
- In disguised mode (not plain mode) items show their cover wording.

Stages: invited (opening sent) -> asking -> paused <-> asking -> done.
Button payloads carry the wave instance id, so a stale button from an older wave does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from content.text import fold_answer
from flows.flow_state import CheckinStage
from flows.keywords import keyword as global_keyword
from flows.payloads import QuestionButton, WaveButton, wave_instance_of
from flows.questionnaires import Item, Questionnaire
from flows.state import CheckinPosition, FlowState
from flows.types import (
    Context,
    FinishCheckin,
    FlowResult,
    OpenCheckin,
    Option,
    RaiseEscalation,
    RecordCheckinAnswer,
    Say,
    SetCheckinPriority,
    UserInput,
)
from safety.triage import RANK, Facts, TriageRules, triage

PRIORITY_OF_RANK = {rank: name for name, rank in RANK.items()}


@dataclass(frozen=True)
class RecordAnswer:
    item: str
    value: str | None  # answer code; None when skipped or free text
    free_text: str | None = None
    skipped: bool = False


@dataclass(frozen=True)
class FinishWave:
    """She reached the end of the questionnaire: the answer set is complete."""


@dataclass
class Progress:
    """Where she is in one wave: invited (opening sent) -> asking <-> paused -> done; the triage rank
    and child-protection flag already raised from this answer set (raised once, not at every answer)."""

    stage: CheckinStage = "invited"
    item: str | None = None
    raised: int = 0
    child: bool = False


@dataclass(frozen=True)
class CheckinStep:
    """One step of the pure flow: her new place, the messages, and what to store or raise."""

    progress: Progress
    says: list[Say]
    effects: list[Any]


@dataclass(frozen=True)
class CheckinContext:
    questionnaire: Questionnaire
    instance_id: int
    answers: Mapping[str, str | None] = field(default_factory=dict)  # item -> code; None: skipped/text
    previous: Mapping[str, str] = field(default_factory=dict)  # her previous answer set, for "rise"
    rules: TriageRules | None = None
    plain: bool = False
    country: str = ""
    numbered_opening: bool = True  # the opening is her latest message with options: "1"/"2" answer it
    numbered: bool = False  # options are numbered lines (SMS): a 0-10 question takes the value itself
    carrier_stop_words: frozenset[str] = frozenset()  # the channel's own opt-out words: stop, whatever is asked


# -- message builders ------------------------------------------------------------------------------
def _p(q: Questionnaire, **params: Any) -> dict[str, Any]:
    return {"q": q.id, "v": q.version, **params}


def text_say(q: Questionnaire, key: str, *, sensitive: bool = False, urgent: bool = False, **params: Any) -> Say:
    return Say("checkin.text", _p(q, text=key, **params), sensitive=sensitive, urgent=urgent)


def label_key(q: Questionnaire, *parts: str) -> str:
    return ":".join(("checkin", q.id, q.version, *parts))


def opening(q: Questionnaire, instance_id: int, *, plain: bool, reminder: bool = False) -> Say:
    """The message that opens (or reminds of) a wave: neutral cover wording (rendering puts her
    persona's title first)."""
    return Say("checkin.opening", _p(q, plain=plain, reminder=reminder), options=(
        Option(WaveButton(instance_id, "start").pack(), label_key(q, "text", "start_label")),
        Option(WaveButton(instance_id, "later").pack(), label_key(q, "text", "later_label")),
    ))


def question(q: Questionnaire, instance_id: int, item: Item, *, plain: bool, numbered: bool = False) -> Say:
    """One question with its answers as buttons. `numbered`: the channel shows options as numbered
    lines (SMS). A 0-10 scale then has no list at all: "1 → 0 … 11 → 10" invites a reply one off
    from what she means, so the value she types is the answer and 'skip'/'later' are words."""
    if numbered and item.scale.type == "range":
        return Say("checkin.question", _p(q, item=item.code, plain=plain, typed=True), sensitive=plain)
    options = [Option(QuestionButton.answer(instance_id, item.code, c).pack(), label_key(q, "opt", item.code, c))
               for c in item.scale.codes()]
    options += [Option(QuestionButton(instance_id, "skip").pack(), label_key(q, "text", "skip_label")),
                Option(QuestionButton(instance_id, "later").pack(), label_key(q, "text", "pause_label"))]
    # cover wording is not explicit; plain-mode wording is, so it is shown only after her PIN and expires
    return Say("checkin.question", _p(q, item=item.code, plain=plain), options=tuple(options), sensitive=plain)


# -- the flow ------------------------------------------------------------------------------------
def _facts(ctx: CheckinContext, answers: Mapping[str, str | None]) -> Facts:
    current = {k: v for k, v in answers.items() if v is not None}
    return Facts(current, ctx.previous, ctx.questionnaire.scores())


def next_item(q: Questionnaire, answers: Mapping[str, str | None], facts: Facts) -> Item | None:
    for it in q.items:
        if it.code in answers:
            continue
        if it.ask_if is not None and not it.ask_if(facts):
            continue
        return it
    return None


def _escalate(ctx: CheckinContext, progress: Progress, facts: Facts, *, final: bool,
              effects: list[Any], says: list[Say]) -> None:
    """Raise an escalation when triage says more than was already raised from this answer set.
    Urgent: at once (with emergency numbers); otherwise when the set is finished or paused."""
    if ctx.rules is None or not facts.current:
        return
    t = triage(ctx.rules, facts)
    raised, child = progress.raised, progress.child
    if t.priority != "urgent" and not final:
        return
    if t.rank > raised or (t.child_protection and not child):
        effects.append(RaiseEscalation(t.priority, t.reason, t.child_protection or child))
        progress.raised, progress.child = max(t.rank, raised), t.child_protection or child
        if t.priority == "urgent" and raised < RANK["urgent"]:
            says.append(Say("emergency.numbers", {"country": ctx.country}, urgent=True))
            says.append(Say("danger.team_told", options=(Option("menu:callback", "menu.opt_callback"),), urgent=True))


def _advance(ctx: CheckinContext, progress: Progress, answers: dict[str, str | None],
             effects: list[Any], says: list[Say]) -> CheckinStep:
    q = ctx.questionnaire
    facts = _facts(ctx, answers)
    raised_before = progress.raised
    _escalate(ctx, progress, facts, final=False, effects=effects, says=says)
    if progress.raised >= RANK["urgent"] > raised_before:
        # she is in danger now: no more questions (the team is told, a call-back offered); what she
        # answered is kept, and "continue" resumes later; the wave closes as partial otherwise
        progress.stage = "paused"
        _escalate(ctx, progress, facts, final=True, effects=effects, says=says)
        return CheckinStep(progress, says, effects)
    item = next_item(q, answers, facts)
    if item is None:
        progress.stage, progress.item = "done", None
        _escalate(ctx, progress, facts, final=True, effects=effects, says=says)
        effects.append(FinishWave())
        says.append(text_say(q, "thanks"))
    else:
        progress.stage, progress.item = "asking", item.code
        says.append(question(q, ctx.instance_id, item, plain=ctx.plain, numbered=ctx.numbered))
    return CheckinStep(progress, says, effects)


def _pause(ctx: CheckinContext, progress: Progress, answers: Mapping[str, str | None]) -> CheckinStep:
    progress.stage = "paused"
    says: list[Say] = []
    effects: list[Any] = []
    _escalate(ctx, progress, _facts(ctx, answers), final=True, effects=effects, says=says)
    says.append(text_say(ctx.questionnaire, "paused"))
    return CheckinStep(progress, says, effects)


def _answer(ctx: CheckinContext, progress: Progress, item: Item, value: str | None,
            free_text: str | None = None, skipped: bool = False) -> CheckinStep:
    answers = dict(ctx.answers)
    answers[item.code] = value
    effects: list[Any] = [RecordAnswer(item.code, value, free_text, skipped)]
    return _advance(ctx, progress, answers, effects, [])


def _reask(ctx: CheckinContext, progress: Progress, item: Item, problem: str | None) -> CheckinStep:
    q = ctx.questionnaire
    says: list[Say] = []
    if problem == "range":
        says.append(text_say(q, "invalid_range", min=item.scale.min, max=item.scale.max))
    elif problem:
        says.append(text_say(q, problem))
    says.append(question(q, ctx.instance_id, item, plain=ctx.plain, numbered=ctx.numbered))
    return CheckinStep(progress, says, [])


def start(ctx: CheckinContext, progress: Progress) -> CheckinStep:
    """She chose to begin (or continue): intro or welcome back, then the next question."""
    new = replace(progress)
    first = not ctx.answers and new.stage == "invited"
    says = [text_say(ctx.questionnaire, "intro" if first else "resumed")]
    return _advance(ctx, new, dict(ctx.answers), [], says)


ALWAYS_GLOBAL = ("stop", "exit", "numbers", "help")


def _answers_current(q: Questionnaire, progress: Progress, text: str) -> bool:
    item = progress.item
    return isinstance(item, str) and q.has_item(item) and q.item(item).scale.parse(text) is not None


def step(ctx: CheckinContext, progress: Progress, event: UserInput) -> CheckinStep | None:
    """One input. None: the input is not for the check-in (let the other flows have it)."""
    q = ctx.questionnaire
    state = replace(progress)
    stage = state.stage
    button, text = event.button, (event.text or "").strip()
    wave_button = WaveButton.unpack(button)
    wave_action = wave_button.action if wave_button is not None and wave_button.instance_id == ctx.instance_id else None
    pressed = QuestionButton.unpack(button)
    question_button = pressed if pressed is not None and pressed.instance_id == ctx.instance_id else None
    keyword = q.keyword(text) if text and not button else None
    everywhere = global_keyword(text, ctx.carrier_stop_words) if text and not button else None

    if stage == "done" or everywhere in ALWAYS_GLOBAL:
        return None  # stop, quick exit, numbers and help work whatever the check-in waits for
    if everywhere is not None and keyword is None and not (
            stage == "asking" and _answers_current(q, state, text)):
        return None  # "menu", "start" (and "0" unless it answers a 0-10 question) are the menu's
    numbered = stage == "invited" and ctx.numbered_opening and not button
    if stage in ("invited", "paused"):
        if wave_action == "start" or keyword == "resume" or (numbered and fold_answer(text) == "1"):
            return start(ctx, state)
        if wave_action == "later" or (numbered and fold_answer(text) == "2"):
            return CheckinStep(state, [text_say(q, "not_now")], [])
        if question_button is not None and stage == "paused":
            state.stage = "asking"  # a button from the question she paused at: take it as resuming
            return step(ctx, state, event)
        return None

    # asking
    current = state.item
    if not isinstance(current, str) or not q.has_item(current):
        return start(ctx, replace(state, stage="paused"))
    item = q.item(current)
    if button:
        if wave_action == "start":
            return _reask(ctx, state, item, None)
        if question_button is None:
            return None  # another flow's button (menu, quick exit ...): not ours
        if question_button.action == "skip":
            return _answer(ctx, state, item, None, skipped=True)
        if question_button.action == "later":
            return _pause(ctx, state, ctx.answers)
        if question_button.item != item.code:
            return _reask(ctx, state, item, None)  # a button of an earlier question
        if question_button.code in item.scale.codes():
            return _answer(ctx, state, item, question_button.code)
        return _reask(ctx, state, item, "invalid")
    if not text:
        return None
    if keyword == "skip":
        return _answer(ctx, state, item, None, skipped=True)
    if keyword == "pause":
        return _pause(ctx, state, ctx.answers)
    if keyword == "resume":
        return _reask(ctx, state, item, None)
    scale = item.scale
    if scale.type == "text":
        return _answer(ctx, state, item, None, free_text=text)
    if scale.type == "choice" and fold_answer(text).isdigit():
        n = int(fold_answer(text))
        if n == len(scale.options) + 1:
            return _answer(ctx, state, item, None, skipped=True)
        if n == len(scale.options) + 2:
            return _pause(ctx, state, ctx.answers)
    parsed = scale.parse(text)
    if parsed is None:
        return _reask(ctx, state, item, "range" if scale.type == "range" else "invalid")
    return _answer(ctx, state, item, parsed)


# -- the rule-level entry: her open check-in, as the engine pre-fetched it --------------------------
def opens_wave(payload: object) -> bool:
    """A "begin the questions" button (or its number): wave:<instance>:start."""
    button = WaveButton.unpack(payload)
    return button is not None and button.action == "start"


def opening_is_latest(state: FlowState, open_checkin: OpenCheckin) -> bool:
    """Did the opening (or reminder) reach her after her last conversation turn? Then a typed "1" or
    "2" answers it rather than options another flow showed before (the router stamps `touched`)."""
    opened = open_checkin.reminded_at or open_checkin.sent_at
    if opened is None or state.touched is None:
        return True
    return state.touched <= opened


def progress_of(state: FlowState, open_checkin: OpenCheckin) -> Progress:
    """Where she is in this wave: her stored position if it is this opening's, else invited (a new
    wave, or the same one offered again after a quick exit)."""
    stored = state.checkin
    if stored is not None and stored.instance_id == open_checkin.instance_id \
            and stored.opened_at == open_checkin.sent_at:
        return Progress(stored.stage, stored.item, stored.raised, stored.child)
    return Progress()


def handle(event: UserInput, state: FlowState, ctx: Context) -> FlowResult | None:
    """Her input for her open check-in, or None when it is not for it. The result's state is hers
    with the new position; no options are remembered: the check-in's question is now the latest
    thing on her screen, so numbers answer it."""
    oc = ctx.checkin
    if oc is None:
        if wave_instance_of(event.button) is not None and ctx.closed_checkin is not None:
            # a button of a wave that has closed: say so instead of leaving her without an answer
            return FlowResult(state.but(options=()), [text_say(ctx.closed_checkin, "closed")], [])
        return None
    profile = ctx.profile
    cctx = CheckinContext(
        questionnaire=oc.questionnaire, instance_id=oc.instance_id, answers=oc.answers, previous=oc.previous,
        rules=ctx.triage, plain=bool(profile and profile.plain_mode),
        country=(profile.country if profile else "") or "", numbered_opening=opening_is_latest(state, oc),
        numbered=not ctx.caps.inline_buttons, carrier_stop_words=ctx.caps.carrier_stop_words,
    )
    res = step(cctx, progress_of(state, oc), event)
    if res is None:
        return None
    effects: list[Any] = []
    for effect in res.effects:
        if isinstance(effect, RecordAnswer):
            effects.append(RecordCheckinAnswer(oc.instance_id, effect.item, effect.value, effect.free_text,
                                               effect.skipped))
        elif isinstance(effect, FinishWave):
            effects.append(FinishCheckin(oc.instance_id))
        else:
            effects.append(effect)
    new = res.progress
    if new.raised:
        effects.append(SetCheckinPriority(oc.instance_id, PRIORITY_OF_RANK[new.raised]))
    position = CheckinPosition(instance_id=oc.instance_id, opened_at=oc.sent_at, stage=new.stage, item=new.item,
                               raised=new.raised, child=new.child)
    return FlowResult(state.but(checkin=position, options=()), list(res.says), effects)
