"""Console tests: a fast password hasher (argon2id at its cheapest) for the length of a test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from safety.pin import FAST_FOR_TESTS, PinHasher, current_hasher, install_pin_hasher


@pytest.fixture(autouse=True)
def fast_hasher() -> Iterator[None]:
    before = current_hasher()
    install_pin_hasher(PinHasher(FAST_FOR_TESTS))
    yield
    install_pin_hasher(before)
