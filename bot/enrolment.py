"""Invitations: creating them (for `liaison invite create`), finding them, and enrolling with them.

Codes are stored only as a blind index, are single-use and expire. A sender who presents wrong
(or used, or expired) codes is counted by the blind index of their address, as audit events
without content; past REJECT_LIMIT in REJECT_WINDOW their codes are not even looked up, and the
reply stays the stranger's neutral one, so a guesser learns nothing either way.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import catalog
from bot.channels import registry
from bot.outbox.enqueue import enqueue
from bot.programme.linking import CaseLinkError, checked_case, link_invited_case
from bot.storage.models import AuditEvent, ChannelIdentity, Invitation, Survivor
from content import LOCALES
from flows.invitation_code import CODE_ALPHABET, CODE_LENGTH, extract_code
from flows.types import Invite, Say
from safety import windows
from safety.crypto import KeyRing
from safety.disguise import Disguise

COUNTRY_TIMEZONES = {"GB": "Europe/London", "IE": "Europe/Dublin", "DE": "Europe/Berlin", "AT": "Europe/Vienna",
                     "EU": "Europe/Brussels"}
DEFAULT_VALID_FOR = timedelta(hours=72)
REJECT_LIMIT = 5
REJECT_WINDOW = timedelta(hours=1)
ACTION_REJECTED = "enrol.code_rejected"
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


class InvitationError(ValueError):
    """An invitation that cannot be created as asked (the message says why)."""


@dataclass(frozen=True)
class CreatedInvitation:
    id: int
    code: str
    channel: str
    locale: str
    expires_at: datetime
    deep_link: str | None = None
    optin_queued: bool = False

    @property
    def display_code(self) -> str:
        """Easier to read out on the phone: K7QM-4TXP."""
        return f"{self.code[:4]}-{self.code[4:]}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_index(keyring: KeyRing, code: str) -> str:
    return keyring.blind_index("invite", code)


def e164(number: str) -> str | None:
    """A phone number as Twilio reports senders (+447700900123), or None."""
    compact = re.sub(r"[\s\-().]", "", number or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact if _E164.match(compact) else None


def sender_actor(address_index: str) -> str:
    """The audit actor for an unknown sender: a prefix of their blind index, never the address."""
    return "sender:" + address_index[:57]


async def create_invitation(session: AsyncSession, keyring: KeyRing, *, channel: str, locale: str,
                            country: str, created_by: str, now: datetime, phone: str | None = None,
                            valid_for: timedelta = DEFAULT_VALID_FOR,
                            bot_username: str | None = None, case_ref: str | None = None,
                            case_site: str | None = None) -> CreatedInvitation:
    """Store a new invitation; where her address is her phone number (SMS) also queue the one
    neutral opt-in message to her number; where the channel has deep links, the link to follow.
    With his programme's case reference (and site), her record is linked to his case when she enrols."""
    if channel not in registry.names():
        raise InvitationError(f"channel must be one of {', '.join(registry.names())}")
    caps = registry.capabilities(channel)
    if locale not in LOCALES:
        raise InvitationError(f"locale must be one of {', '.join(LOCALES)}")
    country = country.upper()
    if country not in COUNTRY_TIMEZONES:
        raise InvitationError(f"country must be one of {', '.join(COUNTRY_TIMEZONES)}")
    number = None
    if caps.phone_address:
        number = e164(phone or "")
        if number is None:
            raise InvitationError(f"an {channel} invitation needs --phone in international form, e.g. +447700900123")
    elif phone:
        raise InvitationError(f"--phone is only for channels that text her number, not {channel}")
    if (case_ref is None) != (case_site is None):
        raise InvitationError("a case reference needs its site: give --case and --site together")
    if case_ref is not None and case_site is not None:
        try:
            case_site, case_ref = checked_case(case_site, case_ref)
        except CaseLinkError as exc:
            raise InvitationError(str(exc)) from None
    code = new_code()
    inv = Invitation(code_index=code_index(keyring, code), channel=channel, locale=locale, country=country,
                     address=number, created_by=created_by[:64], created_at=now, expires_at=now + valid_for,
                     case_site=case_site, case_ref=case_ref)
    session.add(inv)
    await session.flush()
    session.add(AuditEvent(actor=created_by[:64], action="invite.created",
                           details={"invitation_id": inv.id, "channel": channel,
                                    **({"case_site": case_site} if case_site else {})}, at=now))
    link = caps.deep_link.format(bot=bot_username.lstrip("@"), code=code) if caps.deep_link and bot_username else None
    if number is not None:
        # not a reply: inside the default safe hours (09:00-20:00) of her own zone, like anything we start
        invitee_zone = windows.zone_of_number(number) or COUNTRY_TIMEZONES[country]
        body, buttons = catalog.render(Say("invite.sms_optin"), locale, Disguise())
        enqueue(session, channel=channel, address=number, address_index=keyring.blind_index(channel, number),
                cause=f"invite:{inv.id}", index=0, text_key="invite.sms_optin", body=body, buttons=buttons,
                is_reply=False, not_before=windows.next_open([], invitee_zone, now))
    return CreatedInvitation(inv.id, code, channel, locale, inv.expires_at, link, number is not None)


async def rejected_attempts(session: AsyncSession, address_index: str, now: datetime) -> int:
    return int(await session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == ACTION_REJECTED, AuditEvent.actor == sender_actor(address_index),
            AuditEvent.at > now - REJECT_WINDOW,
        )
    ) or 0)


def record_rejection(session: AsyncSession, address_index: str, channel: str, reason: str, now: datetime) -> None:
    session.add(AuditEvent(actor=sender_actor(address_index), action=ACTION_REJECTED,
                           details={"channel": channel, "reason": reason}, at=now))


async def look_up(session: AsyncSession, keyring: KeyRing, channel: str, address: str, text: str | None,
                  now: datetime) -> Invite:
    """What an unknown sender's message amounts to: a valid invitation, a rejected code, or nothing."""
    code = extract_code(text)
    if code is None:
        if registry.capabilities(channel).phone_address:
            inv = await _open_invitation_for_number(session, channel, address, now)
            if inv is not None:
                return Invite("valid", inv.id, inv.locale, by_address=True)
        return Invite("none")
    if await rejected_attempts(session, keyring.blind_index(channel, address), now) >= REJECT_LIMIT:
        return Invite("limited")
    inv = await session.scalar(select(Invitation).where(Invitation.code_index == code_index(keyring, code)))
    if inv is None or inv.channel != channel:
        return Invite("unknown")
    if inv.address is not None and e164(address) != inv.address:
        return Invite("unknown")  # an SMS code only works from the number the worker gave
    if inv.used_at is not None:
        return Invite("used")
    if inv.expires_at <= now:
        return Invite("expired")
    return Invite("valid", inv.id, inv.locale)


async def _open_invitation_for_number(session: AsyncSession, channel: str, address: str,
                                      now: datetime) -> Invitation | None:
    """SMS: the worker gave her number, so her reply needs no code. Open SMS invitations are few
    and short-lived; their numbers are encrypted, so they are compared after decryption."""
    number = e164(address)
    if number is None:
        return None
    candidates = (await session.scalars(
        select(Invitation).where(Invitation.channel == channel, Invitation.used_at.is_(None),
                                 Invitation.expires_at > now, Invitation.address.is_not(None))
        .order_by(Invitation.created_at.desc())
    )).all()
    return next((inv for inv in candidates if inv.address == number), None)


async def enrol(session: AsyncSession, keyring: KeyRing, invitation_id: int, channel: str, address: str,
                identity: ChannelIdentity | None, now: datetime) -> tuple[Survivor, ChannelIdentity] | None:
    """Use the invitation (once: a conditional update) and create her record and channel identity."""
    claimed = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.used_at.is_(None), Invitation.expires_at > now)
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    inv = await session.get(Invitation, invitation_id)
    assert inv is not None
    survivor = Survivor(pseudonym=secrets.token_hex(8), status="onboarding", locale=inv.locale, country=inv.country,
                        timezone=COUNTRY_TIMEZONES.get(inv.country, "Europe/London"), persona=None,
                        plain_mode=False, contact_windows=[], state={})
    session.add(survivor)
    await session.flush()
    inv.survivor_id = survivor.id
    if identity is None:
        identity = ChannelIdentity(channel=channel, address_index=keyring.blind_index(channel, address),
                                   address=address)
        session.add(identity)
    identity.survivor_id, identity.status, identity.verified_at = survivor.id, "active", now
    await session.flush()
    session.add(AuditEvent(actor="survivor", action="enrol.code_accepted", survivor_pseudonym=survivor.pseudonym,
                           details={"invitation_id": inv.id, "channel": channel}, at=now))
    if inv.case_ref:
        await link_invited_case(session, keyring, inv, survivor, now)
    return survivor, identity


async def decline(session: AsyncSession, invitation_id: int, now: datetime) -> None:
    """An invited number said STOP (or no) to the opt-in: the invitation is spent."""
    await session.execute(
        update(Invitation).where(Invitation.id == invitation_id, Invitation.used_at.is_(None)).values(used_at=now)
    )
    session.add(AuditEvent(actor="survivor", action="invite.declined", details={"invitation_id": invitation_id},
                           at=now))
