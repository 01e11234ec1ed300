"""The check-in flow, pure: one question at a time, buttons or numbered replies, skip and later
always, resumable, answers recorded at once, triage raised at the right moment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.channels.registry import capabilities
from bot.waves.checkin_io import render_checkin
from flows.checkin import CheckinContext, CheckinStep, FinishWave, Progress, RecordAnswer, start, step
from flows.questionnaires import load_questionnaires
from flows.types import RaiseEscalation, UserInput
from safety.triage import default_rules

QS = load_questionnaires()
CHECKIN = QS.get("en", "checkin", "1")
FULL = QS.get("en", "full", "1")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
IID = 41


class Session:
    """Plays a conversation: keeps what the I/O side would store, feeds each reply to the flow."""

    def __init__(self, q=CHECKIN, previous: dict[str, str] | None = None, plain: bool = False) -> None:
        self.q, self.previous, self.plain = q, previous or {}, plain
        self.progress = Progress()
        self.answers: dict[str, str | None] = {}
        self.records: list[RecordAnswer] = []
        self.escalations: list[RaiseEscalation] = []
        self.finished = False

    def ctx(self) -> CheckinContext:
        return CheckinContext(self.q, IID, dict(self.answers), self.previous, default_rules(), self.plain, "GB")

    def send(self, text: str | None = None, button: str | None = None) -> CheckinStep | None:
        res = step(self.ctx(), self.progress, UserInput("simulator", NOW, text=text, button=button))
        if res is not None:
            self._apply(res)
        return res

    def _apply(self, res: CheckinStep) -> None:
        self.progress = res.progress
        for e in res.effects:
            if isinstance(e, RecordAnswer):
                self.records.append(e)
                self.answers[e.item] = e.value
            elif isinstance(e, FinishWave):
                self.finished = True
            elif isinstance(e, RaiseEscalation):
                self.escalations.append(e)

    @property
    def asking(self) -> str | None:
        return self.progress.item if self.progress.stage == "asking" else None


def keys(res: CheckinStep | None) -> list[str]:
    assert res is not None
    return [s.params.get("text") or s.params.get("item") or s.key for s in res.says]


def test_she_starts_with_the_button_and_answers_one_question_at_a_time() -> None:
    s = Session()
    res = s.send(button=f"wave:{IID}:start")
    assert keys(res) == ["intro", "fear"] and s.asking == "fear"
    fear_q = res.says[1]
    assert fear_q.sensitive is False  # cover wording: nothing explicit (plain mode: see below)
    assert [o.payload for o in fear_q.options] == [f"cq:{IID}:fear:{c}" for c in
                                                   ("never", "rarely", "sometimes", "often", "always")] + \
        [f"cq:{IID}:skip", f"cq:{IID}:later"]
    assert keys(s.send(button=f"cq:{IID}:fear:rarely")) == ["safe"]
    assert keys(s.send(text="8")) == ["incident"]  # a 0-10 scale: the number is the value
    res = s.send(text="2")  # "No": option number 2
    assert keys(res) == ["thanks"] and s.finished
    assert [(r.item, r.value) for r in s.records] == [("fear", "rarely"), ("safe", "8"), ("incident", "no")]
    assert s.escalations == [RaiseEscalation("routine", "checkin_review", False)]
    assert s.send(text="hello") is None  # done: other flows get her messages again


def test_follow_up_questions_only_after_an_incident_and_urgent_at_once() -> None:
    s = Session()
    s.send(text="1")  # "1" on the opening message: start
    s.send(text="always")
    s.send(text="3")
    res = s.send(text="yes")
    assert keys(res) == ["danger_now"]
    res = s.send(text="1")  # yes, in danger now
    assert [say.key for say in res.says][0] == "emergency.numbers"
    assert res.says[0].urgent is True and res.says[0].params == {"country": "GB"}
    assert s.escalations == [RaiseEscalation("urgent", "danger_now", False)]
    # she is in danger now: the questions stop; the team has been told and a call-back is offered
    assert [say.key for say in res.says] == ["emergency.numbers", "danger.team_told"]
    assert s.asking is None and s.progress.stage == "paused" and not s.finished
    s.send(text="continue")  # later, when it is safe, she can go on where she was
    assert s.asking == "beh_physical"
    for _ in range(4):
        s.send(text="no")
    assert s.finished and len(s.escalations) == 1  # nothing more urgent: no second escalation


def test_child_protection_raises_again_at_the_end_with_the_flag() -> None:
    s = Session()
    s.send(button=f"wave:{IID}:start")
    for reply in ("sometimes", "5", "yes", "no", "no", "no", "no"):
        s.send(text=reply)
    s.send(button=f"cq:{IID}:beh_children:yes")
    assert s.finished
    assert s.escalations == [RaiseEscalation("routine", "checkin_review", True)]


def test_skip_and_later_work_on_every_question_and_she_can_resume() -> None:
    s = Session()
    s.send(button=f"wave:{IID}:start")
    s.send(text="skip")
    assert s.records[-1] == RecordAnswer("fear", None, None, True) and s.asking == "safe"
    res = s.send(text="later")
    assert keys(res) == ["paused"] and s.progress.stage == "paused"
    assert s.escalations == []  # nothing answered yet: nothing to triage
    assert s.send(text="what's the weather") is None  # paused: not for the check-in
    res = s.send(text="continue")
    assert keys(res) == ["resumed", "safe"]
    s.send(button=f"cq:{IID}:skip")
    s.send(text="4")  # incident: 2 options, then 3 = skip, 4 = later
    assert s.progress.stage == "paused"
    res = s.send(button=f"cq:{IID}:incident:no")  # a button of the question she paused at: resumes
    assert keys(res) == ["thanks"] and s.finished


def test_invalid_replies_and_stale_buttons_repeat_the_question() -> None:
    s = Session()
    s.send(button=f"wave:{IID}:start")
    res = s.send(text="purple")
    assert keys(res) == ["invalid", "fear"] and not s.records
    s.send(text="never")
    res = s.send(text="11")
    assert keys(res) == ["invalid_range", "safe"] and res.says[0].params["max"] == 10
    res = s.send(button=f"cq:{IID}:fear:always")  # the earlier question's button
    assert keys(res) == ["safe"] and len(s.records) == 1
    assert s.send(button="cq:999:safe:3") is None  # another wave's button: not this one
    assert s.send(button="menu:numbers") is None  # other flows' buttons pass through


def test_a_rise_in_fear_since_her_previous_answers_is_high() -> None:
    s = Session(previous={"fear": "rarely"})
    s.send(button=f"wave:{IID}:start")
    for reply in ("often", "3", "no"):
        s.send(text=reply)
    assert s.escalations == [RaiseEscalation("high", "fear_rose", False)]


def test_stopping_midway_triages_what_she_said_so_far() -> None:
    s = Session(q=FULL)
    s.send(button=f"wave:{IID}:start")
    for reply in ("sometimes", "6", "no", "no", "no", "yes"):  # ... beh_threats yes
        s.send(text=reply)
    s.send(text="later")
    assert s.escalations == [RaiseEscalation("high", "threats", False)]
    s.send(text="continue")
    for reply in ("no", "no", "no", "no", "no", "3", "4"):
        s.send(text=reply)
    assert s.asking == "comment"
    s.send(text="He has been calmer lately.")
    assert s.finished and s.records[-1] == RecordAnswer("comment", None, "He has been calmer lately.", False)
    assert len(s.escalations) == 1  # nothing more than what was raised at the pause


def test_not_now_keeps_the_wave_open() -> None:
    s = Session()
    res = s.send(button=f"wave:{IID}:later")
    assert keys(res) == ["not_now"] and s.progress.stage == "invited"
    assert s.send(text="hi") is None
    assert keys(start(s.ctx(), s.progress)) == ["intro", "fear"]


def test_rendered_questions_use_cover_wording_unless_plain_mode() -> None:
    s = Session()
    res = s.send(button=f"wave:{IID}:start")
    body, buttons = render_checkin(res.says[1], "en")
    assert body == CHECKIN.item("fear").cover_wording
    assert [b.label for b in buttons] == ["Never", "Rarely", "Sometimes", "Often", "Always", "Skip", "Later"]
    plain = Session(plain=True)
    res = plain.send(button=f"wave:{IID}:start")
    assert render_checkin(res.says[1], "en")[0] == CHECKIN.item("fear").wording
    assert res.says[1].sensitive is True  # explicit: after her PIN only, and it expires
    res = s.send(text="never")
    body, buttons = render_checkin(res.says[0], "de")
    assert body.startswith("Wie wohl fühlen Sie sich") and "Zahl von 0 (gar nicht) bis 10 (völlig)" in body
    assert [b.label for b in buttons][-2:] == ["Überspringen", "Später"]


def test_words_that_work_everywhere_are_left_to_the_router() -> None:
    s = Session()
    s.send(button=f"wave:{IID}:start")
    for word in ("STOP", "x", "numbers", "help", "menu", "start", "0"):  # "0" is the menu on fear
        assert s.send(text=word) is None, word
    assert s.send(button="menu:exit") is None
    sms = Session()
    sms.send(button=f"wave:{IID}:start")
    on_sms = replace(sms.ctx(), carrier_stop_words=capabilities("sms").carrier_stop_words)
    assert step(on_sms, sms.progress, UserInput("sms", NOW, text="cancel")) is None  # an SMS opt-out word
    s.send(text="never")
    assert s.asking == "safe"
    s.send(text="0")  # on the 0-10 question "0" is her answer, not the menu
    assert s.records[-1] == RecordAnswer("safe", "0") and s.asking == "incident"


def test_a_typed_1_starts_only_when_the_opening_is_her_latest_message() -> None:
    s = Session()
    ctx = CheckinContext(CHECKIN, IID, {}, {}, default_rules(), numbered_opening=False)
    assert step(ctx, Progress(), UserInput("sms", NOW, text="1")) is None
    assert keys(s.send(text="1")) == ["intro", "fear"]
