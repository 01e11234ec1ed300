"""Her conversation state is typed and versioned: every shape stored before versions (v0) is read
into today's FlowState, and a damaged value costs her a step back to the menu, never the reply."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows import router
from flows.flow_state import (
    STATE_VERSION,
    CallbackData,
    CheckinPosition,
    ConsentData,
    FlowState,
    InfoData,
    NoData,
    PinData,
    load_state,
)
from flows.types import UserInput
from tests.flows.conftest import NOW, context

TOUCHED = "2025-06-02T09:55:00+00:00"
WINDOW = {"days": [0, 1], "start": "09:00", "end": "12:00"}


@pytest.mark.parametrize(("v0", "expected"), [
    ({"flow": "pin", "step": "unlock", "data": {"then": "notice:5:open"}}, PinData(then="notice:5:open")),
    ({"flow": "pin", "step": "confirm", "data": {"purpose": "onboarding", "target": "duress", "main_hash": "h:1",
                                                   "pending": "h:2"}},
     PinData(purpose="onboarding", target="duress", main_hash="h:1", pending="h:2")),
    ({"flow": "callback", "step": "confirm", "data": {"windows": [WINDOW], "phone": "+447700900123"}},
     CallbackData(windows=(WINDOW,), phone="+447700900123")),
    ({"flow": "consent", "step": "checkins", "data": {"granted": {"information": True}}},
     ConsentData(granted={"information": True})),
    ({"flow": "info", "step": "index", "data": {"sms_ok": True}}, InfoData(sms_ok=True)),
    ({"flow": "settings", "step": "language", "data": {}}, NoData()),
    ({"flow": "menu", "step": "main"}, NoData()),
    ({"flow": "danger_check", "step": "ask", "data": {}}, NoData()),
    ({"flow": "stopped", "step": "main", "data": {}}, NoData()),
    ({"flow": "onboarding", "step": "warning", "data": {}}, NoData()),
])
def test_each_flows_state_from_before_versions_is_read_with_its_values(v0: dict, expected) -> None:
    state = load_state({**v0, "touched": TOUCHED, "options": ["menu:main"]})
    assert state.version == STATE_VERSION and state.flow == v0["flow"] and state.step == v0["step"]
    assert state.data == expected
    assert state.touched == datetime(2025, 6, 2, 9, 55, tzinfo=UTC) and state.options == ("menu:main",)


def test_the_shared_fields_of_an_old_state_keep_their_meaning() -> None:
    state = load_state({"flow": "menu", "step": "main", "unlocked_until": TOUCHED, "pin_failures": 3,
                        "pin_locked_until": TOUCHED, "exit_word": "bananas", "settings": {"sms_pause_hours": 24},
                        "route_checked_at": TOUCHED, "route_check_queued_at": TOUCHED,
                        "checkin": {"instance_id": 4, "opened_at": TOUCHED, "stage": "paused", "item": "fear"}})
    assert (state.pin_failures, state.exit_word, state.settings.sms_pause_hours) == (3, "bananas", 24)
    at = datetime(2025, 6, 2, 9, 55, tzinfo=UTC)
    assert state.unlocked_until == state.pin_locked_until == state.route_checked_at == state.route_check_queued_at == at
    assert state.checkin == CheckinPosition(instance_id=4, opened_at=TOUCHED, stage="paused", item="fear")
    assert state.options is None  # never shown anything: no button counts as spent yet


def test_what_is_stored_reads_back_the_same() -> None:
    state = FlowState(flow="pin", step="unlock", data=PinData(then="menu:info"), touched=NOW, options=("menu:main",))
    assert load_state(state.dump()) == state
    assert state.dump()["version"] == STATE_VERSION and "unlocked_until" not in state.dump()


@pytest.mark.parametrize("garbage", [
    None, "not a state", 42, [], {"version": "x"}, {"version": 99, "flow": "menu"},
    {"flow": "no-such-flow", "step": "x", "data": {"then": "menu:info"}},
    {"flow": "pin", "step": "unlock", "data": "garbage"},
    {"flow": "pin", "step": "unlock", "data": {"then": ["not", "text"]}},
    {"flow": "menu", "touched": "yesterday", "unlocked_until": "soon", "options": "1,2", "pin_failures": "many"},
    {"flow": "menu", "touched": "2025-06-02T09:55:00"},  # no time zone: not a time we wrote
    {"version": 1, "flow": "pin", "data": {"kind": "callback", "windows": "x"}},
    {"checkin": {"stage": "asking"}, "settings": [], "exit_word": 7},
])
def test_a_damaged_state_falls_back_to_the_menu_and_never_crashes(garbage) -> None:
    state = load_state(garbage)
    assert state.version == STATE_VERSION
    assert state.flow in (None, "menu")
    assert state.unlocked_until is None and state.checkin is None
    res = router.route(UserInput("simulator", NOW, text="hello"), garbage, context())  # she still gets a reply
    assert res.says or res.effects


def test_a_damaged_field_costs_only_that_field() -> None:
    state = load_state({"flow": "callback", "step": "number", "data": {"windows": [WINDOW]}, "touched": "garbage"})
    assert state.flow == "callback" and state.data == CallbackData(windows=(WINDOW,)) and state.touched is None
