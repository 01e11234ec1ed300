"""The service's tables. Identifying or descriptive fields are encrypted; look-ups use blind indexes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false

from bot.storage.types import EncryptedDeletionPlan, EncryptedJSON, EncryptedText, UTCDateTime, utcnow
from safety.deletion import DeletionPlan
from safety.statuses import (
    CALLBACK_STATUSES,
    ERASURE_APPROVAL_STATUSES,
    ESCALATION_STATUSES,
    IDENTITY_STATUSES,
    NOTICE_STATUSES,
    OUTBOX_KINDS,
    OUTBOX_STATUSES,
    PHONE_CALL_OUTCOMES,
    PRIORITIES,
    PROGRAMME_EVENT_STATUSES,
    STAFF_STATUSES,
    SURVIVOR_STATUSES,
    WAVE_KINDS,
    WAVE_STATES,
)


class Base(DeclarativeBase):
    pass


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    """A status column holds only its closed list (safety/statuses.py), checked by the database too."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


class Survivor(Base):
    """One enrolled person. `pseudonym` is random and the only id that appears in logs."""

    __tablename__ = "survivors"
    __table_args__ = (_one_of("status", SURVIVOR_STATUSES, "ck_survivors_status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="onboarding")  # safety.statuses.SurvivorStatus
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # where she lives, her safe hours, her cover and whether she chose plain words describe her: a
    # dump must not show when it is safe to reach her (never used in a WHERE: read, then decided)
    country: Mapped[str] = mapped_column(EncryptedText, default="GB")
    timezone: Mapped[str] = mapped_column(EncryptedText, default="Europe/London")
    persona: Mapped[str | None] = mapped_column(EncryptedText)
    plain_mode: Mapped[bool] = mapped_column(EncryptedJSON, default=False)
    contact_windows: Mapped[Any] = mapped_column(EncryptedJSON, default=list)
    expiry_minutes: Mapped[int] = mapped_column(Integer, default=60)
    unlock_minutes: Mapped[int] = mapped_column(Integer, default=10)
    pin_hash: Mapped[str | None] = mapped_column(EncryptedText)
    duress_pin_hash: Mapped[str | None] = mapped_column(EncryptedText)
    display_name: Mapped[str | None] = mapped_column(EncryptedText)
    notes: Mapped[str | None] = mapped_column(EncryptedText)
    state: Mapped[Any] = mapped_column(EncryptedJSON, default=dict)
    outbound_paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChannelIdentity(Base):
    """A phone number or chat id through which a survivor (or a stranger) writes to us."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "address_index", name="uq_identity_address"),
                      _one_of("status", IDENTITY_STATUSES, "ck_channel_identities_status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("survivors.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address_index: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(EncryptedText)
    status: Mapped[str] = mapped_column(String(16), default="unverified")  # safety.statuses.IdentityStatus
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invitation(Base):
    """A one-time enrolment code a liaison worker creates after speaking to the survivor."""

    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_index: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8))
    country: Mapped[str] = mapped_column(String(4), default="GB")
    address: Mapped[str | None] = mapped_column(EncryptedText)  # SMS: the number the worker gave
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("survivors.id", ondelete="SET NULL"))
    # his programme's case reference, if the worker gave it: linked to her record at enrolment (issue 14)
    case_site: Mapped[str | None] = mapped_column(String(64))
    case_ref: Mapped[str | None] = mapped_column(EncryptedText)


class ConsentRecord(Base):
    __tablename__ = "consent_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("survivors.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # information / checkins / evaluation
    granted: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundMessage(Base):
    """Every delivery we accepted, unique per provider id so a replay is processed once."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "provider_id", name="uq_inbound_provider_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(64))
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identities.id", ondelete="SET NULL"))
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("survivors.id", ondelete="SET NULL"), index=True)
    provider_message_id: Mapped[str | None] = mapped_column(EncryptedText)  # for deletion (Telegram id, SMS sid)
    sender: Mapped[str] = mapped_column(EncryptedText)
    body: Mapped[str | None] = mapped_column(EncryptedText)
    button: Mapped[str | None] = mapped_column(EncryptedText)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # her text held characters no database or UTF-8 can (a lone surrogate, NUL): stored with U+FFFD
    text_repaired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboundMessage(Base):
    """The outbox: written in the same transaction as the state change, sent by the dispatcher."""

    __tablename__ = "outbound_messages"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),
                      _one_of("status", OUTBOX_STATUSES, "ck_outbound_messages_status"),
                      _one_of("kind", OUTBOX_KINDS, "ck_outbound_messages_kind"),
                      CheckConstraint("(kind = 'delete') = (deletion_plan IS NOT NULL)",
                                      name="ck_outbound_messages_deletion_plan"))
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("survivors.id", ondelete="SET NULL"), index=True)
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identities.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(EncryptedText)
    recipient_index: Mapped[str] = mapped_column(String(64), index=True)  # blind index of the address
    kind: Mapped[str] = mapped_column(String(16), default="send")  # safety.statuses.OutboxKind
    edit_of_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    text_key: Mapped[str] = mapped_column(String(64))  # which content text, for audit without content
    body: Mapped[str | None] = mapped_column(EncryptedText)
    buttons: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    deletion_plan: Mapped[DeletionPlan | None] = mapped_column(EncryptedDeletionPlan)  # kind "delete" only
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    is_reply: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # safety.statuses.OutboxStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)  # the claiming process (bot.outbox.owners)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # retry budgets count from here
    last_error: Mapped[str | None] = mapped_column(String(200))
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    delivery_status: Mapped[str | None] = mapped_column(String(32))
    caused_by_inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProviderTurn(Base):
    """A provider's shared schedule of sending turns (bot.outbox.shared_rate): its channel's row
    (chat '') and a row per chat being written to, each with its theoretical next turn."""

    __tablename__ = "provider_turns"
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat: Mapped[str] = mapped_column(String(64), primary_key=True)  # '' or a recipient's blind index
    tat: Mapped[float] = mapped_column(Float)  # seconds since the epoch, by the database server's clock


class Escalation(Base):
    """Something a liaison worker must act on, ordered by priority and waiting time."""

    __tablename__ = "escalations"
    __table_args__ = (_one_of("status", ESCALATION_STATUSES, "ck_escalations_status"),
                      _one_of("priority", PRIORITIES, "ck_escalations_priority"))
    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("survivors.id", ondelete="SET NULL"), index=True)
    priority: Mapped[str] = mapped_column(String(16))  # safety.statuses.Priority
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")  # safety.statuses.EscalationStatus
    child_protection: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the console (issue 11): who holds it, how it ended, how far its alerting has gone
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    alert_round: Mapped[int] = mapped_column(Integer, default=0)  # 0 none, 1 alerted, 2 re-alerted, 3 supervisor
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CallbackRequest(Base):
    __tablename__ = "callback_requests"
    __table_args__ = (_one_of("status", CALLBACK_STATUSES, "ck_callback_requests_status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("survivors.id", ondelete="SET NULL"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id", ondelete="SET NULL"))
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    windows: Mapped[Any] = mapped_column(EncryptedJSON, default=list)  # when it is safe to ring her
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(32))  # done / no_answer / unsafe_to_talk
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PhoneCall(Base):
    """One "Call her now" (issue 29): the worker's phone rung first, then hers from the service's
    number, bridged only after her "1". `active_survivor_id` is her id while the call runs and NULL
    after: unique, so of two workers ringing her at once one insert wins (the conditional claim).
    Numbers and the reason are encrypted like hers; no recording or transcript exists anywhere."""

    __tablename__ = "phone_calls"
    __table_args__ = (_one_of("outcome", PHONE_CALL_OUTCOMES, "ck_phone_calls_outcome"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # names the call in Twilio's URLs
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("survivors.id", ondelete="SET NULL"), index=True)
    active_survivor_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callback_requests.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    worker_number: Mapped[str | None] = mapped_column(EncryptedText)
    her_number: Mapped[str | None] = mapped_column(EncryptedText)
    reason: Mapped[str | None] = mapped_column(EncryptedText)  # told to the worker in the whisper
    outside_windows_reason: Mapped[str | None] = mapped_column(EncryptedText)
    stage: Mapped[str] = mapped_column(String(16), default="ringing_worker")
    outcome: Mapped[str | None] = mapped_column(String(32))  # flows.phone_call.OUTCOMES
    her_key: Mapped[str | None] = mapped_column(String(16))  # confirmed / no_key / wrong_key (never the digit)
    worker_call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    her_call_sid: Mapped[str | None] = mapped_column(String(64))
    worker_seconds: Mapped[int | None] = mapped_column(Integer)
    her_seconds: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Who did what to which record; never content. Append-only and hash-chained (bot.audit):
    `seq` orders the chain, `row_hash` covers this row and `prev_hash`, so an edit or a deletion
    breaks the chain at that row."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    survivor_pseudonym: Mapped[str | None] = mapped_column(String(32), index=True)
    details: Mapped[Any] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


# --- the console and on-call alerts (issue 11) ------------------------------------------------


class StaffMember(Base):
    """A person who signs in to the console. Roles: liaison, supervisor, evaluator, programme, admin.
    The password is an argon2id hash; the TOTP secret, Telegram chat and SMS number are encrypted."""

    __tablename__ = "staff_members"
    __table_args__ = (_one_of("status", STAFF_STATUSES, "ck_staff_members_status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[Any] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="enrolling")  # safety.statuses.StaffStatus
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a code of this step or earlier: refused
    enrol_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrol_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_chat: Mapped[str | None] = mapped_column(EncryptedText)
    telegram_chat_index: Mapped[str | None] = mapped_column(String(64), index=True)
    telegram_link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    telegram_link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_number: Mapped[str | None] = mapped_column(EncryptedText)
    site: Mapped[str | None] = mapped_column(String(64))  # `programme` role: the site whose events they send
    # the worker's own phone for "Call her now" (issue 29): rung first, verified once by a spoken code
    call_number: Mapped[str | None] = mapped_column(EncryptedText)
    call_number_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    call_code_hash: Mapped[str | None] = mapped_column(String(64))
    call_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffSession(Base):
    """A signed-in console session. Only a hash of the cookie's token is stored."""

    __tablename__ = "staff_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInThrottle(Base):
    """Failed sign-ins counted per name tried (known or not) and per address (bot.staff.throttle).
    Both keys are SHA-256 hashes: no name tried and no address is stored."""

    __tablename__ = "sign_in_throttles"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    wait_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OnCallShift(Base):
    """The rota: who is on call from when to when (data a supervisor edits in the console)."""

    __tablename__ = "oncall_shifts"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))


class StaffAlert(Base):
    """One alert to one staff member about one escalation, per round: never twice."""

    __tablename__ = "staff_alerts"
    __table_args__ = (UniqueConstraint("escalation_id", "staff_id", "round", name="uq_staff_alert"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[str] = mapped_column(String(16))
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EscalationNote(Base):
    """A worker's note on an escalation, encrypted at rest."""

    __tablename__ = "escalation_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ErasureApproval(Base):
    """A worker asks to erase her data; a supervisor (another person) approves it."""

    __tablename__ = "erasure_approvals"
    __table_args__ = (_one_of("status", ERASURE_APPROVAL_STATUSES, "ck_erasure_approvals_status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("survivors.id", ondelete="SET NULL"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="requested")  # safety.statuses.ErasureApprovalStatus
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- check-in waves and evaluation (issue 7) --------------------------------------------------


class ProgrammeMilestones(Base):
    """Where his programme stands, entered by a worker or imported from the case system.

    One row per survivor. `enrolled_on` anchors the intake wave (T0); the programme dates anchor the
    rest (see content/waves.yaml). `planned_at`/`plan_signature` tell the scheduler whether her waves
    were planned from these values and the current wave configuration, so only changes are replanned.
    """

    __tablename__ = "programme_milestones"
    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("survivors.id", ondelete="CASCADE"), unique=True)
    enrolled_on: Mapped[date] = mapped_column(Date)
    programme_start: Mapped[date | None] = mapped_column(Date)
    expected_end: Mapped[date | None] = mapped_column(Date)
    actual_end: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))  # completed / dropped_out / excluded
    site: Mapped[str | None] = mapped_column(String(64))  # the programme's site, a code for evaluation by site
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_signature: Mapped[str | None] = mapped_column(String(64))


class WaveInstance(Base):
    """The truth about one wave for one survivor: planned, sent, reminded, then answered, partial,
    missing or cancelled. Unique per (survivor, wave), and every state change is a conditional
    UPDATE, so neither a restart nor a second scheduler can send a wave twice."""

    __tablename__ = "wave_instances"
    __table_args__ = (
        UniqueConstraint("survivor_id", "wave_code", name="uq_wave_instance"),
        Index("ix_wave_instances_due", "state", "due_at"),
        Index("ix_wave_instances_closes", "state", "closes_at"),
        _one_of("state", WAVE_STATES, "ck_wave_instances_state"),
        _one_of("wave_kind", WAVE_KINDS, "ck_wave_instances_wave_kind"),
        _one_of("triage_priority", PRIORITIES, "ck_wave_instances_triage_priority"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL only after erasure with evaluation consent: then kept, unlinked, under evaluation_pseudonym
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("survivors.id", ondelete="CASCADE"))
    wave_code: Mapped[str] = mapped_column(String(16))
    wave_kind: Mapped[str] = mapped_column(String(16))  # safety.statuses.WaveKind
    questionnaire: Mapped[str] = mapped_column(String(32))
    questionnaire_version: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="planned")  # safety.statuses.WaveState
    progress: Mapped[Any] = mapped_column(JSON, default=dict)  # only offered_again: her place is in her state
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    triage_priority: Mapped[str | None] = mapped_column(String(16))  # highest escalation raised from it
    evaluation_pseudonym: Mapped[str | None] = mapped_column(String(32))  # set when detached at erasure
    programme_outcome: Mapped[str | None] = mapped_column(String(16))  # set when detached at erasure
    programme_site: Mapped[str | None] = mapped_column(String(64))  # set when detached at erasure
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Answer(Base):
    """One answer to one questionnaire item: a coded value (or skipped); free text encrypted."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("wave_instance_id", "item_code", name="uq_answer_item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_instance_id: Mapped[int] = mapped_column(ForeignKey("wave_instances.id", ondelete="CASCADE"))
    item_code: Mapped[str] = mapped_column(String(32))
    value: Mapped[str | None] = mapped_column(String(32))
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    free_text: Mapped[str | None] = mapped_column(EncryptedText)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# APScheduler 3's SQLAlchemyJobStore table (same shape as the one it would create), declared here so
# that migrations, not the job store, create it. It holds only the scheduler's tick, never wave state.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


# --- delivery and keys (issue 12) ---------------------------------------------------------------


class KeyCanary(Base):
    """Which key ids this database's data is under, and a value only those keys open. Checked at
    start: a different key file would read nothing (her "hello" would look like a stranger's), so
    the service refuses it instead of starting "healthy". One row; `check_value` is ciphertext and
    `index_check` a blind index of a fixed text, written by the service, not the ORM type."""

    __tablename__ = "key_canary"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_ids: Mapped[str] = mapped_column(String(400))  # comma-separated, never key material
    check_value: Mapped[str] = mapped_column(Text)
    index_check: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# --- risk notices (issue 14) --------------------------------------------------------------------


class ProgrammeToken(Base):
    """A bearer token with which one programme site posts events. Only its SHA-256 is stored; a
    revoked token stays, so the audit trail can still name it."""

    __tablename__ = "programme_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(16))  # the first characters, to tell tokens apart
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProgrammeCase(Base):
    """His case in his programme, linked to her record. The reference is his programme's own; it is
    stored as a blind index (to match events) and ciphertext (for her worker), never shown to the
    `programme` role. One woman has one case; one case may be linked to several women (his partner
    and his ex-partner): each is told about his events, by her own notice."""

    __tablename__ = "programme_cases"
    __table_args__ = (Index("ix_programme_cases_site_case", "site", "case_index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("survivors.id", ondelete="CASCADE"), unique=True)
    site: Mapped[str] = mapped_column(String(64))
    case_index: Mapped[str] = mapped_column(String(64))
    case_ref: Mapped[str] = mapped_column(EncryptedText)
    linked_by: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProgrammeEvent(Base):
    """Something that happened in his programme, as his programme reported it. Idempotent by the
    sender's own event id per site: a replay finds the row and changes nothing. An event whose case
    is not linked is held `unmatched` until a liaison worker links it."""

    __tablename__ = "programme_events"
    __table_args__ = (
        UniqueConstraint("site", "source_event_id", name="uq_programme_event_source"),
        _one_of("status", PROGRAMME_EVENT_STATUSES, "ck_programme_event_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    source_event_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))  # content/programme_events.yaml
    reason_class: Mapped[str | None] = mapped_column(String(32))  # excluded: violence_threat / non_attendance / other
    sessions_missed: Mapped[int | None] = mapped_column(Integer)
    expected_end: Mapped[date | None] = mapped_column(Date)  # started: the programme's expected end
    occurred_on: Mapped[date] = mapped_column(Date)
    case_index: Mapped[str] = mapped_column(String(64), index=True)
    case_ref: Mapped[str] = mapped_column(EncryptedText)
    detail: Mapped[str | None] = mapped_column(EncryptedText)  # the programme's own words, for her worker
    status: Mapped[str] = mapped_column(String(16), default="unmatched")  # matched: to one woman or more
    received_via: Mapped[str] = mapped_column(String(8))  # form / csv / api
    received_by: Mapped[str] = mapped_column(String(64))  # staff name or "site:<site>"
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first matched
    # when it was matched against the cases linked at the time (after the sender had its answer):
    # None while that is still to do (bot.programme.intake.settle)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class ProgrammeEventMatch(Base):
    """One event matched to one woman linked to his case (the event may concern several)."""

    __tablename__ = "programme_event_matches"
    __table_args__ = (UniqueConstraint("event_id", "survivor_id", name="uq_programme_event_match"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("programme_events.id", ondelete="CASCADE"), index=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("survivors.id", ondelete="CASCADE"), index=True)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notice(Base):
    """A notice to her about one programme event: drafted from content/<locale>/notices.yaml, edited
    and approved by a worker (urgent kinds by a second person too), then sent through the outbox
    behind a neutral preview. Its timeline is in `notice_steps`."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("event_id", "survivor_id", name="uq_notice_event"),
        _one_of("status", NOTICE_STATUSES, "ck_notice_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("programme_events.id", ondelete="CASCADE"), index=True)
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("survivors.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    body: Mapped[str] = mapped_column(EncryptedText)  # the text she reads after her PIN
    drafted_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    second_approved_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    preview_outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id", ondelete="SET NULL"))
    response: Mapped[str | None] = mapped_column(String(16))  # got_it / ring_me
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # urgent: no answer by then -> escalation
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NoticeStep(Base):
    """One step on a notice's timeline: drafted, edited, approved, second_approved, queued, sent,
    delivered, opened, acknowledged, undeliverable, escalated. Who did it, never what it said."""

    __tablename__ = "notice_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))  # a staff name, "her" or "service"
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
