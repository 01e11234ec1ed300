"""PIN hashing and checking with argon2id.

Production parameters are memory-hard (RFC 9106 low-memory profile: 64 MiB, 3 passes): a stolen
database must not give up four-to-eight-digit PINs cheaply. Tests install FAST_FOR_TESTS with
`install_pin_hasher`; the lead's settings choose it only when LIAISON_ENV=test.
A survivor's PIN and duress PIN are always both checked, so timing does not tell them apart.
"""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher, Type, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from flows.types import PinMatch

PRODUCTION = profiles.RFC_9106_LOW_MEMORY
FAST_FOR_TESTS = profiles.CHEAPEST  # 8 KiB, 1 pass: never outside tests


class PinHasher:
    """argon2id with fixed parameters; verification never raises for a bad or foreign hash."""

    def __init__(self, params: object = PRODUCTION) -> None:
        self._ph = PasswordHasher.from_parameters(params)  # type: ignore[arg-type]
        if self._ph.type is not Type.ID:
            raise ValueError("PINs are hashed with argon2id only")

    @property
    def memory_kib(self) -> int:
        return int(self._ph.memory_cost)

    def hash(self, pin: str) -> str:
        return self._ph.hash(pin)

    def matches(self, pin_hash: str, pin: str) -> bool:
        try:
            return bool(self._ph.verify(pin_hash, pin))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    @cached_property
    def _dummy(self) -> str:
        return self._ph.hash("not-a-pin")


_hasher = PinHasher()


def install_pin_hasher(hasher: PinHasher) -> None:
    """Choose the hasher at start-up (tests: PinHasher(FAST_FOR_TESTS))."""
    global _hasher
    _hasher = hasher


def current_hasher() -> PinHasher:
    return _hasher


class SurvivorPins:
    """One survivor's PIN hashes (decrypted from the database), as the flows' PinCheck."""

    def __init__(self, pin_hash: str | None, duress_hash: str | None, hasher: PinHasher | None = None) -> None:
        self.hasher = hasher or current_hasher()
        self.pin_hash, self.duress_hash = pin_hash, duress_hash

    def hash(self, pin: str) -> str:
        return self.hasher.hash(pin)

    def matches(self, pin_hash: str, pin: str) -> bool:
        return self.hasher.matches(pin_hash, pin)

    def check(self, pin: str) -> PinMatch:
        """Both comparisons always run (a dummy hash stands in for a missing one)."""
        is_pin = self.hasher.matches(self.pin_hash or self.hasher._dummy, pin) and self.pin_hash is not None
        is_duress = self.hasher.matches(self.duress_hash or self.hasher._dummy, pin) and self.duress_hash is not None
        if is_duress:
            return "duress"
        return "pin" if is_pin else "wrong"
