"""Which flow answers what, in which state: the safety exits first, always."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from flows import router
from flows.types import ForgetInbound, Interpret, QuickExitRequested, RaiseEscalation, SetStatus, UserInput
from tests.flows.conftest import NOW, context

LOCKED = {"flow": "menu", "step": "main"}
UNLOCKED = {"flow": "menu", "step": "main", "unlocked_until": (NOW + timedelta(minutes=5)).isoformat()}


def say(text: str, state: dict | None = None, channel: str = "simulator", **ctx_changes):
    return router.route(UserInput(channel, NOW, text=text), state or LOCKED, context(channel, **ctx_changes))


def press(payload: str, state: dict | None = None, **ctx_changes):
    return router.route(UserInput("simulator", NOW, button=payload), state or LOCKED, context(**ctx_changes))


@pytest.mark.parametrize("word", ["STOP", "stop", "Stop!", "stopp", "/stop"])
def test_stop_works_from_any_state_on_every_channel(word: str) -> None:
    for state in (LOCKED, {"flow": "callback", "step": "number", "data": {}, "touched": NOW.isoformat()},
                  {"flow": "pin", "step": "unlock", "data": {"then": "menu:info"}}):
        res = say(word, state)
        assert [s.key for s in res.says] == ["stop.confirmed"]
        assert SetStatus("stopped") in res.effects


@pytest.mark.parametrize("word", ["STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"])
def test_the_carriers_stop_words_stop_on_sms_but_not_elsewhere(word: str) -> None:
    assert SetStatus("stopped") in say(word, channel="sms").effects
    assert SetStatus("stopped") not in say(word, channel="telegram").effects


def test_start_resumes_a_stopped_survivor_and_help_explains() -> None:
    res = say("START", {"flow": "stopped", "step": "main"}, status="stopped")
    assert SetStatus("active") in res.effects and res.says[-1].key == "menu.cover"
    assert say("HELP", status="stopped").says[0].key == "help.text"
    assert say("anything", status="stopped").says[0].key == "stop.still_stopped"


def test_quick_exit_is_one_word_from_any_state_and_locks() -> None:
    res = say("exit", {**UNLOCKED, "flow": "settings", "step": "language"})
    assert [s.key for s in res.says] == ["exit.cover"] and not res.says[0].options
    assert [type(e) for e in res.effects] == [QuickExitRequested]
    assert res.state.flow == "menu" and res.state.unlocked_until is None


def test_quick_exit_on_sms_sends_nothing_at_all() -> None:
    res = say("exit", channel="sms")
    assert res.says == [] and QuickExitRequested() in res.effects


def test_numbered_replies_map_back_to_the_options_last_shown() -> None:
    shown = press("menu:main")
    assert shown.state.options[3] == "menu:numbers"
    res = say("4", shown.state)
    assert res.says[0].key == "emergency.numbers" and res.says[0].urgent


def test_emergency_numbers_never_need_the_pin_even_while_locked_out() -> None:
    locked_out = {**LOCKED, "pin_locked_until": (NOW + timedelta(minutes=10)).isoformat()}
    res = press("menu:numbers", locked_out)
    assert res.says[0].key == "emergency.numbers" and res.says[0].urgent


def test_gated_entries_ask_for_the_pin_while_locked() -> None:
    for payload in ("menu:info", "menu:callback", "menu:settings", "menu:erase"):
        assert press(payload).says[0].key == "pin.ask"
        assert press(payload, UNLOCKED).says[0].key != "pin.ask"


def test_free_text_goes_to_the_nlu_hook_and_digits_never_do() -> None:
    asked = say("he is outside")
    assert asked.effects == [Interpret("he is outside")] and asked.says == []
    assert not any(isinstance(e, Interpret) for e in say("99").effects)


def test_without_an_nlu_she_gets_didnt_get_that_and_the_menu() -> None:
    res = router.route(UserInput("simulator", NOW, text="blah"), LOCKED, replace(context(), interpreted=True))
    assert [(s.params.get("lead"), s.key) for s in res.says] == [("fallback.didnt_get", "menu.cover")]


def test_a_danger_intent_shows_the_numbers_at_once_and_raises_an_urgent_escalation() -> None:
    ctx = replace(context(), interpreted=True, intent="danger_now")
    res = router.route(UserInput("simulator", NOW, text="he is here"), LOCKED, ctx)
    assert res.says[0].key == "emergency.numbers" and res.says[0].urgent
    assert RaiseEscalation("urgent", "danger_now") in res.effects


def test_a_pin_typed_anywhere_is_never_kept() -> None:
    for state in (LOCKED, UNLOCKED, {"flow": "settings", "step": "main", **UNLOCKED}):
        assert ForgetInbound() in say("7395", state).effects


def test_a_half_finished_flow_times_out_to_the_menu() -> None:
    old = {**UNLOCKED, "flow": "callback", "step": "number", "data": {"windows": []},
           "touched": (NOW - timedelta(minutes=31)).isoformat()}
    res = router.route(UserInput("simulator", NOW, text="07700 900123"), old, replace(context(), interpreted=True))
    assert res.state.flow == "menu"
    fresh = {**old, "touched": (NOW - timedelta(minutes=5)).isoformat()}
    assert say("07700 900123", fresh).state.step == "confirm"
