"""Staff accounts: creation, one-time enrolment (password + TOTP), sign-in slowed down after failures.

Passwords are hashed with argon2id by the same hasher as the PINs (safety.pin). A token in an
enrolment link, a session cookie or a Telegram link code is stored only as its SHA-256.
Pure decisions take `now` from the caller (the service clock); the caller owns the transaction.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.audit import audit
from bot.storage.models import StaffMember
from console.staff import throttle
from console.staff.sessions import end_all_sessions
from safety.pin import PinHasher
from safety.tokens import new_token, token_hash

ROLES = ("liaison", "supervisor", "evaluator", "programme", "admin")
ENROL_VALID = timedelta(hours=72)
MIN_PASSWORD = 12


class StaffError(Exception):
    """A staff action that cannot be done; the message is safe to show."""


def _start_enrolment(member: StaffMember, now: datetime) -> str:
    token = new_token()
    member.enrol_token_hash, member.enrol_expires_at = token_hash(token), now + ENROL_VALID
    member.status, member.password_hash, member.totp_secret, member.totp_last_step = "enrolling", None, None, None
    return token


async def by_name(session: AsyncSession, name: str) -> StaffMember | None:
    return await session.scalar(select(StaffMember).where(StaffMember.name == name))


async def add_staff(session: AsyncSession, name: str, roles: list[str], now: datetime, *,
                    actor: str, timezone: str = "Europe/London", site: str | None = None) -> tuple[StaffMember, str]:
    """A new account and the token of its one-time enrolment link. `site`: for the `programme`
    role, the programme site whose events this person sends."""
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise StaffError(f"roles must be some of {', '.join(ROLES)}")
    if await by_name(session, name) is not None:
        raise StaffError(f"a staff member called {name!r} exists already")
    if site is not None:
        from bot.programme.milestones import MilestoneError, parse_site

        try:
            site = parse_site(site)
        except MilestoneError as exc:
            raise StaffError(str(exc)) from None
    member = StaffMember(name=name, roles=sorted(set(roles)), timezone=timezone, created_at=now, site=site)
    token = _start_enrolment(member, now)
    session.add(member)
    await session.flush()
    audit(session, actor, "staff.added", now=now, staff_id=member.id, roles=member.roles,
          **({"site": site} if site else {}))
    return member, token


async def reset_staff(session: AsyncSession, name: str, now: datetime, *, actor: str) -> str:
    """Forgotten password or lost phone: a new enrolment link; the old password and TOTP stop working."""
    member = await by_name(session, name)
    if member is None:
        raise StaffError(f"no staff member called {name!r}")
    token = _start_enrolment(member, now)
    audit(session, actor, "staff.reset", now=now, staff_id=member.id)
    return token


async def disable_staff(session: AsyncSession, name: str, now: datetime, *, actor: str) -> None:
    member = await by_name(session, name)
    if member is None:
        raise StaffError(f"no staff member called {name!r}")
    member.status, member.enrol_token_hash = "disabled", None
    await end_all_sessions(session, member.id, now)
    audit(session, actor, "staff.disabled", now=now, staff_id=member.id)


async def enrolment_for(session: AsyncSession, token: str, now: datetime) -> StaffMember | None:
    member = await session.scalar(select(StaffMember).where(StaffMember.enrol_token_hash == token_hash(token)))
    if member is None or member.status == "disabled" or member.enrol_expires_at is None:
        return None
    return member if member.enrol_expires_at > now else None


def provisioning_uri(member: StaffMember, secret: str, issuer: str = "Liaison console") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=member.name, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (no external service sees the secret)."""
    import io

    import segno

    buf = io.BytesIO()
    segno.make(uri, error="m").save(buf, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buf.getvalue().decode()


TOTP_STEP = 30  # seconds: pyotp's default, what every authenticator app uses


def totp_step(secret: str | None, code: str, now: datetime, *, after: int | None = None) -> int | None:
    """The time step (now's, or one either side) whose code this is, when it is later than `after`:
    a code is good once. None when it matches no such step."""
    if not secret:
        return None
    code = code.strip().replace(" ", "")
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_STEP
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.at(step * TOTP_STEP).encode(), code.encode()):
            return step
    return None


def totp_ok(secret: str | None, code: str, now: datetime) -> bool:
    return totp_step(secret, code, now) is not None


async def complete_enrolment(session: AsyncSession, member: StaffMember, password: str, secret: str,
                             code: str, now: datetime, *, totp_required: bool, hasher: PinHasher) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password needs at least {MIN_PASSWORD} characters")
    if code or totp_required:
        step = totp_step(secret, code, now)
        if step is None:
            raise StaffError("that code does not match: check your phone's time and try again")
        member.totp_secret, member.totp_last_step = secret, step  # the enrolment code cannot sign in
    member.password_hash = hasher.hash(password)
    member.status, member.enrol_token_hash, member.enrol_expires_at = "active", None, None
    audit(session, f"staff:{member.id}", "staff.enrolled", now=now, staff_id=member.id,
          totp=member.totp_secret is not None)


SignIn = Literal["ok", "wrong", "wait"]


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    member: StaffMember | None = None
    wait_seconds: int = 0


async def sign_in(session: AsyncSession, name: str, password: str, code: str, now: datetime, *,
                  totp_required: bool, hasher: PinHasher, address: str = "unknown") -> SignInResult:
    """Check name, password and (where set or required) the TOTP code. Failures slow down the name
    tried and the address (console.staff.throttle), the same way whether the name exists or not, and the
    answer never says which part was wrong nor whether she works here. Every attempt is audited."""
    name = name[:64]
    wait = await throttle.must_wait(session, name, address, now)
    member = await by_name(session, name)
    actor = f"staff:{member.id}" if member is not None else "anonymous"
    if wait.seconds:
        audit(session, actor, "sign_in.slowed", now=now, wait_seconds=wait.seconds)
        return SignInResult("wait", None, wait.seconds)
    if member is None or member.status != "active" or member.password_hash is None:
        hasher.matches(hasher._dummy, password)  # same time as a real check
        totp_step(pyotp.random_base32(), code, now)
        await throttle.failed(session, name, address, now)
        audit(session, "anonymous", "sign_in.failed", now=now, reason="unknown_or_inactive")
        return SignInResult("wrong")
    good = hasher.matches(member.password_hash, password)
    step = None
    if member.totp_secret is not None or totp_required:
        # a code is good once: its step and every earlier one are refused from now on (a code seen
        # over a shoulder or replayed from a proxy's log is worth nothing)
        step = totp_step(member.totp_secret, code, now, after=member.totp_last_step)
        good = good and step is not None
    if not good:
        await throttle.failed(session, name, address, now)
        audit(session, actor, "sign_in.failed", now=now, reason="credentials")
        return SignInResult("wrong")
    await throttle.succeeded(session, name)
    if step is not None:
        member.totp_last_step = step
    audit(session, actor, "sign_in.ok", now=now)
    return SignInResult("ok", member)


async def clear_slowdown(session: AsyncSession, name: str, now: datetime, *, actor: str) -> int:
    """An admin lets a person (and every address) sign in again at once."""
    member = await by_name(session, name)
    if member is None:
        raise StaffError(f"no staff member called {name!r}")
    cleared = await throttle.clear(session, name)
    audit(session, actor, "sign_in.slowdown_cleared", now=now, staff_id=member.id, cleared=cleared)
    return cleared
