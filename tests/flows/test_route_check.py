"""The re-check of her contact route: a "no" stops what we start and asks a worker to re-verify."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.channels.registry import capabilities
from flows.flow_state import FlowState
from flows.route_check import handle, question
from flows.types import Context, PauseOutbound, RaiseEscalation

CTX = Context(now=datetime(2026, 11, 25, 10, 0, tzinfo=UTC), channel="sms", caps=capabilities("sms"))


def test_the_question_offers_yes_and_no_buttons() -> None:
    assert [o.payload for o in question().options] == ["route:ok", "route:no"]


def test_yes_records_when_she_confirmed_and_changes_nothing_else() -> None:
    res = handle("route:ok", FlowState(), CTX)
    assert res is not None and res.effects == []
    assert res.state.route_checked_at == CTX.now


def test_no_pauses_outbound_and_raises_a_routine_escalation() -> None:
    res = handle("route:no", FlowState(), CTX)
    assert res is not None
    assert PauseOutbound("route_unsafe") in res.effects
    assert RaiseEscalation("routine", "route_unsafe") in res.effects


def test_other_input_is_not_for_the_route_check() -> None:
    assert handle("menu:info", FlowState(), CTX) is None and handle(None, FlowState(), CTX) is None
