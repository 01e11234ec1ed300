"""What the property test reads after every step: her phone (every message that reached it, with its
buttons), and her record as the database holds it (status, state, PINs, escalations, audit, answers,
call-backs, notices, outbox). Read-only: the test only looks; what happens is the service's doing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.storage.models import (
    Answer,
    AuditEvent,
    CallbackRequest,
    ChannelIdentity,
    Escalation,
    Notice,
    OutboundMessage,
    Survivor,
    WaveInstance,
)
from tests.support.her_phone import HerPhone

OPEN_WAVE_STATES = ("sent", "reminded")


@dataclass(frozen=True)
class Arrival:
    """One message of ours that reached her phone."""

    text: str
    payloads: tuple[str, ...] = ()  # its buttons (Telegram, simulator); SMS shows numbered lines instead


@dataclass
class Record:
    """Her record after a step (None fields: not enrolled, or erased)."""

    sid: int | None = None
    status: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    locale: str = "en"
    plain: bool = False
    persona: str | None = None
    windows: list[Any] = field(default_factory=list)
    timezone: str = "Europe/London"
    pin_hash: str | None = None
    duress_hash: str | None = None
    paused_until: datetime | None = None
    escalations: list[tuple[int, str, str]] = field(default_factory=list)  # id, priority, reason
    audit: list[tuple[int, str]] = field(default_factory=list)  # id, action
    answers: dict[tuple[int, str], tuple[str | None, bool, datetime]] = field(default_factory=dict)
    callbacks: list[tuple[int, list[Any], str | None]] = field(default_factory=list)  # id, windows, phone
    notices: dict[int, tuple[str, str | None, str]] = field(default_factory=dict)  # id -> status, response, body
    waves: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # id -> state, questionnaire, version
    outbox: list[OutboundMessage] = field(default_factory=list)

    @property
    def flow(self) -> tuple[str | None, str | None]:
        return self.state.get("flow"), self.state.get("step")

    @property
    def open_wave(self) -> int | None:
        return next((i for i, (state, _q, _v) in self.waves.items() if state in OPEN_WAVE_STATES), None)

    def outbox_row(self, row_id: int) -> OutboundMessage | None:
        return next((r for r in self.outbox if r.id == row_id), None)


async def read_record(her: HerPhone) -> Record:
    svc = her.svc
    index = svc.keyring.blind_index(her.channel, her.address)
    async with svc.db.sessions() as s:
        identity = await s.scalar(select(ChannelIdentity).where(ChannelIdentity.channel == her.channel,
                                                                ChannelIdentity.address_index == index))
        rec = Record()
        rec.outbox = list((await s.scalars(select(OutboundMessage).where(OutboundMessage.recipient_index == index)
                                           .order_by(OutboundMessage.id))).all())
        rec.audit = [(a.id, a.action) for a in (await s.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
                     if a.actor in ("survivor", "system")]
        if identity is None or identity.survivor_id is None:
            return rec
        survivor = await s.get(Survivor, identity.survivor_id)
        if survivor is None:
            return rec
        rec.sid, rec.status, rec.state = survivor.id, survivor.status, dict(survivor.state or {})
        rec.locale, rec.plain, rec.persona = survivor.locale, bool(survivor.plain_mode), survivor.persona
        rec.windows, rec.timezone = list(survivor.contact_windows or []), survivor.timezone
        rec.pin_hash, rec.duress_hash = survivor.pin_hash, survivor.duress_pin_hash
        rec.paused_until = survivor.outbound_paused_until
        rec.escalations = [(e.id, e.priority, e.reason) for e in (await s.scalars(
            select(Escalation).where(Escalation.survivor_id == survivor.id).order_by(Escalation.id))).all()]
        waves = (await s.scalars(select(WaveInstance).where(WaveInstance.survivor_id == survivor.id))).all()
        rec.waves = {w.id: (w.state, w.questionnaire, w.questionnaire_version) for w in waves}
        if waves:
            rows = (await s.scalars(select(Answer).where(Answer.wave_instance_id.in_([w.id for w in waves])))).all()
            rec.answers = {(a.wave_instance_id, a.item_code): (a.value, bool(a.skipped), a.answered_at) for a in rows}
        rec.callbacks = [(c.id, list(c.windows or []), c.phone) for c in (await s.scalars(
            select(CallbackRequest).where(CallbackRequest.survivor_id == survivor.id))).all()]
        rec.notices = {n.id: (n.status, n.response, n.body) for n in (await s.scalars(
            select(Notice).where(Notice.survivor_id == survivor.id))).all()}
        return rec


class Arrivals:
    """Every message of ours that reached her phone since the last look, in order: the fake Bot API's
    sendMessage calls, the fake Twilio's thread to her, the simulator's screen."""

    def __init__(self, her: HerPhone) -> None:
        self.her = her
        self.cursor = 0
        self.seen_ids: set[int] = set()

    def new(self) -> list[Arrival]:
        her = self.her
        out: list[Arrival] = []
        if her.telegram is not None:
            calls = her.telegram.calls("sendMessage")
            for call in calls[self.cursor:]:
                if str(call.params.get("chat_id")) != her.address:
                    continue  # an on-call alert to a worker's chat
                markup = call.params.get("reply_markup") or {}
                rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
                out.append(Arrival(str(call.params.get("text", "")),
                                   tuple(b.get("callback_data", "") for row in rows for b in row)))
            self.cursor = len(calls)
        elif her.twilio is not None:
            texts = her.twilio.texts_to(her.address)
            out = [Arrival(t) for t in texts[self.cursor:]]
            self.cursor = len(texts)
        else:
            for m in her.bot_messages():
                if int(m["message_id"]) not in self.seen_ids:
                    self.seen_ids.add(int(m["message_id"]))
                    out.append(Arrival(str(m["text"]), tuple(p for p, _label in m["buttons"])))
        return out
