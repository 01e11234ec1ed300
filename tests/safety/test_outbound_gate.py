"""The last check before a message leaves, as a table of situations and what happens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from safety.outbound_gate import GateFacts, decide

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=3)


def facts(**kw: object) -> GateFacts:
    base: dict[str, object] = dict(now=NOW, is_deletion=False, is_reply=False, urgent=False, sensitive=False,
                                   identity_status="active", survivor_status="active", paused_until=None)
    return GateFacts(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(("situation", "given", "action", "reason"), [
    ("a notice inside her window", {}, "send", ""),
    ("a deletion even when erased and stopped",
     {"is_deletion": True, "survivor_status": "erased", "identity_status": "stopped"}, "send", ""),
    ("anything to an erased survivor", {"survivor_status": "erased", "is_reply": True}, "cancel", "erased"),
    ("a sensitive reply to a number that may not be hers",
     {"identity_status": "suspect", "is_reply": True, "sensitive": True}, "cancel", "identity_unconfirmed"),
    ("a notice to a number that may not be hers", {"identity_status": "suspect"}, "cancel",
     "identity_unconfirmed"),
    ("a plain reply to a number that may not be hers", {"identity_status": "suspect", "is_reply": True},
     "send", ""),
    ("a notice after she stopped", {"identity_status": "stopped"}, "cancel", "stopped"),
    ("the reply confirming her stop", {"identity_status": "stopped", "is_reply": True}, "send", ""),
    ("emergency information while paused", {"urgent": True, "paused_until": LATER}, "send", ""),
    ("a reply outside her window", {"is_reply": True, "window_open": False, "next_window": LATER}, "send", ""),
    ("a stranger's reply", {"identity_status": None, "survivor_status": None, "is_reply": True}, "send", ""),
])
def test_what_the_gate_decides(situation: str, given: dict[str, object], action: str, reason: str) -> None:
    decision = decide(facts(**given))
    assert (decision.action, decision.reason) == (action, reason), situation


def test_a_notice_while_she_paused_waits_until_the_pause_ends() -> None:
    d = decide(facts(paused_until=LATER))
    assert (d.action, d.reason, d.until) == ("hold", "paused", LATER)


def test_a_pause_that_has_ended_holds_nothing() -> None:
    assert decide(facts(paused_until=NOW - timedelta(seconds=1))).action == "send"


def test_a_notice_outside_her_window_waits_for_the_next_one() -> None:
    d = decide(facts(window_open=False, next_window=LATER))
    assert (d.action, d.reason, d.until) == ("hold", "outside_window", LATER)


@pytest.mark.parametrize(("situation", "given", "action", "reason"), [
    ("emergency information to an erased survivor", {"survivor_status": "erased", "urgent": True},
     "cancel", "erased"),
    ("emergency information we start to a number that may not be hers", {"identity_status": "suspect", "urgent": True},
     "cancel", "identity_unconfirmed"),
    ("emergency information after she stopped", {"identity_status": "stopped", "urgent": True}, "cancel", "stopped"),
    ("emergency information outside her window", {"urgent": True, "window_open": False, "next_window": LATER},
     "send", ""),
    ("a deletion to a number that may not be hers", {"is_deletion": True, "identity_status": "suspect"}, "send", ""),
])
def test_what_comes_first_when_several_things_hold(situation: str, given: dict[str, object], action: str,
                                                   reason: str) -> None:
    decision = decide(facts(**given))
    assert (decision.action, decision.reason) == (action, reason), situation


def test_a_pause_is_told_before_a_closed_window() -> None:
    d = decide(facts(paused_until=LATER, window_open=False, next_window=NOW + timedelta(hours=1)))
    assert (d.action, d.reason, d.until) == ("hold", "paused", LATER)
