"""The one router's declared precedence, and the rules that used to live in the engine, pure: her
open check-in, the plain-mode PIN gate before it, a notice under its preview, and her PIN opening
what she asked for (a notice, her check-in) instead of the menu."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from flows import router, rules
from flows.flow_state import CheckinPosition, PinData
from flows.notice import PREVIEW_KEY, payload
from flows.payloads import QuestionButton, WaveButton
from flows.questionnaires import load_questionnaires
from flows.types import (
    FinishCheckin,
    ForgetInbound,
    NoticeOpened,
    NoticeView,
    OpenCheckin,
    RaiseEscalation,
    RecordCheckinAnswer,
    Unprompted,
    UserInput,
)
from safety.triage import default_rules
from tests.flows.conftest import NOW, PIN, context

CHECKIN = load_questionnaires().get("en", "checkin", "1")
IID = 7
OPENED = NOW - timedelta(hours=1)
LOCKED = {"flow": "menu", "step": "main", "touched": (OPENED - timedelta(hours=1)).isoformat(),
          "options": ["menu:info", "menu:callback"]}


def with_checkin(**changes):
    return replace(context(**changes), checkin=OpenCheckin(IID, CHECKIN, sent_at=OPENED),
                   triage=default_rules())


def say(text: str | None = None, state: dict | None = None, ctx=None, button: str | None = None):
    ctx = ctx or with_checkin()
    return router.route(UserInput(ctx.channel, NOW, text=text, button=button), LOCKED if state is None else state, ctx)


def test_the_precedence_is_one_declared_list_in_this_order() -> None:
    assert [r.name for r in rules.RULES] == [
        "danger_net", "pin_typed", "to_worker", "notice", "plain_mode_gate", "open_checkin", "spent_button", "stop",
        "quick_exit", "stopped", "help", "numbers", "onboarding", "route_recheck", "timeout", "menu", "pin_gate",
        "current_flow", "nlu_fallback",
    ]
    assert rules.__doc__ is not None
    listed = [m.group(1) for m in re.finditer(r"^\s+\d+\. (\w+)", rules.__doc__, re.MULTILINE)]
    assert listed == [r.name for r in rules.RULES]  # the module's docstring lists the same order


def test_a_typed_1_after_the_opening_starts_her_check_in_and_her_place_is_kept_in_her_state() -> None:
    res = say("1")
    assert [s.params.get("text") or s.params.get("item") for s in res.says] == ["intro", "fear"]
    assert res.state.checkin == CheckinPosition(instance_id=IID, opened_at=OPENED, stage="asking", item="fear")
    assert res.state.options == () and res.state.touched == OPENED - timedelta(hours=1)  # the question is latest
    answered = say("always", res.state)
    assert RecordCheckinAnswer(IID, "fear", "always") in answered.effects
    assert answered.state.checkin is not None and answered.state.checkin.item != "fear"


def test_the_same_wave_offered_again_starts_from_the_opening_again() -> None:
    asking = say("1").state
    again = replace(with_checkin(), checkin=OpenCheckin(IID, CHECKIN, sent_at=NOW - timedelta(minutes=5)))
    res = say("1", asking, again)
    assert [s.params.get("text") for s in res.says][0] == "intro"


def test_the_last_answer_finishes_the_wave_and_stop_still_stops_in_the_middle() -> None:
    res, answers = say("1"), {}
    for _ in range(len(CHECKIN.items)):
        ctx = replace(with_checkin(), checkin=OpenCheckin(IID, CHECKIN, sent_at=OPENED, answers=dict(answers)))
        item = CHECKIN.item(res.says[-1].params["item"])
        calm = item.scale.codes()[-1] if item.scale.type == "choice" else "0"  # "never", "no"
        res = say(button=QuestionButton.answer(IID, item.code, calm).pack(), state=res.state, ctx=ctx)
        answers.update({e.item: e.value for e in res.effects if isinstance(e, RecordCheckinAnswer)})
        if FinishCheckin(IID) in res.effects:
            break
    assert FinishCheckin(IID) in res.effects and res.state.checkin is not None
    assert res.state.checkin.stage == "done"
    assert [s.key for s in say("stop", say("1").state).says] == ["stop.confirmed"]


def test_a_number_for_a_menu_shown_after_the_opening_is_the_menus() -> None:
    later = {**LOCKED, "touched": (OPENED + timedelta(minutes=5)).isoformat()}
    res = say("1", later)
    assert res.state.checkin is None and res.says[0].key == "pin.ask"  # menu:info asks for her PIN


def test_a_button_of_a_closed_wave_says_it_has_closed() -> None:
    ctx = replace(context(), closed_checkin=CHECKIN)
    res = say(button=QuestionButton(3, "skip").pack(), ctx=ctx)
    assert [s.params.get("text") for s in res.says] == ["closed"]


def test_in_plain_mode_her_pin_comes_first_and_then_opens_the_check_in_not_the_menu() -> None:
    ctx = with_checkin(plain_mode=True)
    asked = say(button=WaveButton(IID, "start").pack(), ctx=ctx)
    assert asked.says[0].key == "pin.ask" and asked.state.flow == "pin"
    opened = say(PIN, asked.state, ctx)
    assert [s.params.get("text") or s.params.get("item") for s in opened.says] == ["intro", "fear"]
    assert opened.says[-1].sensitive and ForgetInbound() in opened.effects
    assert opened.state.checkin is not None and opened.state.checkin.stage == "asking"
    assert opened.state.unlocked_until is not None and opened.state.unlocked_until > NOW


def test_danger_in_the_middle_of_a_check_in_is_the_danger_nets() -> None:
    state = say("1").state
    res = say("he is here", state, replace(with_checkin(), danger=True))
    assert RaiseEscalation("urgent", "danger_now") in res.effects
    assert not any(isinstance(e, RecordCheckinAnswer) for e in res.effects)


def test_a_1_under_a_notice_preview_asks_her_pin_and_the_pin_opens_the_notice() -> None:
    view = NoticeView(5, True, "He left the programme.")
    ctx = replace(context(), unprompted=Unprompted(PREVIEW_KEY, NOW - timedelta(minutes=1), 5), notices={5: view})
    asked = say("1", {**LOCKED, "touched": (NOW - timedelta(hours=2)).isoformat()}, ctx)
    assert asked.says[0].key == "pin.ask" and asked.state.data == PinData(then=payload(5, "open"))
    opened = say(PIN, asked.state, replace(ctx, unprompted=None))
    assert [s.key for s in opened.says] == ["notice.text"] and NoticeOpened(5) in opened.effects


def test_on_sms_a_number_for_continue_the_questions_of_a_closed_wave_says_it_has_closed() -> None:
    ctx = replace(context("sms"), closed_checkin=CHECKIN)
    shown = {**LOCKED, "options": [WaveButton(3, "start").pack(), "menu:info"]}
    res = say("1", shown, ctx)
    assert [s.params.get("text") for s in res.says] == ["closed"]
