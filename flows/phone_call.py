"""What a "Call her now" means at each step, with no I/O (bot/voice/ does the calling).

The call is safe if he answers: she hears only her cover's neutral line and "press 1 to continue";
only her "1" bridges the worker. No key, a wrong key or a machine ends the call without another
word (never a voicemail). These functions turn what Twilio reports into one of a closed list of
outcomes (safety.statuses.PhoneCallOutcome) and say what the call-back does next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from safety.statuses import PhoneCallOutcome

CONFIRM_KEY = "1"

OUTCOME_LABELS: dict[PhoneCallOutcome, str] = {
    "confirmed": "answered and confirmed",
    "not_confirmed": "answered, not confirmed",
    "no_answer": "no answer",
    "machine": "machine (nothing left)",
    "busy": "busy",
    "failed": "failed",
    "worker_unreachable": "your phone did not answer (she was not rung)",
}
HER_KEY_LABELS = {"confirmed": "pressed 1", "no_key": "no key", "wrong_key": "wrong key"}

# Twilio's AnsweredBy values (answering machine detection) that are not a person
MACHINE = frozenset({"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"})
# a call leg's final CallStatus (or a <Dial>'s DialCallStatus) when nobody spoke
UNANSWERED: dict[str, PhoneCallOutcome] = {"no-answer": "no_answer", "busy": "busy", "failed": "failed",
                                           "canceled": "no_answer"}

HerKey = Literal["confirmed", "no_key", "wrong_key"]


def is_machine(answered_by: str | None) -> bool:
    return (answered_by or "").lower() in MACHINE


def her_key(digits: str | None) -> HerKey:
    """What her key press was, without keeping the digit: only "1" counts."""
    if not digits:
        return "no_key"
    return "confirmed" if digits == CONFIRM_KEY else "wrong_key"


def outcome_of_key(key: HerKey) -> PhoneCallOutcome:
    return "confirmed" if key == "confirmed" else "not_confirmed"


def outcome_of_unanswered(status: str) -> PhoneCallOutcome | None:
    """A leg that ended without being answered, by its final status; None if it was answered."""
    return UNANSWERED.get(status.lower())


def final_outcome(recorded: PhoneCallOutcome | None, her_status: str | None,
                  worker_status: str | None, her_rung: bool, her_answered: bool = False) -> PhoneCallOutcome:
    """The outcome when the worker's leg ends: what her leg told us first, else what the legs' final
    statuses say (a worker who never answered means she was never rung; a worker who hung up while
    she was being asked leaves her answered but not confirmed)."""
    if recorded is not None:
        return recorded
    if her_answered:
        return "not_confirmed"
    if not her_rung:
        return "worker_unreachable" if worker_status in UNANSWERED or worker_status == "completed" else "failed"
    return outcome_of_unanswered(her_status or "") or "failed"


@dataclass(frozen=True)
class NextStep:
    """What the call-back does after a call: closed, retried at her next safe slot, or left to the
    worker (she answered but did not confirm: only a person can judge whether to try again)."""

    close: bool = False
    retry: bool = False
    worker_decides: bool = False

    @property
    def label(self) -> str:
        if self.close:
            return "done"
        return "retry at her next safe slot" if self.retry else "your decision"


def next_step(outcome: PhoneCallOutcome) -> NextStep:
    if outcome == "confirmed":
        return NextStep(close=True)
    if outcome == "not_confirmed":
        return NextStep(worker_decides=True)
    return NextStep(retry=True)


def whisper(display_name: str | None, pseudonym: str, safe_word: str | None, reason: str) -> str:
    """What the worker hears before the bridge: who she is, her safe word, why the call."""
    parts = [f"Calling {display_name or pseudonym}."]
    if safe_word:
        parts.append(f"Her safe word is {safe_word}.")
    if reason:
        parts.append(f"Reason: {reason}.")
    parts.append("She must press 1 before you are connected.")
    return " ".join(parts)
