"""Issue 22, the systematic part: a stateful property test of the whole conversation engine.

Hypothesis generates sequences of what she does (taps any button on her screen, old ones too; types
command words, PINs, numbers, danger, free text), what workers do (a notice approved and sent) and
time passing (past her unlock period, expiry, her windows, a check-in wave falling due: the
scheduler's ticks are run when the clock moves). Each example runs through the real inbound path on
SQLite: the whole service (a fresh database copied from the migrated template) behind the fake
Telegram Bot API, the fake Twilio or the simulator's chat API, on a manual clock. After every step
the nine promises of issue 22 are checked against what reached her phone and what the database holds:

  a. a PIN or duress PIN she typed never stays on a Telegram (simulator) screen, is never echoed on SMS;
  b. the duress PIN, wherever a PIN is accepted, raises exactly one urgent escalation and shows exactly
     the wrong-PIN screen;
  c. after quick exit only cover content is on her screen, and nothing more is sent until she writes;
  d. no first 100 characters carry a sensitive word, an emergency number, or a check-in or notice question;
  e. every recorded check-in answer is one the question offered, equal to what she chose;
  f. nothing is sent outside her windows except replies to her and danger replies;
  g. quick exit, STOP and erasure happen only after an exact command word or button;
  h. every message that carries buttons also carries the exit button (Telegram, simulator);
  i. no reply promises what the service did not record (a call-back with a time, a notice acknowledged).

Runs: `make test` runs a bounded, fixed-seed run (PROPERTY_EXAMPLES examples of up to PROPERTY_STEPS
steps per channel); `make soak` runs it long with a fresh seed each time (see the README). A failure
prints the shortest sequence Hypothesis found, step by step, as the steps' names and arguments.

KNOWN_UNTIL_MERGE (below) lists the violations of issue 22's items 1-11, fixed on other branches: each
entry names the item and turns exactly that violation into an expected failure (the test then ends as
xfail naming the items it met) or keeps the input that triggers it out of the run. The integrator
deletes an entry once its fix is merged, and the test shows whether the fix holds in every state.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.control import event as hypothesis_event
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from bot import catalog, live_chat
from bot.escalations import raise_escalation
from bot.notices import review
from content.text import fold
from flows import keywords
from flows.payloads import QuestionButton
from flows.questionnaires import QuestionnaireSet, default_questionnaires
from nlu.service import NluService
from safety.crypto import KeyRing
from safety.disguise import preview, revealing_preview
from safety.windows import is_open
from scheduler.runner import WaveRunner
from tests.property.her_world import Arrival, Arrivals, Record, read_record
from tests.support.her_phone import DURESS, PIN, HerPhone, her_phone
from tests.support.notices import drafted, worker

# -- known until merge ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """A violation of issue 22's item `item` (fixed on another branch), or one this test found that is
    not fixed yet (`item` None, `example` the test in test_found_bugs.py that shows it from his side):
    `invariant` is the promise it breaks, `what` how it shows here."""

    item: int | None
    invariant: str
    what: str
    example: str | None = None

    def __str__(self) -> str:
        where = f"issue 22 item {self.item}" if self.item is not None else f"found here, {self.example}"
        return f"{where} ({self.invariant}: {self.what})"


KNOWN_UNTIL_MERGE: dict[str, Known] = {
    # Items 1-11 are merged into this branch (merge of main, 02:00): every entry they needed is gone. While
    # a fix is on another branch, add it here, e.g.
    # "pin-in-open-checkin": Known(1, "a", "a PIN typed while a check-in is open stays on her Telegram screen"),
}

# Found by this test, not among items 1-11, not fixed here (too big, or outside flows/safety): each has a
# named example test marked xfail in test_found_bugs.py. Delete the entry with the fix.
FOUND_NOT_FIXED: dict[str, Known] = {}  # the bugs this test found are fixed (tests/property/test_found_bugs.py)
KNOWN_UNTIL_MERGE.update(FOUND_NOT_FIXED)
met_known: set[str] = set()  # the entries this run met (the test ends as xfail naming them)


PUT_TO_THE_TEST: Counter[str] = Counter()  # how often each promise met a case that tests it (printed at the end)


def event(what: str) -> None:
    """Counted for the run's statistics: which promises were put to the test, how often."""
    PUT_TO_THE_TEST[what] += 1
    if currently_in_test_context():
        hypothesis_event(what)


def known(key: str, holds: bool) -> bool:
    """True when a violation is the known one `key` (and records that it was met)."""
    if holds and key in KNOWN_UNTIL_MERGE:
        met_known.add(key)
        return True
    return False


# -- the run's size --------------------------------------------------------------------------------------

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "5"))
STEPS = int(os.environ.get("PROPERTY_STEPS", "25"))
SHRINK = os.environ.get("PROPERTY_SHRINK") == "1"  # soak: the shortest failing sequence; CI: bounded time
PHASES = (Phase.explicit, Phase.generate, Phase.shrink) if SHRINK else (Phase.explicit, Phase.generate)
RANDOM = os.environ.get("PROPERTY_RANDOM") == "1"  # soak: new sequences each run; CI: the same every run
CHANNELS = ("telegram", "sms", "simulator")
WRONG = "1357"
ALL_DAY = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]
EVENINGS = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "18:00", "end": "20:00"}]
MORNINGS = [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "12:00"}]
WINDOWS = {"all day": ALL_DAY, "evenings": EVENINGS, "weekday mornings": MORNINGS, "none": []}
JUMPS = (timedelta(minutes=2), timedelta(minutes=20), timedelta(minutes=61), timedelta(hours=4),
         timedelta(hours=9), timedelta(days=1), timedelta(days=3))
NOTICE_KINDS = (("dropped_out", {}), ("risk_raised", {}), ("completed", {}), ("new_incident", {}),
                ("excluded", {"reason_class": "violence_threat"}))

# what she types, per locale: command words (exact and inside sentences), numbers, danger, free text
WORDS = {
    "en": ["MENU", "menu", "EXIT", "STOP", "START", "HELP", "NUMBERS", "yes", "no", "later", "skip", "continue",
           "1", "2", "3", "5", "7", "12", "13", "0", "hello", "thanks, ok", "he is here help me",
           "i want to end my life", "he hit me last night", "please stop the garden tips for a while",
           "exit the menu please", "Mon-Fri 9-12", "07700 900123", "look", "<b>hi</b>",
           "i took all my tablets i just want it to stop", "can someone ring me please", "Ring me"],
    "de": ["MENÜ", "menü", "RAUS", "STOPP", "START", "HILFE", "NUMMERN", "ja", "nein", "später", "weiter",
           "1", "2", "3", "5", "7", "12", "13", "0", "hallo", "danke", "er ist hier, hilfe",
           "er hat mich gestern geschlagen", "bitte stopp die gartentipps", "Mo-Fr 9-12", "0170 1234567",
           "schau", "bitte rufen Sie mich an"],
}
EXIT_WORDS = keywords.EXIT
QUESTION_STARTS: dict[str, list[str]] = {}
_QUESTIONNAIRES: list[QuestionnaireSet] = []


def questionnaires() -> QuestionnaireSet:
    if not _QUESTIONNAIRES:
        _QUESTIONNAIRES.append(default_questionnaires())
    return _QUESTIONNAIRES[0]


def question_starts(locale: str) -> list[str]:
    """The first 30 characters of every check-in question, cover and plain wording (folded)."""
    if locale not in QUESTION_STARTS:
        starts: list[str] = []
        for (loc, _qid, _v), q in questionnaires().by_key.items():
            if loc != locale:
                continue
            for item in q.items:
                for wording in (item.wording, item.cover_wording):
                    if wording:
                        starts.append(fold(wording)[:30])
        QUESTION_STARTS[locale] = starts
    return QUESTION_STARTS[locale]


# -- one step ------------------------------------------------------------------------------------------


@dataclass
class Step:
    """What happened in one step, for the invariants: who acted, what she typed or pressed."""

    kind: str  # "her" / "worker" / "time"
    text: str | None = None
    payload: str | None = None  # the button she pressed (SMS: the one her number names)
    before: Record | None = None


class Violation(AssertionError):
    pass


class ConversationEngine(RuleBasedStateMachine):
    """Her, the workers and the clock against the running service; `channel` set per run."""

    channel = "telegram"
    runner: asyncio.Runner
    env: dict[str, object]
    keyring: KeyRing
    workdir: Path
    nlu: NluService
    examples = 0

    def __init__(self) -> None:
        super().__init__()
        self.stack = AsyncExitStack()
        self.her: HerPhone | None = None
        self.rec = Record()
        self.locale = "en"
        self.pins: dict[str, str] = {}  # digits -> "pin" / "duress", as her record holds them
        self.pin_hashes: tuple[str | None, str | None] = (None, None)
        self.after_exit = False  # quick exit happened and she has not written since
        self.exit_rows = 0  # outbox rows when she quit
        self.seen_sent: set[int] = set()
        self.arrivals: Arrivals | None = None
        self.db: Path | None = None

    # -- set-up and tear-down ----------------------------------------------------------------------------

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)

    @initialize(locale=st.sampled_from(("en", "de")), start=st.sampled_from(("enrolled", "unlocked", "invited")),
                windows=st.sampled_from(sorted(WINDOWS)))
    def begin(self, locale: str, start: str, windows: str) -> None:
        type(self).examples += 1
        PUT_TO_THE_TEST["sequence"] += 1
        self.db = db = self.workdir / f"{self.channel}-{type(self).examples}.db"
        shutil.copy(self.workdir / "template.db", db)
        env = {**self.env, "DATABASE_URL": f"sqlite:///{db}"}
        self.her = self.run(self.stack.enter_async_context(
            her_phone(self.channel, env, self.keyring, timers=False, nlu=self.nlu)))
        self.arrivals = Arrivals(self.her)
        self.locale = locale
        country = "DE" if locale == "de" else "GB"
        if start in ("enrolled", "unlocked"):
            # "unlocked": her PIN was given a moment ago, so the flows behind it are a tap away
            until = self.her.clock() + timedelta(minutes=30) if start == "unlocked" else None
            state = {"flow": "menu", "step": "main", **({"unlocked_until": until.isoformat()} if until else {})}
            self.run(self.her.enrolled(locale=locale, country=country, contact_windows=WINDOWS[windows],
                                       timezone="Europe/London", state=state))
            self.run(self.after(Step("worker"), None))
        else:
            self.run(self.after(Step("worker"), self.her.invitation(locale=locale, country=country)))

    def teardown(self) -> None:
        self.run(self.stack.aclose())
        if self.db is not None:
            self.db.unlink(missing_ok=True)

    # -- what she does -------------------------------------------------------------------------------------

    @rule(data=st.data())
    def she_taps(self, data: st.DataObject) -> None:
        """Any button on her screen, the newest first (old ones too: spent buttons); on SMS a line's number."""
        her = self.her
        assert her is not None
        if her.twilio is not None:
            latest = self.latest_buttons()
            number = data.draw(st.integers(1, max(len(latest), 1) + 1), label="number")
            self.run(self.she("text", str(number), her.send(str(number))))
            return
        buttons = [(int(m["message_id"]), payload)
                   for m in reversed(her.bot_messages()) for payload, _label in m["buttons"]]
        if not buttons:
            return
        message_id, payload = data.draw(st.sampled_from(buttons), label="button")
        self.run(self.she("button", payload, her.press(message_id, payload)))

    @rule(data=st.data())
    def she_types(self, data: st.DataObject) -> None:
        her = self.her
        assert her is not None
        words = WORDS[self.rec.locale if self.rec.sid else self.locale]
        text = data.draw(st.sampled_from(words), label="text")
        self.run(self.she("text", text, her.send(text)))

    @precondition(lambda self: self.rec.status == "active")
    @rule()
    def she_asks_for_a_call_back(self) -> None:
        """The menu's "Ring me" (a chat's button stays pressable; on SMS her words): the way to promise (i)."""
        her = self.her
        assert her is not None
        ours = [m for m in her.bot_messages()
                if any(payload == "menu:callback" for payload, _label in m.get("buttons") or [])]
        if her.twilio is not None or not ours:
            text = "bitte rufen Sie mich an" if self.rec.locale == "de" else "can someone ring me please"
            self.run(self.she("text", text, her.send(text)))
            return
        message_id = int(ours[-1]["message_id"])
        self.run(self.she("button", "menu:callback", her.press(message_id, "menu:callback")))

    @rule(which=st.sampled_from((PIN, DURESS, WRONG)))
    def she_types_a_pin(self, which: str) -> None:
        her = self.her
        assert her is not None
        self.run(self.she("text", which, her.send(which)))

    # -- what workers do, and time -------------------------------------------------------------------------

    @precondition(lambda self: self.rec.status == "active" and len(self.rec.notices) < 3)  # a few are enough
    @rule(kind=st.sampled_from(NOTICE_KINDS))
    def a_notice_is_approved(self, kind: tuple[str, dict[str, str]]) -> None:
        self.run(self.after(Step("worker"), self.approve(kind[0], **kind[1])))

    @precondition(lambda self: self.rec.status == "active")
    @rule()
    def a_worker_writes_to_her(self) -> None:
        """A worker claims an alert of hers and writes from the console (issue 28): from then her free
        text goes to that worker until her quick exit, STOP, the idle time or the worker ends it."""
        self.run(self.after(Step("worker"), self.worker_writes()))

    @rule(jump=st.sampled_from(JUMPS))
    def time_passes(self, jump: timedelta) -> None:
        self.run(self.after(Step("time"), self.tick(jump)))

    # -- doing it ----------------------------------------------------------------------------------------

    async def approve(self, kind: str, **event: str) -> None:
        her = self.her
        assert her is not None and self.rec.sid is not None
        made = await drafted(her.svc, self.rec.sid, kind, **event)
        if made is None:
            return
        ana, sam = await worker(her.svc, "ana", ["liaison"]), await worker(her.svc, "sam", ["supervisor"])
        async with her.svc.db.transaction() as s:
            row = await s.get(type(made), made.id)
            await review.approve(s, row, ana, her.clock())
            if row.urgent:
                await review.second_approve(s, row, sam, her.clock())
        her.svc.dispatcher.wake()
        await her.settled()

    async def worker_writes(self) -> None:
        her = self.her
        assert her is not None and self.rec.sid is not None
        ana = await worker(her.svc, "ana", ["liaison"])
        now = her.clock()
        async with her.svc.db.transaction() as s:
            esc = await raise_escalation(s, survivor_id=self.rec.sid, priority="high", reason="feeling_unsafe",
                                         now=now)
            esc.holder_id, esc.status, esc.claimed_at = ana.id, "claimed", now
            wrote = await live_chat.write(s, esc, ana, "Are you free for a quick chat?", now)  # type: ignore[arg-type]
        if not isinstance(wrote, live_chat.Refused):
            event("c, d, f: a worker writes to her and holds her conversation")
        her.svc.dispatcher.wake()
        await her.settled()

    async def tick(self, jump: timedelta) -> None:
        """The clock moves on (the fake Bot API's too: its 48-hour deletion window), then what the
        scheduler would run: the safety tick (expiry, route re-checks, erasures) and the waves' tick."""
        her = self.her
        assert her is not None
        her.clock.advance(jump)
        if her.telegram is not None:
            her.telegram.advance(jump.total_seconds())
        await WaveRunner.safety_for_service(her.svc, persistent=False).run_now()
        await WaveRunner.for_service(her.svc, persistent=False).run_now()
        her.svc.dispatcher.wake()
        await her.settled()

    async def she(self, kind: str, value: str, action: Any) -> None:
        before = self.rec
        payload = value if kind == "button" else self.numbered_payload(value)
        step = Step("her", text=value if kind == "text" else None, payload=payload, before=before)
        await self.after(step, action)

    async def after(self, step: Step, action: Any) -> None:
        if step.before is None:
            step.before = self.rec
        if action is not None:
            await action
        her = self.her
        assert her is not None and self.arrivals is not None
        self.rec = await read_record(her)
        PUT_TO_THE_TEST["step"] += 1
        arrived = self.arrivals.new()
        self.learn_pins()
        self.check(step, arrived)

    def latest_buttons(self) -> list[list[str]]:
        """The buttons of the newest message of ours that had some (SMS: what her numbers name)."""
        for row in reversed(self.rec.outbox):
            if row.kind == "send" and row.status == "sent" and row.buttons:
                return [list(b) for b in row.buttons]
        return []

    def numbered_payload(self, text: str) -> str | None:
        """On SMS, the option a number she types names: a numbered line, or on a 0-10 question the value."""
        her = self.her
        if her is None or her.twilio is None or not text.isdigit():
            return None
        latest = self.latest_buttons()
        answers = [b for b in (QuestionButton.unpack(p) for p, _label in latest) if b and b.action == "answer"]
        if answers and all((b.code or "").isdigit() for b in answers):  # a 0-10 scale: the number is the value
            match = next((b for b in answers if b.code == str(int(text))), None)
            return match.pack() if match else None
        n = int(text)
        return latest[n - 1][0] if 1 <= n <= len(latest) else None

    def learn_pins(self) -> None:
        """Which digits are her PIN and her duress PIN (an enrolment by invitation lets her choose)."""
        hashes = (self.rec.pin_hash, self.rec.duress_hash)
        if hashes == self.pin_hashes:
            return
        self.pin_hashes = hashes
        her = self.her
        assert her is not None
        hasher = her.svc.pin_hasher
        self.pins = {}
        for digits in (PIN, DURESS, WRONG):
            if hashes[0] and hasher.matches(hashes[0], digits):
                self.pins[digits] = "pin"
            elif hashes[1] and hasher.matches(hashes[1], digits):
                self.pins[digits] = "duress"

    # -- the invariants ----------------------------------------------------------------------------------

    def check(self, step: Step, arrived: list[Arrival]) -> None:
        before, now = step.before or Record(), self.rec
        if step.kind == "her":
            self.after_exit = False
        self.pin_never_stays(step, before, arrived)  # a
        self.duress_is_a_wrong_pin_that_tells(step, before, arrived)  # b
        self.quick_exit_leaves_only_cover(step, before, arrived)  # c and g (quick exit)
        self.previews_are_clean(arrived)  # d
        self.answers_are_what_she_chose(step, before)  # e
        self.only_inside_her_windows(step)  # f
        self.silencing_only_on_command(step, before)  # g (STOP, erasure)
        self.buttons_carry_the_exit(arrived, step)  # h
        self.promises_are_kept(before, now)  # i

    def fail(self, invariant: str, message: str) -> None:
        raise Violation(f"invariant {invariant}: {message}")

    # a
    def pin_never_stays(self, step: Step, before: Record, arrived: list[Arrival]) -> None:
        her = self.her
        assert her is not None
        secret = {d for d, role in self.pins.items()}
        if not secret:
            return
        if step.text is not None and keywords.digits_only(step.text) in secret:
            event("a: her PIN or duress PIN typed")
        if her.twilio is None:
            kept = [t for t in her.her_messages() if keywords.digits_only(t) in secret]
            if kept and not known("pin-in-open-checkin", before.open_wave is not None or now_open(self.rec)):
                self.fail("a", f"her PIN message stays on her screen: {len(kept)} of them")
        for a in arrived:
            if any(re.search(rf"(?<!\d){d}(?!\d)", a.text) for d in secret):
                self.fail("a", "a PIN of hers is echoed in our message")

    # b
    def duress_is_a_wrong_pin_that_tells(self, step: Step, before: Record, arrived: list[Arrival]) -> None:
        duress = next((d for d, role in self.pins.items() if role == "duress"), None)
        raised = [e for e in self.rec.escalations if e[2] == "duress_pin" and e not in before.escalations]
        typed = step.kind == "her" and step.text is not None and duress is not None \
            and keywords.digits_only(step.text) == duress
        if raised and not typed:
            self.fail("b", "a duress escalation without her duress PIN")
        if not typed or not self.pin_accepted(before):
            return
        event("b: her duress PIN where a PIN is accepted")
        if before.open_wave is not None and known("duress-in-open-checkin", len(raised) != 1):
            return
        if len(raised) != 1 or raised[0][1] != "urgent":
            self.fail("b", f"her duress PIN at a PIN prompt raised {len(raised)} urgent escalations, not one")
        wrong_lead = {catalog.text(before.locale, "pin.not_recognised"), catalog.text(before.locale, "pin.locked")}
        if len(arrived) != 1 or not any(lead in arrived[0].text for lead in wrong_lead):
            self.fail("b", f"her duress PIN did not show exactly the wrong-PIN screen: {[a.text for a in arrived]}")

    def pin_accepted(self, before: Record) -> bool:
        """Where she may type a PIN to unlock: at the PIN prompt, or at the menu (an unlock attempt)."""
        if before.status != "active":
            return False
        return before.flow == ("pin", "unlock") or before.flow[0] in (None, "menu")

    # c (and g for quick exit)
    def quick_exit_leaves_only_cover(self, step: Step, before: Record, arrived: list[Arrival]) -> None:
        her = self.her
        assert her is not None
        exits = [a for a in self.rec.audit if a[1] == "quick_exit" and a not in before.audit]
        if exits:
            exact = step.kind == "her" and (
                fold(step.text) in EXIT_WORDS or step.payload == "menu:exit"
                or (step.text is not None and fold(step.text) == (before.state.get("exit_word") or "\0")))
            free_text = step.text is not None and keywords.has_letters(step.text)
            if not exact and not known("stop-or-exit-from-a-guess", free_text):
                self.fail("g", f"quick exit after {step.text or step.payload!r}, not an exact command word or button")
            self.after_exit, self.exit_rows = True, len(self.rec.outbox)
            event("c: quick exit")
            if her.twilio is None:
                screen = deletable_screen(her)
                ours = [m for m in screen if m["from"] == "bot"]
                if len(screen) != 1 or len(ours) != 1 or ours[0]["buttons"]:
                    self.fail("c", f"after quick exit her screen holds {len(ours)} of ours and "
                                   f"{len(screen) - len(ours)} of hers, not one cover message")
            elif arrived:
                self.fail("c", "an SMS arrived with her quick exit")
            return
        if self.after_exit and step.kind != "her" and arrived:
            keys = [r.text_key for r in self.rec.outbox[self.exit_rows:] if r.kind == "send"]
            unasked = {k for k in keys if k != "route.check"}  # quick exit's own re-check, a day later
            if unasked and known("no-pause-after-exit-in-a-chat", her.twilio is None
                                 and unasked <= {"notice.preview", "checkin.opening", "checkin.reminder"}):
                return
            if unasked:
                self.fail("c", f"after quick exit, before she wrote, we sent {keys}")

    # d
    def previews_are_clean(self, arrived: list[Arrival]) -> None:
        locale = self.rec.locale
        words, numbers = catalog.sensitive_pattern(locale), catalog.emergency_number_pattern(locale)
        if arrived:
            event("d: messages that reached her")
        for a in arrived:
            if self.rec.plain:
                continue  # her informed choice: plain texts may be explicit
            hits = revealing_preview(a.text, words, numbers)
            if hits:
                self.fail("d", f"the preview carries {hits}: {preview(a.text)!r}")
            shown = fold(preview(a.text))
            for start in question_starts(locale):
                if start and start in shown and not known("checkin-question-in-preview", True):
                    self.fail("d", f"a check-in question in the preview: {preview(a.text)!r}")
            for _status, _response, body in self.rec.notices.values():
                if body and fold(body)[:30] in shown:
                    self.fail("d", f"a notice's text in the preview: {preview(a.text)!r}")

    # e
    def answers_are_what_she_chose(self, step: Step, before: Record) -> None:
        changed = {k: v for k, v in self.rec.answers.items() if before.answers.get(k) != v}
        if not changed:
            return
        event("e: a check-in answer recorded")
        chosen = QuestionButton.unpack(step.payload) if step.kind == "her" else None
        for (instance, item), (value, skipped, _at) in changed.items():
            _state, qid, version = self.rec.waves[instance]
            scale = questionnaires().get(self.rec.locale, qid, version).item(item).scale
            if value is not None and value not in scale.codes():
                self.fail("e", f"answer {value!r} to {item} is not among the options offered {scale.codes()}")
            if chosen is None:
                continue
            sms_typed = self.her is not None and self.her.twilio is not None
            if chosen.action == "answer" and (chosen.item, chosen.code) != (item, value):
                if known("sms-range-numbering", sms_typed and scale.type == "range"):
                    continue
                self.fail("e", f"she chose {chosen.code!r} for {chosen.item}; recorded {value!r} for {item}")
            if chosen.action == "skip" and not (value is None and skipped):
                self.fail("e", f"she skipped {item}; recorded {value!r}")
            if chosen.action == "later":
                self.fail("e", f"she paused; an answer was recorded for {item}")

    # f
    def only_inside_her_windows(self, step: Step) -> None:
        rec = self.rec
        for row in rec.outbox:
            if row.id in self.seen_sent or row.status != "sent" or row.kind != "send":
                continue
            self.seen_sent.add(row.id)
            if row.is_reply or row.urgent or rec.sid is None or row.sent_at is None:
                continue
            event("f: a message we started")
            if not is_open(rec.windows, rec.timezone, row.sent_at):
                self.fail("f", f"{row.text_key} sent at {row.sent_at:%a %H:%M} UTC, outside her windows")

    # g (STOP and erasure)
    def silencing_only_on_command(self, step: Step, before: Record) -> None:
        text = fold(step.text) if step.text is not None else None
        channel = self.her.channel if self.her else ""
        stop_words = keywords.STOP | (keywords.SMS_STOP if channel == "sms" else frozenset())
        if self.rec.status == "stopped" and before.status not in ("stopped", None):
            event("g: stopped")
            exact = step.kind == "her" and (text in stop_words or step.payload == "menu:stop")
            free_text = step.text is not None and keywords.has_letters(step.text)
            if not exact and not known("stop-or-exit-from-a-guess", free_text):
                self.fail("g", f"STOP after {step.text or step.payload!r}, not an exact command word or button")
        erasing = [a for a in self.rec.audit if a[1] == "erase.requested" and a not in before.audit]
        if erasing:
            event("g: erasure")
        if erasing and not (step.kind == "her" and step.payload == "erase:2"):
            self.fail("g", f"erasure after {step.text or step.payload!r}, not its button")

    # h
    def buttons_carry_the_exit(self, arrived: list[Arrival], step: Step) -> None:
        for a in arrived:
            if a.payloads:
                event("h: a message with buttons")
            if a.payloads and "menu:exit" not in a.payloads:
                if known("danger-reply-without-exit", a.payloads == ("menu:callback",)):
                    continue
                if known("exit-button-only-on-menus", "menu:info" not in a.payloads):
                    continue
                self.fail("h", f"a message with buttons {list(a.payloads)} but no exit button: {preview(a.text)!r}")

    # i
    def promises_are_kept(self, before: Record, now: Record) -> None:
        new_rows = [r for r in now.outbox if r.id not in {b.id for b in before.outbox} and r.kind == "send"]
        keys = [r.text_key for r in new_rows]
        new_callbacks = [c for c in now.callbacks if c not in before.callbacks]
        for key in {"callback.done", "notice.ring_noted", "notice.thanks"} & set(keys):
            event(f"i: {key}")
        if "callback.done" in keys:
            if not new_callbacks or not all(windows for _id, windows, _phone in new_callbacks):
                self.fail("i", "told the call-back is booked, but no call-back with a time was recorded")
        if "notice.ring_noted" in keys:
            timed = new_callbacks and all(windows for _id, windows, _phone in new_callbacks)
            if not timed and not known("ring-me-without-times", not now.windows):
                self.fail("i", "told we will ring at one of her good times, but no call-back with a time")
        if "notice.thanks" in keys:
            if not any(n[1] == "got_it" and before.notices.get(i, (None, None, ""))[1] != "got_it"
                       for i, n in now.notices.items()):
                self.fail("i", "thanked for acknowledging a notice that was not recorded as acknowledged")


def now_open(rec: Record) -> bool:
    return rec.open_wave is not None


def deletable_screen(her: HerPhone) -> list[dict[str, Any]]:
    """Her screen as quick exit can clear it: on Telegram a bot may delete only messages younger than 48
    hours (older ones hold cover content only: sensitive ones expire within 24 hours)."""
    if her.telegram is not None:
        fake = her.telegram
        return [m for m in fake.screen(int(her.address)) if fake.now() - m["date"] < 48 * 3600 - 15 * 60]
    assert her.simulator is not None
    return [{**m, "message_id": m["id"]} for m in her.simulator.transcript(her.address)]


# -- the runs ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    work = tmp_path_factory.mktemp("property")
    shutil.copy(sqlite_template, work / "template.db")
    return work


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_promise_holds_in_every_state_she_can_reach(channel: str, template_dir: Path,
                                                          nlu_cache_dir: Path) -> None:
    keyring = KeyRing.generate(template_dir / f"keys-{channel}.json")
    env: dict[str, object] = {
        "NLU_CACHE_DIR": nlu_cache_dir, "LIAISON_ENV": "test", "LIAISON_KEY_FILE": keyring.path,
        "LIAISON_SIMULATOR": channel == "simulator", "OUTBOX_BASE_BACKOFF_SECONDS": 0.01,
        "OUTBOX_POLL_SECONDS": 0.05,
    }
    met_known.clear()
    PUT_TO_THE_TEST.clear()
    nlu = NluService(cache_dir=nlu_cache_dir)
    for locale in ("en", "de"):
        nlu.model(locale)  # loaded once, shared by every example's service
    with asyncio.Runner() as runner:
        machine = type(f"ConversationEngineOn{channel.title()}", (ConversationEngine,), {
            "channel": channel, "runner": runner, "env": env, "keyring": keyring, "workdir": template_dir, "nlu": nlu,
        })
        run_state_machine_as_test(machine, settings=settings(
            max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
            derandomize=not RANDOM, phases=PHASES,
            suppress_health_check=list(HealthCheck), print_blob=True,
        ))
    sequences, steps = PUT_TO_THE_TEST.pop("sequence", 0), PUT_TO_THE_TEST.pop("step", 0)
    print(f"\n{channel}: {sequences} sequences, {steps} steps; put to the test: "
          + ", ".join(f"{k} x{n}" for k, n in sorted(PUT_TO_THE_TEST.items())))
    if met_known:
        pytest.xfail("known until merge: " + "; ".join(str(KNOWN_UNTIL_MERGE[k]) for k in sorted(met_known)))


def tap(machine: ConversationEngine, fragment: str) -> bool:
    """Press the newest button whose label holds `fragment` (on SMS: send its line's number)."""
    her = machine.her
    assert her is not None
    if her.twilio is not None:
        for number, (_payload, label) in enumerate(machine.latest_buttons(), start=1):
            if fragment.lower() in label.lower():
                machine.run(machine.she("text", str(number), her.send(str(number))))
                return True
        return False
    for m in reversed(her.bot_messages()):
        for payload, label in m.get("buttons") or []:
            if fragment.lower() in label.lower():
                machine.run(machine.she("button", payload, her.press(int(m["message_id"]), payload)))
                return True
    return False


@pytest.mark.parametrize("channel", ("telegram", "sms"))
def test_the_promises_of_a_read_notice_and_a_call_back_are_put_to_the_test(channel: str, template_dir: Path,
                                                                          nlu_cache_dir: Path) -> None:
    """The generated runs seldom reach (i) at CI size: one journey through the same machine, with every
    invariant checked after each step, reads a notice, says "Got it" and asks to be rung."""
    keyring = KeyRing.generate(template_dir / f"keys-journey-{channel}.json")
    env: dict[str, object] = {
        "NLU_CACHE_DIR": nlu_cache_dir, "LIAISON_ENV": "test", "LIAISON_KEY_FILE": keyring.path,
        "LIAISON_SIMULATOR": False, "OUTBOX_BASE_BACKOFF_SECONDS": 0.01, "OUTBOX_POLL_SECONDS": 0.05,
    }
    PUT_TO_THE_TEST.clear()
    with asyncio.Runner() as runner:
        machine_class = type(f"JourneyOn{channel.title()}", (ConversationEngine,), {
            "channel": channel, "runner": runner, "env": env, "keyring": keyring, "workdir": template_dir,
            "nlu": NluService(cache_dir=nlu_cache_dir)})
        machine = machine_class()
        try:
            machine.begin("en", "enrolled", "all day")  # locked: reading the notice asks for her PIN
            machine.a_notice_is_approved(("completed", {}))
            her = machine.her
            assert her is not None
            if her.twilio is not None:  # SMS: the preview says "reply 1 to read"
                machine.run(machine.she("text", "1", her.send("1")))
            else:
                assert tap(machine, "read")
            machine.she_types_a_pin(PIN)
            tap(machine, "send it anyway")  # SMS: the note says plainly what it is about; she chooses
            assert tap(machine, "got it")
            machine.she_asks_for_a_call_back()
            for fragment in ("this number", "any", "yes", "confirm"):
                tap(machine, fragment)
        finally:
            machine.teardown()
    assert PUT_TO_THE_TEST["i: notice.thanks"] >= 1, dict(PUT_TO_THE_TEST)
