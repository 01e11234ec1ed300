"""Issue 22, items 1 and 2, pure: bare digits of a PIN's length go to the PIN flow before any other
flow can swallow them; on a channel that keeps every message, nothing names a second PIN."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from flows import router
from flows.flow_state import PinData
from flows.questionnaires import load_questionnaires
from flows.types import ForgetInbound, OpenCheckin, RaiseEscalation, RecordCheckinAnswer, UserInput
from safety.triage import default_rules
from tests.flows.conftest import DURESS, NOW, PIN, context

CHECKIN = load_questionnaires().get("en", "checkin", "1")
IID = 7
OPENED = NOW - timedelta(hours=1)


def in_checkin(channel: str = "simulator", **changes):  # type: ignore[no-untyped-def]
    return replace(context(channel, **changes), checkin=OpenCheckin(IID, CHECKIN, sent_at=OPENED),
                   triage=default_rules())


def send(text: str | None, state, ctx, button: str | None = None):  # type: ignore[no-untyped-def]
    return router.route(UserInput(ctx.channel, NOW, text=text, button=button), state, ctx)


def asking(ctx):  # type: ignore[no-untyped-def]
    """Her check-in begun: the first question is on her screen."""
    begun = send("1", {"flow": "menu", "step": "main", "touched": (OPENED - timedelta(hours=1)).isoformat()}, ctx)
    assert begun.state.checkin is not None and begun.state.checkin.stage == "asking"
    return begun.state


@pytest.mark.parametrize("channel", ("simulator", "sms"))
def test_her_pin_at_a_prompt_in_the_middle_of_a_checkin_opens_what_she_asked_for(channel: str) -> None:
    ctx = in_checkin(channel)
    asked = send(None, asking(ctx), ctx, button="menu:settings")
    assert asked.says[0].key.startswith("pin.ask") and asked.state.data == PinData(then="menu:settings")
    opened = send(PIN, asked.state, ctx)
    assert [s.key for s in opened.says] == ["settings.main"] and ForgetInbound() in opened.effects
    assert not any(isinstance(e, RecordCheckinAnswer) for e in opened.effects)
    assert opened.state.checkin is not None and opened.state.checkin.stage == "asking"  # her place is kept


def test_her_duress_pin_unasked_in_a_checkin_is_an_unlock_attempt_not_an_answer() -> None:
    ctx = in_checkin()
    res = send(DURESS, asking(ctx), ctx)
    assert RaiseEscalation("urgent", "duress_pin") in res.effects and ForgetInbound() in res.effects
    assert [e for e in res.effects if isinstance(e, RaiseEscalation)] == [RaiseEscalation("urgent", "duress_pin")]
    assert res.says[0].params.get("lead") == "pin.not_recognised"
    assert not any(isinstance(e, RecordCheckinAnswer) for e in res.effects)


def test_her_pin_unasked_unlocks_the_menu() -> None:
    res = send(" 48 21 ", {"flow": "menu", "step": "main"}, context())
    assert res.handoff is None and res.state.unlocked_until is not None and res.says[-1].key == "menu.main"


@pytest.mark.parametrize("typed", ("10-14", "07700 900123", "123"))
def test_a_time_or_a_phone_number_is_never_taken_for_a_pin(typed: str) -> None:
    ctx = context()
    state = {"flow": "callback", "step": "other", "touched": NOW.isoformat(),
             "unlocked_until": (NOW + timedelta(minutes=5)).isoformat()}
    res = send(typed, state, ctx)
    assert not any(isinstance(e, RaiseEscalation) for e in res.effects)
    assert not any(s.key == "pin.not_recognised" or s.params.get("lead") == "pin.not_recognised" for s in res.says)


def test_in_plain_mode_a_typed_1_under_the_opening_asks_her_pin_first() -> None:
    ctx = in_checkin("sms", plain_mode=True)
    res = send("1", {"flow": "menu", "step": "main"}, ctx)
    assert [s.key for s in res.says] == ["pin.ask_sms"]
    assert res.state.flow == "pin" and res.state.checkin is None
    opened = send(PIN, res.state, ctx)
    assert opened.says[-1].key == "checkin.question" and opened.says[-1].sensitive


def test_on_sms_her_settings_change_one_pin_and_never_name_another() -> None:
    ctx = context("sms")
    unlocked = {"flow": "settings", "step": "main", "touched": NOW.isoformat(),
                "unlocked_until": (NOW + timedelta(minutes=5)).isoformat()}
    res = send(None, unlocked, ctx, button="set:pin")
    assert [s.key for s in res.says] == ["pin.choose_sms"]
    refused = send(DURESS, res.state, ctx)
    assert [s.key for s in refused.says][0] == "pin.same_as_duress_sms"
    assert send(None, unlocked, context("simulator"), button="set:pin").says[0].key == "settings.pin"


def test_on_sms_onboarding_chooses_one_pin_and_hands_on() -> None:
    ctx = context("sms", status="onboarding", has_pin=False)
    state = {"flow": "pin", "step": "new", "data": {"purpose": "onboarding", "target": "main"},
             "touched": NOW.isoformat()}
    confirm = send(PIN, state, ctx)
    assert [s.key for s in confirm.says] == ["pin.confirm_sms"]
    saved = send(PIN, confirm.state, ctx)
    assert saved.says[0].key == "pin.saved_sms" and not any("duress" in s.key for s in saved.says)
    assert saved.handoff is None and saved.state.step == "windows"  # on to her good times


def test_choosing_a_new_pin_after_her_settings_locked_again_needs_her_pin_first() -> None:
    ctx = context()
    choosing = {"flow": "pin", "step": "new", "data": {"purpose": "settings", "target": "main"},
                "touched": (NOW - timedelta(minutes=12)).isoformat(),
                "unlocked_until": (NOW - timedelta(minutes=2)).isoformat()}
    res = send("2580", choosing, ctx)
    assert not any(e.__class__.__name__ == "SetPin" for e in res.effects)
    assert res.says[0].params.get("lead") == "pin.not_recognised" and res.state.pin_failures == 1
    opened = send(PIN, {**choosing, "flow": "pin", "step": "unlock", "data": {"then": "menu:settings"}}, ctx)
    assert opened.says[-1].key == "settings.main"
    assert RaiseEscalation("urgent", "duress_pin") in send(DURESS, choosing, ctx).effects
