"""PIN hashing and checking with argon2id.

Production parameters are memory-hard (RFC 9106 low-memory profile: 64 MiB, 3 passes): a stolen
database must not give up four-to-eight-digit PINs cheaply. `PinHasher.for_environment` gives
FAST_FOR_TESTS only when LIAISON_ENV=test; the service holds its one hasher and passes it on.
A survivor's PIN and duress PIN are always both checked, so timing does not tell them apart.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from argon2 import PasswordHasher, Type, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PRODUCTION = profiles.RFC_9106_LOW_MEMORY
FAST_FOR_TESTS = profiles.CHEAPEST  # 8 KiB, 1 pass: never outside tests

PinMatch = Literal["pin", "duress", "wrong"]


class PinHasher:
    """argon2id with fixed parameters; verification never raises for a bad or foreign hash."""

    def __init__(self, params: object = PRODUCTION) -> None:
        self._ph = PasswordHasher.from_parameters(params)  # type: ignore[arg-type]
        if self._ph.type is not Type.ID:
            raise ValueError("PINs are hashed with argon2id only")

    @classmethod
    def for_environment(cls, environment: str) -> PinHasher:
        """The memory-hard production parameters everywhere but in tests (LIAISON_ENV=test)."""
        return cls(FAST_FOR_TESTS if environment == "test" else PRODUCTION)

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


class SurvivorPins:
    """One survivor's PIN hashes (decrypted from the database), as the flows' PinCheck."""

    def __init__(self, pin_hash: str | None, duress_hash: str | None, hasher: PinHasher) -> None:
        self.hasher = hasher
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
