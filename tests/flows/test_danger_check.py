"""The danger check: "do you need help right now? 1 Yes 2 No", a yes is danger, silence alerts too."""

from __future__ import annotations

from dataclasses import replace

from flows import danger_check, router
from flows.types import HoldEscalation, RaiseEscalation, ReleaseHeldEscalations, UserInput
from tests.flows.conftest import NOW, context

LOCKED = {"flow": "menu", "step": "main"}


def maybe_danger(text: str = "hes back and hes angry", state: dict | None = None, channel: str = "sms"):
    ctx = replace(context(channel), interpreted=True, intent=danger_check.INTENT)
    return router.route(UserInput(channel, NOW, text=text), state or LOCKED, ctx)


def answer(text: str | None, state: dict, channel: str = "sms", button: str | None = None):
    return router.route(UserInput(channel, NOW, text=text, button=button), state, context(channel))


def test_an_unsure_message_gets_one_question_in_cover_wording_with_a_held_alert() -> None:
    asked = maybe_danger()
    assert [s.key for s in asked.says] == ["danger_check.ask"]
    assert asked.says[0].urgent and not asked.says[0].sensitive
    assert [o.label_key for o in asked.says[0].options] == ["common.yes", "common.no"]
    assert asked.effects == [HoldEscalation("urgent", "danger_unanswered", danger_check.WAIT)]
    assert asked.state.flow == "danger_check"
    assert asked.state.options == (danger_check.YES, danger_check.NO)  # "1" and "2" on SMS


def test_answering_1_on_sms_is_danger_numbers_at_once_and_an_urgent_alert() -> None:
    asked = maybe_danger()
    res = answer("1", asked.state)
    assert res.says[0].key == "emergency.numbers" and res.says[0].urgent
    assert RaiseEscalation("urgent", "danger_now") in res.effects
    assert ReleaseHeldEscalations("danger_unanswered") in res.effects
    assert res.state.flow == "menu"


def test_a_typed_yes_or_ja_counts_as_yes() -> None:
    for word in ("yes", "Ja", "YES!"):
        assert RaiseEscalation("urgent", "danger_now") in answer(word, maybe_danger().state).effects


def test_answering_no_closes_the_question_without_an_alert() -> None:
    asked = maybe_danger(channel="telegram")
    res = answer(None, asked.state, channel="telegram", button=danger_check.NO)
    assert [s.key for s in res.says][:1] == ["danger_check.ok"]
    assert res.effects == [ReleaseHeldEscalations("danger_unanswered")]
    assert res.state.flow == "menu"
    assert answer("2", maybe_danger().state).effects == [ReleaseHeldEscalations("danger_unanswered")]


def test_asking_again_while_waiting_holds_no_second_alert() -> None:
    again = maybe_danger("hes still angry", state=maybe_danger().state)
    assert [s.key for s in again.says] == ["danger_check.ask"]
    assert again.effects == []


def test_something_else_while_waiting_goes_to_the_usual_routing_and_keeps_the_question_open() -> None:
    asked = maybe_danger()
    res = answer("what do you mean", asked.state)
    assert res.effects and res.effects[0].__class__.__name__ == "Interpret"  # to the NLU, not an answer
    assert ReleaseHeldEscalations("danger_unanswered") not in res.effects


def test_the_danger_net_still_wins_while_the_question_waits() -> None:
    asked = maybe_danger()
    res = router.route(UserInput("sms", NOW, text="he is breaking the door"), asked.state,
                       replace(context("sms"), danger=True))
    assert RaiseEscalation("urgent", "danger_now") in res.effects


def test_before_she_is_enrolled_maybe_danger_is_treated_as_danger() -> None:
    ctx = replace(context("sms", status="onboarding"), interpreted=True, intent=danger_check.INTENT)
    res = router.route(UserInput("sms", NOW, text="hes back and hes angry"), {"flow": "onboarding", "step": "about"},
                       ctx)
    assert res.says[0].key == "emergency.numbers"
    assert RaiseEscalation("urgent", "danger_now") in res.effects


def maybe_her_own_life(text: str = "dont think im driving home tonight", state: dict | None = None):
    ctx = replace(context("telegram"), interpreted=True, intent=danger_check.SELF_HARM_INTENT)
    return router.route(UserInput("telegram", NOW, text=text), state or LOCKED, ctx)


def test_a_question_asked_about_her_own_life_reads_the_same_and_a_yes_gives_the_crisis_line() -> None:
    asked = maybe_her_own_life()
    assert [s.key for s in asked.says] == ["danger_check.ask"]  # the same neutral question
    assert asked.effects == [HoldEscalation("urgent", "danger_unanswered", danger_check.WAIT)]
    res = answer(None, asked.state, channel="telegram", button=danger_check.YES)
    assert res.says[0].key == "self_harm.reply" and res.says[0].urgent  # the crisis line of her country
    assert RaiseEscalation("urgent", "self_harm") in res.effects
    assert ReleaseHeldEscalations("danger_unanswered") in res.effects
    assert answer("2", maybe_her_own_life().state, channel="telegram").effects == [
        ReleaseHeldEscalations("danger_unanswered")]


def test_a_sign_of_self_harm_while_a_danger_question_waits_makes_a_yes_the_crisis_line() -> None:
    again = maybe_her_own_life(state=maybe_danger(channel="telegram").state)
    assert again.effects == []  # still one question, one held alert
    res = answer("yes", again.state, channel="telegram")
    assert res.says[0].key == "self_harm.reply"


def test_before_she_is_enrolled_maybe_her_own_life_is_the_crisis_line() -> None:
    ctx = replace(context("sms", status="onboarding"), interpreted=True, intent=danger_check.SELF_HARM_INTENT)
    res = router.route(UserInput("sms", NOW, text="cant see a way out"), {"flow": "onboarding", "step": "about"}, ctx)
    assert res.says[0].key == "self_harm.reply"
    assert RaiseEscalation("urgent", "self_harm") in res.effects
