"""What flows take and return: plain data, no I/O.

A flow gets an inbound event and the survivor's state and returns the new state, the semantic
messages to send (text keys, options, sensitivity) and effects for the service to carry out
(escalations, consent records, call-back requests) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, TypedDict

from flows.capabilities import ChannelCapabilities
from flows.flow_state import FlowState
from flows.questionnaires import Questionnaire
from flows.windows import Window
from safety.pin import PinMatch
from safety.statuses import SurvivorStatus
from safety.triage import TriageRules


@dataclass(frozen=True)
class UserInput:
    """What she did, independent of channel."""

    channel: str
    at: datetime
    text: str | None = None
    button: str | None = None


@dataclass(frozen=True)
class Option:
    payload: str
    label_key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Say:
    """One outbound message by content key; the channel renders options as it can."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    sensitive: bool = False  # explicit content shown only after her PIN: expires, clean preview only
    urgent: bool = False  # emergency information she asked for: never held by contact windows


# -- effects: what the engine carries out in the same transaction --------------------------------

@dataclass(frozen=True)
class RaiseEscalation:
    priority: str  # urgent / high / routine
    reason: str
    child_protection: bool = False


@dataclass(frozen=True)
class Enrol:
    """A valid invitation was presented: create her record and bind this chat/number to it."""

    invitation_id: int


@dataclass(frozen=True)
class RejectCode:
    """A wrong, used or expired code: counted (without content) for the per-sender rate limit."""

    reason: str


@dataclass(frozen=True)
class DeclineInvitation:
    """An invited number said STOP before enrolling: the invitation can no longer be used."""

    invitation_id: int


@dataclass(frozen=True)
class RecordConsent:
    kind: str  # information / checkins / evaluation
    granted: bool
    text_version: str


@dataclass(frozen=True)
class SetPin:
    """Store a PIN hash (already argon2-hashed by the flow's PinCheck; never the PIN itself)."""

    pin_hash: str
    duress: bool = False


@dataclass(frozen=True)
class UpdateProfile:
    """Settings she changed; the engine only accepts the fields in PROFILE_FIELDS."""

    changes: ProfileChanges


class ProfileChanges(TypedDict, total=False):
    """The settings a flow may change (PROFILE_FIELDS), each checked again by the engine."""

    locale: str
    timezone: str
    persona: str
    plain_mode: bool
    contact_windows: list[Window]
    expiry_minutes: int
    unlock_minutes: int


PROFILE_FIELDS = frozenset({
    "locale", "timezone", "persona", "plain_mode", "contact_windows", "expiry_minutes", "unlock_minutes",
})


@dataclass(frozen=True)
class SetStatus:
    """Her enrolment status (safety.statuses.SurvivorStatus): `active` (onboarded or restarted),
    `stopped` (STOP), `declined` (no consent at all). `stopped`, `declined` and `erasing` also stop the
    channel identity and cancel what is queued."""

    status: SurvivorStatus


@dataclass(frozen=True)
class CreateCallback:
    """A call-back request; `phone` None means the number she is texting from (the engine fills it)."""

    windows: list[Window]
    phone: str | None = None


@dataclass(frozen=True)
class QuickExitRequested:
    """She used quick exit. The safety layer completes this (delete chat messages, pause SMS).
    ``quiet_until``: in a chat, nothing that is not a reply or urgent is sent until she writes again
    (at the latest until then), so the cleared chat stays clear."""

    quiet_until: datetime | None = None


@dataclass(frozen=True)
class PauseOutbound:
    """Nothing more is sent to this route until a worker has re-verified it (a "no" to the re-check)."""

    reason: str


@dataclass(frozen=True)
class EraseRequested:
    """She confirmed 'delete my data' twice. The safety layer carries out the erasure."""


@dataclass(frozen=True)
class ForgetInbound:
    """Her message held a secret (a PIN): do not keep its text, and delete it where the channel can."""


@dataclass(frozen=True)
class Interpret:
    """Free text no flow understood: the engine asks the NLU and routes again with the intent."""

    text: str


@dataclass(frozen=True)
class ButtonSpent:
    """She pressed a button that already did its job (an answered consent question, a chosen
    cover): nothing happens again; the channel says "already done" and removes that keyboard."""


@dataclass(frozen=True)
class HoldEscalation:
    """An escalation that opens by itself unless she answers first (the danger check's silence alert).

    Held until ``now + wait``; the safety tick opens it after that (scheduler/safety_jobs.py)."""

    priority: str
    reason: str
    wait: timedelta


@dataclass(frozen=True)
class ReleaseHeldEscalations:
    """She answered: her held escalations of this reason are closed (a yes raises its own alert)."""

    reason: str


@dataclass(frozen=True)
class NoticeOpened:
    """She read a notice's text: its timeline records `opened` (once)."""

    notice_id: int


@dataclass(frozen=True)
class NoticeAnswered:
    """Her answer to a notice: `got_it` (acknowledged) or `ring_me` (a call-back at her safe times)."""

    notice_id: int
    response: str  # got_it / ring_me
    # ring_me: book the call-back now (SMS, her safe times known: this number at those times); else
    # the call-back flow asks for times and a number first, and books it when she confirms
    book_callback: bool = False


@dataclass(frozen=True)
class RecordCheckinAnswer:
    """One check-in answer, stored at once (None value: skipped, or free text)."""

    instance_id: int
    item: str
    value: str | None
    free_text: str | None = None
    skipped: bool = False


@dataclass(frozen=True)
class FinishCheckin:
    """She reached the end of the questionnaire: the wave instance is answered."""

    instance_id: int


@dataclass(frozen=True)
class SetCheckinPriority:
    """The highest triage priority raised from this wave's answers (for the console and evaluation)."""

    instance_id: int
    priority: str


@dataclass(frozen=True)
class ToWorker:
    """A worker holds her conversation (flows/live_chat.py): her words go to that worker, nothing is answered."""


Effect = (RaiseEscalation | Enrol | RejectCode | DeclineInvitation | RecordConsent | SetPin | UpdateProfile
          | SetStatus | CreateCallback | QuickExitRequested | PauseOutbound | EraseRequested | ForgetInbound | Interpret
          | ButtonSpent | HoldEscalation | ReleaseHeldEscalations | NoticeOpened | NoticeAnswered | RecordCheckinAnswer
          | FinishCheckin | SetCheckinPriority | ToWorker)


@dataclass(frozen=True)
class Handoff:
    """Not an effect: this flow is done and another opens, resolved by the router (flows/rules.py),
    which knows every flow, so flows need not import each other in circles.

    `unlocked`: her PIN unlocked, open `payload` (a menu entry, a notice, her check-in);
    `after_pin` / `after_consent`: the onboarding's next step; `settings`: back to the settings."""

    to: Literal["unlocked", "after_pin", "after_consent", "settings"]
    payload: str = ""


@dataclass
class FlowResult:
    state: FlowState
    says: list[Say] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    notice: str | None = None  # set by the engine: a short answer the channel shows on her button
    spent: bool = False  # set by the engine: her press answered its message; the channel removes that keyboard
    keep_keyboard: bool = False  # set by the engine: a notice that leaves the keyboard (an alert edits its own)
    handoff: Handoff | None = None  # the router opens the next flow (never reaches the engine)


# -- what the engine pre-fetches for the flows -----------------------------------------------------

class PinCheck(Protocol):
    """PIN hashing and checking, injected so flows stay free of I/O and testable without argon2."""

    def hash(self, pin: str) -> str: ...

    def matches(self, pin_hash: str, pin: str) -> bool: ...

    def check(self, pin: str) -> PinMatch:
        """Compare against both stored hashes (always both: no timing difference)."""
        ...


@dataclass(frozen=True)
class Profile:
    """What flows may know about her: settings and consents, never her number or name."""

    status: str
    locale: str
    country: str
    timezone: str
    persona: str | None
    plain_mode: bool
    contact_windows: list[Window]
    expiry_minutes: int
    unlock_minutes: int
    has_pin: bool
    consents: dict[str, bool]


@dataclass(frozen=True)
class Invite:
    """The result of looking up a code (or, on SMS, the sender's number) among invitations."""

    status: Literal["valid", "unknown", "used", "expired", "limited", "none"]
    invitation_id: int | None = None
    locale: str = "en"
    by_address: bool = False  # SMS: the worker gave this number; no code needed


@dataclass(frozen=True)
class NoticeView:
    """What the flow may know of one notice of hers."""

    id: int
    readable: bool  # it reached her and was not withdrawn
    body: str
    answered: str | None = None  # got_it / ring_me


@dataclass(frozen=True)
class Unprompted:
    """The latest message we sent her unprompted (a notice's preview, a survey, a re-check)."""

    key: str
    sent_at: datetime
    notice_id: int | None = None  # the notice whose preview it is


@dataclass(frozen=True)
class OpenCheckin:
    """Her wave that reached her and is still open, with what she answered so far."""

    instance_id: int
    questionnaire: Questionnaire
    sent_at: datetime | None = None
    reminded_at: datetime | None = None
    answers: Mapping[str, str | None] = field(default_factory=dict)  # item -> code; None: skipped/text
    previous: Mapping[str, str] = field(default_factory=dict)  # her previous answer set, for "fear rose"


@dataclass(frozen=True)
class Context:
    now: datetime
    channel: str
    caps: ChannelCapabilities  # what her channel can do (filled from the registry): ask this, not `channel`
    profile: Profile | None = None
    pins: PinCheck | None = None
    invite: Invite | None = None
    personas: tuple[str, ...] = ("weather", "garden", "recipes")
    consent_versions: dict[str, str] = field(default_factory=dict)
    timezones: frozenset[str] = frozenset()
    intent: str | None = None  # from the NLU, once the engine has asked (see Interpret)
    danger: bool = False  # the danger net fired on her words, whatever any model says
    self_harm: bool = False  # ... and its rule was one of self-harm: the crisis-line answer (flows/common.py)
    interpreted: bool = False
    stale_button: bool = False  # the pressed button sits under an older message than our latest with buttons
    checkin: OpenCheckin | None = None  # her open check-in (the engine fetches it for an active survivor)
    closed_checkin: Questionnaire | None = None  # the questionnaire of a closed wave whose button she pressed
    triage: TriageRules | None = None  # what her check-in answers raise
    unprompted: Unprompted | None = None  # fetched when she typed a number: what arrived last unasked
    notices: Mapping[int, NoticeView] = field(default_factory=dict)  # notices of hers her input names
    worker_holds: bool = False  # a worker writes with her from the console (flows/live_chat.py)

    @property
    def open_checkin(self) -> int | None:
        """The wave instance of a check-in she can continue, if any (the menu offers the way back)."""
        return self.checkin.instance_id if self.checkin is not None else None
