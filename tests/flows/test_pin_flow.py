"""PIN unlock, duress and the wrong-PIN limit as pure logic."""

from __future__ import annotations

from datetime import timedelta

from flows import pin, router
from flows.flow_state import FlowState, PinData
from flows.types import RaiseEscalation, SetPin, UserInput
from tests.flows.conftest import NOW, context

ASKING = {"flow": "pin", "step": "unlock", "data": {"then": "menu:info"}}


def enter(text: str, state: dict = ASKING):
    return router.route(UserInput("simulator", NOW, text=text), state, context())


def test_the_right_pin_opens_what_she_asked_for() -> None:
    res = enter("4821")
    assert res.says[0].key == "info.index" and res.state.unlocked_until > NOW


def test_a_duress_pin_and_a_wrong_pin_produce_identical_messages_and_state() -> None:
    wrong, duress = enter("1357"), enter("7395")
    assert wrong.says == duress.says
    assert wrong.state == duress.state
    assert RaiseEscalation("urgent", "duress_pin") in duress.effects
    assert not any(isinstance(e, RaiseEscalation) for e in wrong.effects)


def test_the_fifth_failure_locks_pin_entry_for_a_while() -> None:
    state = dict(ASKING)
    for _ in range(pin.MAX_FAILURES):
        res = enter("1357", state)
        state = res.state.but(flow="pin", step="unlock", data=PinData(then="menu:info"))
    assert res.says[0].params["lead"] == "pin.locked"
    assert enter("4821", state).says[0].params["lead"] == "pin.locked"
    later = router.route(UserInput("simulator", NOW + pin.LOCKOUT + timedelta(seconds=1), text="4821"), state,
                         context(now=NOW + pin.LOCKOUT + timedelta(seconds=1)))
    assert later.says[0].key == "info.index"


def test_weak_pins_are_refused() -> None:
    assert all(pin.weak(p) for p in ("1111", "1234", "4321", "9012", "0000000"))
    assert not any(pin.weak(p) for p in ("4821", "7395", "1357"))


def test_choosing_a_pin_needs_it_twice_and_stores_only_its_hash() -> None:
    unlocked = FlowState(unlocked_until=NOW + timedelta(minutes=5))
    start = pin.start_setup(unlocked, context(), purpose="settings")
    first = router.route(UserInput("simulator", NOW, text="2468"), start.state, context())
    assert first.says[0].key == "pin.confirm"
    assert first.state.data.pending == "h:2468"  # the hash (FakePins), never the digits themselves
    assert "2468" not in [str(v) for v in first.state.data.model_dump().values()]
    second = router.route(UserInput("simulator", NOW, text="2468"), first.state, context())
    assert SetPin("h:2468", duress=False) in second.effects
