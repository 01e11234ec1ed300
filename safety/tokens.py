"""The random tokens of enrolment links, console sessions and Telegram link codes: handed out once,
stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)
