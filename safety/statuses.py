"""Every closed list of states in one place: the code's Literal types and the database's CHECK constraints
(bot/storage/models.py, migration 0010) are both made from these.

Kept in the lowest layer that names states, so the flows (SetStatus), the safety rules (the outbound
gate, retention) and storage share one spelling of each.
"""

from __future__ import annotations

from typing import Literal, get_args

# -- her -----------------------------------------------------------------------------------------
# onboarding -> active; stopped (STOP) and declined (no consent at all) until she starts again;
# erasing (she asked twice: her confirmation still goes out, then the safety tick erases her);
# erased is never written by this code (her row is deleted) but is refused and tested for everywhere
SurvivorStatus = Literal["onboarding", "active", "stopped", "declined", "erasing", "erased"]
SURVIVOR_STATUSES: tuple[SurvivorStatus, ...] = get_args(SurvivorStatus)
# her number or account: unverified until she enrolls on it, suspect when someone else seems to
# have it (a worker re-verifies), stopped with her
IdentityStatus = Literal["unverified", "active", "stopped", "suspect"]
IDENTITY_STATUSES: tuple[IdentityStatus, ...] = get_args(IdentityStatus)

# -- the outbox ----------------------------------------------------------------------------------
# pending -> sending -> sent | failed | in_doubt | cancelled; held waits for her window or a pause
# (delivery reports are `delivery_status`, not this)
OutboxStatus = Literal["pending", "sending", "sent", "failed", "in_doubt", "cancelled", "held"]
OUTBOX_STATUSES: tuple[OutboxStatus, ...] = get_args(OutboxStatus)
OutboxKind = Literal["send", "edit", "delete", "staff_alert"]
OUTBOX_KINDS: tuple[OutboxKind, ...] = get_args(OutboxKind)

# -- the workers' side ---------------------------------------------------------------------------
Priority = Literal["urgent", "high", "routine"]
PRIORITIES: tuple[Priority, ...] = get_args(Priority)
# held: opens by itself at due_at unless she answers first (the danger check's silence alert)
EscalationStatus = Literal["open", "claimed", "closed", "held"]
ESCALATION_STATUSES: tuple[EscalationStatus, ...] = get_args(EscalationStatus)
CallbackStatus = Literal["open", "closed"]
CALLBACK_STATUSES: tuple[CallbackStatus, ...] = get_args(CallbackStatus)
# how a "Call her now" ended (flows/phone_call.py says what each means and what comes next)
PhoneCallOutcome = Literal["confirmed", "not_confirmed", "no_answer", "machine", "busy", "failed",
                           "worker_unreachable"]
PHONE_CALL_OUTCOMES: tuple[PhoneCallOutcome, ...] = get_args(PhoneCallOutcome)
StaffStatus = Literal["enrolling", "active", "disabled"]
STAFF_STATUSES: tuple[StaffStatus, ...] = get_args(StaffStatus)
ErasureApprovalStatus = Literal["requested", "approved"]
ERASURE_APPROVAL_STATUSES: tuple[ErasureApprovalStatus, ...] = get_args(ErasureApprovalStatus)

# -- check-in waves ------------------------------------------------------------------------------
# planned -> queued -> sent -> reminded -> answered | partial | missing; planned -> cancelled | missing;
# queued -> withdrawn (her quick exit cancelled the opening; offered again once) -> queued ...
WaveState = Literal["planned", "queued", "sent", "reminded", "answered", "partial", "missing", "cancelled",
                    "withdrawn"]
WAVE_STATES: tuple[WaveState, ...] = get_args(WaveState)
WaveKind = Literal["wave", "checkin"]
WAVE_KINDS: tuple[WaveKind, ...] = get_args(WaveKind)

# -- risk notices --------------------------------------------------------------------------------
# an event from his programme: matched to her case, held until a worker links it, or set aside
ProgrammeEventStatus = Literal["matched", "unmatched", "ignored"]
PROGRAMME_EVENT_STATUSES: tuple[ProgrammeEventStatus, ...] = get_args(ProgrammeEventStatus)
# draft -> approved -> queued -> sent -> acknowledged; undeliverable (a worker tells her by phone); withdrawn
NoticeStatus = Literal["draft", "approved", "queued", "sent", "acknowledged", "undeliverable", "withdrawn"]
NOTICE_STATUSES: tuple[NoticeStatus, ...] = get_args(NoticeStatus)
