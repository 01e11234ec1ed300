"""Notice tests: light argon2 parameters for PINs and passwords (production keeps the default)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from safety.pin import FAST_FOR_TESTS, PinHasher, current_hasher, install_pin_hasher


@pytest.fixture(autouse=True)
def fast_pins() -> Iterator[None]:
    before = current_hasher()
    install_pin_hasher(PinHasher(FAST_FOR_TESTS))
    yield
    install_pin_hasher(before)
