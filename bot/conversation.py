"""Turns one persisted inbound event into state changes and outbox rows, in one transaction.

This is the glue between I/O and the pure flows: it looks up who wrote (by blind index),
pre-fetches what the flows need (her profile and consents, invitation validity, PIN hashes),
calls the router, applies the returned effects and enqueues its messages rendered for her
locale and cover, all in the caller's transaction, so a crash leaves either everything or nothing.
"""

from __future__ import annotations

import asyncio
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any, assert_never

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import catalog, enrolment, live_chat
from bot.actions.deletion import queue_deletions
from bot.actions.held_escalations import HELD
from bot.actions.quick_exit import end_quiet, quick_exit
from bot.channels.base import InboundEvent
from bot.channels.registry import capabilities
from bot.escalations import raise_escalation
from bot.logs import log_event
from bot.notices.her_side import named_notices, newest_unprompted, record_opened
from bot.notices.her_side import record_answer as record_notice_answer
from bot.notices.her_side import views as notice_views
from bot.oncall.telegram_link import handle_staff_inbound
from bot.outbox.enqueue import enqueue
from bot.rendering import render
from bot.storage.bell import ring_on_commit
from bot.storage.models import (
    AuditEvent,
    CallbackRequest,
    ChannelIdentity,
    ConsentRecord,
    Escalation,
    InboundMessage,
    OutboundMessage,
    Survivor,
)
from bot.waves.checkin_io import closed_checkin, finish_wave, open_checkin, set_priority
from bot.waves.checkin_io import record_answer as record_checkin_answer
from bot.waves.delivery import QUIET_AFTER_HER_MESSAGE, WAVE_MESSAGE_KEYS
from content import LOCALES
from flows import notice as notice_flow
from flows import onboarding, router
from flows.common import crisis_say, emergency_say
from flows.keywords import has_letters
from flows.state import FlowState, PinData, data_as, finish, load_state, map_number
from flows.stranger import guess_locale, reply_to_stranger
from flows.types import (
    PROFILE_FIELDS,
    ButtonSpent,
    Context,
    CreateCallback,
    DeclineInvitation,
    Enrol,
    EraseRequested,
    FinishCheckin,
    FlowResult,
    ForgetInbound,
    HoldEscalation,
    Interpret,
    NoticeAnswered,
    NoticeOpened,
    PauseOutbound,
    Profile,
    QuickExitRequested,
    RaiseEscalation,
    RecordCheckinAnswer,
    RecordConsent,
    RejectCode,
    ReleaseHeldEscalations,
    SetCheckinPriority,
    SetPin,
    SetStatus,
    ToWorker,
    UpdateProfile,
    UserInput,
)
from safety.account_change import signals_new_person
from safety.crypto import KeyRing
from safety.danger_net import DangerSignal, detect_danger
from safety.deletion import Deletable, clamp_expiry_minutes
from safety.disguise import Disguise
from safety.pin import PinHasher, SurvivorPins
from safety.triage import default_rules

Interpreter = Callable[[str, str], Awaitable[str | None]]
ANSWERS = (NoticeAnswered, RecordCheckinAnswer, CreateCallback)  # a press that answers the message it sits under
UNTIL_REVERIFIED = timedelta(days=3650)  # a worker lifts it after re-verifying her route
MIN_UNLOCK, MAX_UNLOCK = 1, 60


async def interpret(interpreter: Interpreter | None, text: str, locale: str) -> str | None:
    """The NLU (the pipeline's `interpreter`, None until the service has started): an intent name
    (Rasa's intent.name) or None. Asked only for free text with letters that no flow understood
    (never for PINs or numbers); flows.fallback.understand decides what each intent does."""
    if interpreter is None:
        return None
    try:
        return await interpreter(text, locale)
    except Exception:  # an NLU outage must not cost her the reply: she gets "didn't get that"
        log_event("nlu.failed", exc_info=True)
        return None


def danger_in(text: str | None, locale: str) -> bool:
    """The danger net runs on every free text, whatever a model or a flow makes of it."""
    return danger_signal(text, locale) is not None


def danger_signal(text: str | None, locale: str) -> DangerSignal | None:
    """The danger net's signal (its rule says whether it is self-harm), None when it did not fire."""
    return detect_danger(text or "", locale) if has_letters(text) else None


IDENTITY_BY_ADDRESS = select(ChannelIdentity).where(  # built once: looked up for every message
    ChannelIdentity.channel == bindparam("channel"), ChannelIdentity.address_index == bindparam("address_index"))


async def find_identity(session: AsyncSession, keyring: KeyRing, channel: str,
                        address: str) -> ChannelIdentity | None:
    return await session.scalar(
        IDENTITY_BY_ADDRESS, {"channel": channel, "address_index": keyring.blind_index(channel, address)})


async def handle_inbound(session: AsyncSession, keyring: KeyRing, event: InboundEvent,
                         inbound: InboundMessage, now: datetime, *, pin_hasher: PinHasher,
                         interpreter: Interpreter | None = None) -> FlowResult:
    staff = await handle_staff_inbound(session, keyring, event, inbound.id, now)
    if staff is not None:  # a staff code, chat or button: never the survivor logic
        return FlowResult(state=FlowState(), notice=staff.notice, keep_keyboard=True)
    user_input = UserInput(channel=event.channel, at=now, text=event.text, button=event.button)
    identity = await find_identity(session, keyring, event.channel, event.address)
    survivor = None
    if identity is not None and identity.survivor_id is not None:
        survivor = await session.scalar(
            select(Survivor).where(Survivor.id == identity.survivor_id).with_for_update()
        )
    if survivor is not None and identity is not None and identity.status == "suspect":
        survivor = None  # not confirmed to be her: treated as a stranger until a worker re-verifies
    elif survivor is not None and identity is not None and signals_new_person(event.text, survivor.locale):
        await mark_identity_suspect(session, survivor, identity, now)
        survivor = None
    if survivor is None or survivor.status == "erased":
        result, survivor, identity, locale, disguise = await _from_stranger(
            session, keyring, event, user_input, identity, now)
    else:
        inbound.identity_id, inbound.survivor_id = identity.id if identity else None, survivor.id
        result = await _from_survivor(session, keyring, event, user_input, survivor, identity, inbound, now,
                                      pin_hasher, interpreter)
        locale, disguise = survivor.locale, Disguise.of(survivor.persona, survivor.plain_mode)
    if survivor is not None and identity is not None:
        inbound.identity_id, inbound.survivor_id = identity.id, survivor.id
    if any(isinstance(e, ButtonSpent) for e in result.effects):
        result.notice = catalog.text(locale, "common.already_done")
    elif event.button is not None and any(isinstance(e, ANSWERS) for e in result.effects):
        result.spent = True  # "Got it", a check-in answer, a confirmed call-back: its buttons go
    address_index = keyring.blind_index(event.channel, event.address)
    for i, say in enumerate(result.says):
        body, buttons = render(say, locale, disguise)
        enqueue(
            session, channel=event.channel, address=event.address, address_index=address_index,
            cause=f"in:{inbound.id}", index=i, text_key=say.key, body=body, buttons=buttons,
            survivor_id=survivor.id if survivor else None, identity_id=identity.id if identity else None,
            sensitive=say.sensitive, urgent=say.urgent, is_reply=True, inbound_id=inbound.id,
        )
    return result


async def mark_identity_suspect(session: AsyncSession, survivor: Survivor, identity: ChannelIdentity,
                                now: datetime) -> None:
    """Someone else seems to have her number or account now: stop everything to it, ask a worker."""
    identity.status = "suspect"
    await cancel_queued(session, survivor.id, reason="identity_unconfirmed")
    await raise_escalation(session, survivor_id=survivor.id, priority="high", reason="reverify_identity", now=now,
                           pseudonym=survivor.pseudonym)
    session.add(AuditEvent(actor="system", action="identity.suspect", survivor_pseudonym=survivor.pseudonym,
                           details={"channel": identity.channel}, at=now))
    log_event("identity.suspect", survivor=survivor.pseudonym, channel=identity.channel)


# -- someone we do not know ----------------------------------------------------------------------

async def _from_stranger(session: AsyncSession, keyring: KeyRing, event: InboundEvent, user_input: UserInput,
                         identity: ChannelIdentity | None, now: datetime
                         ) -> tuple[FlowResult, Survivor | None, ChannelIdentity | None, str, Disguise | None]:
    invite = await enrolment.look_up(session, keyring, event.channel, event.address, event.text, now)
    ctx = Context(now=now, channel=event.channel, caps=capabilities(event.channel), invite=invite,
                  personas=catalog.persona_ids())
    result = onboarding.begin(user_input, ctx)
    guessed = guess_locale(event.text)  # a stranger's locale is unknown: the language she wrote in
    signal = danger_signal(event.text, guessed)
    if not any(isinstance(e, Enrol) for e in result.effects) and signal is not None:
        # whoever writes this gets the emergency numbers (or the crisis line), in wording that names no service
        log_event("danger.detected", channel=event.channel, who="stranger")
        result.says.append(crisis_say(ctx) if signal.self_harm else emergency_say(ctx, ()))
    survivor: Survivor | None = None
    for effect in result.effects:
        if isinstance(effect, Enrol):
            enrolled = await enrolment.enrol(session, keyring, effect.invitation_id, event.channel, event.address,
                                             identity, now)
            if enrolled is None:  # used a moment ago by someone else: the same neutral reply
                enrolment.record_rejection(session, keyring.blind_index(event.channel, event.address),
                                           event.channel, "used", now)
                return reply_to_stranger(ctx.caps), None, identity, guessed, None
            survivor, identity = enrolled
            survivor.state = finish(result, replace(ctx, profile=None)).state.dump()
        elif isinstance(effect, RejectCode):
            enrolment.record_rejection(session, keyring.blind_index(event.channel, event.address),
                                       event.channel, effect.reason, now)
        elif isinstance(effect, DeclineInvitation):
            await enrolment.decline(session, effect.invitation_id, now)
            return result, None, identity, invite.locale, Disguise()
    if survivor is not None:
        log_event("enrol.accepted", survivor=survivor.pseudonym, channel=event.channel)
        return result, survivor, identity, survivor.locale, Disguise.of(None, False)
    return result, None, identity, guessed, None


# -- an enrolled survivor ------------------------------------------------------------------------

@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


async def _consents(session: AsyncSession, survivor_id: int) -> dict[str, bool]:
    rows = await session.execute(
        select(ConsentRecord.kind, ConsentRecord.granted)
        .where(ConsentRecord.survivor_id == survivor_id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    )
    latest: dict[str, bool] = {}
    for kind, granted in rows:
        latest[kind] = bool(granted)
    return latest


def profile_of(survivor: Survivor, consents: dict[str, bool]) -> Profile:
    return Profile(
        status=survivor.status, locale=survivor.locale, country=survivor.country, timezone=survivor.timezone,
        persona=survivor.persona, plain_mode=bool(survivor.plain_mode),
        contact_windows=list(survivor.contact_windows or []), expiry_minutes=survivor.expiry_minutes,
        unlock_minutes=survivor.unlock_minutes, has_pin=survivor.pin_hash is not None, consents=consents,
    )


async def _from_survivor(session: AsyncSession, keyring: KeyRing, event: InboundEvent, user_input: UserInput,
                         survivor: Survivor, identity: ChannelIdentity | None, inbound: InboundMessage,
                         now: datetime, pin_hasher: PinHasher, interpreter: Interpreter | None) -> FlowResult:
    """Her turn: pre-fetch what the rules need, route (again with the NLU's intent when asked),
    carry out the effects and keep the new state. The router owns every decision."""
    signal = danger_signal(event.text, survivor.locale)
    danger = signal is not None
    if signal is not None:
        log_event("danger.detected", survivor=survivor.pseudonym, channel=event.channel, self_harm=signal.self_harm)
    state = load_state(survivor.state)
    if state.quiet_until is not None:  # she wrote after quick exit: the chat is hers to use again
        await end_quiet(session, survivor, state.quiet_until, now)
        state = state.but(quiet_until=None)
    ctx = await prefetch(session, keyring, event, user_input, survivor, state, now, pin_hasher, danger)
    if signal is not None and signal.self_harm:
        ctx = replace(ctx, self_harm=True)
    await postpone_wave_messages(session, survivor.id, now)
    # argon2 is deliberately slow: keep it off the event loop
    result = await asyncio.to_thread(router.route, user_input, state, ctx)
    asked = next((e for e in result.effects if isinstance(e, Interpret)), None)
    if asked is not None:
        intent = await interpret(interpreter, asked.text, survivor.locale)
        result = await asyncio.to_thread(router.route, user_input, state, replace(ctx, intent=intent, interpreted=True))
    await apply_effects(session, survivor, identity, inbound, event, result, now)
    survivor.state = result.state.dump()
    await ring_on_commit(session, survivor.id)  # a worker's open page shows her message (issue 28)
    return result


async def prefetch(session: AsyncSession, keyring: KeyRing, event: InboundEvent, user_input: UserInput,
                   survivor: Survivor, state: FlowState, now: datetime, pin_hasher: PinHasher,
                   danger: bool) -> Context:
    """Everything the rules read from the database, fetched before routing so they stay pure: her
    profile and consents, her open check-in (or the closed wave a button belongs to), what arrived
    last unasked (only for a typed number), the notices her input names, whether the button is stale."""
    active = survivor.status == "active"
    checkin = await open_checkin(session, survivor, now)
    closed = None
    if checkin is None and active:
        then = data_as(state, PinData).then if state.flow == "pin" else None
        numbered = map_number(state, user_input.text) if user_input.button is None else None
        closed = await closed_checkin(session, survivor, (user_input.button, numbered, then))
    typed_number = active and not danger and notice_flow.typed_number(user_input)
    unprompted = await newest_unprompted(session, survivor.id) if typed_number else None
    notices = await notice_views(session, survivor.id, named_notices(user_input, state, unprompted)) if active else {}
    return Context(
        now=now, channel=event.channel, caps=capabilities(event.channel),
        profile=profile_of(survivor, await _consents(session, survivor.id)),
        pins=SurvivorPins(survivor.pin_hash, survivor.duress_pin_hash, pin_hasher), personas=catalog.persona_ids(),
        consent_versions=catalog.consent_versions(survivor.locale), timezones=_timezones(), danger=danger,
        checkin=checkin, closed_checkin=closed,
        triage=default_rules(), unprompted=unprompted, notices=notices,
        stale_button=await stale_button(session, keyring, event),
        worker_holds=active and await live_chat.held(session, survivor.id) is not None,
    )


async def postpone_wave_messages(session: AsyncSession, survivor_id: int, now: datetime) -> None:
    """She is writing to us (reading the information pages, say): a survey opening or reminder
    still waiting in the outbox waits until QUIET_AFTER_HER_MESSAGE after this message, then for
    her window as always (the dispatcher's gate)."""
    until = now + QUIET_AFTER_HER_MESSAGE
    await session.execute(
        update(OutboundMessage).where(
            OutboundMessage.survivor_id == survivor_id, OutboundMessage.kind == "send",
            OutboundMessage.status == "pending", OutboundMessage.is_reply.is_(False),
            OutboundMessage.text_key.in_(WAVE_MESSAGE_KEYS), OutboundMessage.next_attempt_at < until,
        ).values(next_attempt_at=until))


LATEST_LOOKED_AT = 20  # our latest replies read to find the one with buttons


async def stale_button(session: AsyncSession, keyring: KeyRing, event: InboundEvent) -> bool:
    """The pressed button sits under a message older than our latest reply with buttons: its
    question was answered already (the same "Yes" on question 1 must not answer question 2)."""
    if event.button is None or event.provider_message_id is None:
        return False
    rows = (await session.execute(
        select(OutboundMessage.provider_message_id, OutboundMessage.buttons).where(
            OutboundMessage.recipient_index == keyring.blind_index(event.channel, event.address),
            OutboundMessage.kind == "send",
            OutboundMessage.status == "sent", OutboundMessage.is_reply.is_(True),
        ).order_by(OutboundMessage.id.desc()).limit(LATEST_LOOKED_AT))).all()
    latest = next((pid for pid, buttons in rows if buttons), None)
    return latest is not None and str(latest) != str(event.provider_message_id)


async def apply_effects(session: AsyncSession, survivor: Survivor, identity: ChannelIdentity | None,
                        inbound: InboundMessage, event: InboundEvent, result: FlowResult, now: datetime) -> None:
    """Carry out what the flows asked for, in the caller's transaction. One case per kind of effect;
    mypy checks that every kind in `flows.types.Effect` has one (`assert_never`)."""
    for effect in result.effects:
        match effect:
            case RaiseEscalation():
                await raise_escalation(session, survivor_id=survivor.id, priority=effect.priority,
                                       reason=effect.reason, child_protection=effect.child_protection, now=now,
                                       pseudonym=survivor.pseudonym, inbound_id=inbound.id)
            case ToWorker():
                await live_chat.heard(session, survivor.id, now)
            case RecordConsent():
                session.add(ConsentRecord(survivor_id=survivor.id, kind=effect.kind, granted=effect.granted,
                                          text_version=effect.text_version, channel=event.channel, recorded_at=now))
            case SetPin(duress=True):
                survivor.duress_pin_hash = effect.pin_hash
            case SetPin():
                survivor.pin_hash = effect.pin_hash
            case UpdateProfile():
                _update_profile(survivor, effect.changes)
            case SetStatus():
                await _set_status(session, survivor, identity, effect.status, now)
            case CreateCallback():
                await _create_callback(session, survivor, event, effect, now)
            case QuickExitRequested():
                await live_chat.end_for_her(session, survivor.id, "quick_exit", now)  # the worker's page says so
                await carry_out_quick_exit(session, survivor, identity, inbound, now, effect.quiet_until)
            case EraseRequested():
                await carry_out_erase_request(session, survivor, identity, now)
            case PauseOutbound():
                survivor.outbound_paused_until = now + UNTIL_REVERIFIED
                log_event("outbound.paused", survivor=survivor.pseudonym, reason=effect.reason)
            case ForgetInbound():
                await forget_inbound(session, identity, inbound, now)
            case HoldEscalation():
                # opens by itself at due_at unless she answers first (scheduler/safety_jobs.py)
                session.add(Escalation(survivor_id=survivor.id, priority=effect.priority, reason=effect.reason,
                                       status=HELD, created_at=now, due_at=now + effect.wait))
                log_event("escalation.held", survivor=survivor.pseudonym, priority=effect.priority,
                          reason=effect.reason)
            case ReleaseHeldEscalations():
                await session.execute(
                    update(Escalation)
                    .where(Escalation.survivor_id == survivor.id, Escalation.status == HELD,
                           Escalation.reason == effect.reason)
                    .values(status="closed", closed_at=now))
            case NoticeOpened():
                await record_opened(session, effect.notice_id, now)
            case NoticeAnswered():
                await record_notice_answer(session, survivor, effect, event.channel, event.address, now)
            case RecordCheckinAnswer():
                await record_checkin_answer(session, effect, now)
            case FinishCheckin():
                await finish_wave(session, effect, now)
            case SetCheckinPriority():
                await set_priority(session, effect)
            case Interpret():
                continue  # answered above; the second routing never asks again
            case ButtonSpent():
                continue  # nothing happens again; handle_inbound gives the channel its notice
            case Enrol() | RejectCode() | DeclineInvitation():
                # a stranger's: carried out before she is enrolled (_from_stranger), never reached here
                raise TypeError(f"{type(effect).__name__} is for a stranger, not an enrolled survivor")
            case _:
                assert_never(effect)


def _update_profile(survivor: Survivor, changes: Mapping[str, Any]) -> None:
    """Only known settings, each checked: the state a flow worked from may be stale or tampered."""
    for name, value in changes.items():
        if name not in PROFILE_FIELDS:
            raise ValueError(f"flows may not change {name!r}")
        if name == "locale" and value not in LOCALES:
            continue
        if name == "timezone" and value not in _timezones():
            continue
        if name == "persona" and value not in catalog.persona_ids():
            continue
        if name == "expiry_minutes":
            value = clamp_expiry_minutes(int(value))  # inside Telegram's 48-hour deletion window
        if name == "unlock_minutes":
            value = max(MIN_UNLOCK, min(MAX_UNLOCK, int(value)))
        if name == "plain_mode":
            value = bool(value)
        setattr(survivor, name, value)


async def _set_status(session: AsyncSession, survivor: Survivor, identity: ChannelIdentity | None,
                      status: str, now: datetime) -> None:
    survivor.status = status
    if identity is not None:
        identity.status = "stopped" if status in ("stopped", "declined", "erasing") else "active"
    if status in ("stopped", "declined", "erasing"):
        await live_chat.end_for_her(session, survivor.id, "stopped", now)
        await cancel_queued(session, survivor.id, reason=status)


async def cancel_queued(session: AsyncSession, survivor_id: int, reason: str) -> None:
    """Stop means at once: nothing already queued for her goes out (the reply is queued after this).
    Queued deletions are not messages: they still run."""
    await session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.survivor_id == survivor_id, OutboundMessage.kind == "send",
               OutboundMessage.status.in_(("pending", "held")))
        .values(status="cancelled", last_error=reason, body=None, buttons=None)
    )


async def _create_callback(session: AsyncSession, survivor: Survivor, event: InboundEvent, effect: CreateCallback,
                           now: datetime) -> None:
    escalation = await raise_escalation(session, survivor_id=survivor.id, priority="routine",
                                        reason="callback_requested", now=now, pseudonym=survivor.pseudonym)
    phone = effect.phone if effect.phone else (event.address if capabilities(event.channel).phone_address else None)
    session.add(CallbackRequest(survivor_id=survivor.id, escalation_id=escalation.id, phone=phone,
                                windows=list(effect.windows), created_at=now))
    log_event("callback.requested", survivor=survivor.pseudonym)


# -- hooks the safety layer completes ------------------------------------------------------------

async def carry_out_quick_exit(session: AsyncSession, survivor: Survivor, identity: ChannelIdentity | None,
                               inbound: InboundMessage, now: datetime, quiet_until: datetime | None) -> None:
    """Quick exit: the safety layer deletes what the chat holds (Telegram, simulator) or pauses
    outbound (SMS) and records it; the flow's one cover message is queued after the deletions."""
    if identity is None:
        session.add(AuditEvent(actor="survivor", action="quick_exit", survivor_pseudonym=survivor.pseudonym, at=now))
        return
    await quick_exit(session, survivor, identity, cause=f"in:{inbound.id}", now=now, quiet_until=quiet_until)


async def carry_out_erase_request(session: AsyncSession, survivor: Survivor, identity: ChannelIdentity | None,
                                  now: datetime) -> None:
    """'Delete my data', confirmed twice. Everything queued for her is cancelled and she is marked
    `erasing`: her confirmation (queued after this) still goes out, then the safety tick erases
    everything, that confirmation included (scheduler.safety_jobs)."""
    session.add(AuditEvent(actor="survivor", action="erase.requested", survivor_pseudonym=survivor.pseudonym, at=now))
    await _set_status(session, survivor, identity, "erasing", now)


async def forget_inbound(session: AsyncSession, identity: ChannelIdentity | None, inbound: InboundMessage,
                        now: datetime) -> None:
    """Her message held a PIN: never keep its text, and delete it from her chat where the provider
    lets us (queued in the outbox like every provider deletion)."""
    inbound.body, inbound.button = None, None
    if identity is not None and inbound.provider_message_id:
        item = Deletable(str(inbound.provider_message_id), "in", inbound.id, inbound.received_at)
        await queue_deletions(session, identity, [item], f"pin:{inbound.id}", now)
