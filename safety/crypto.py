"""Field encryption at rest and blind indexes.

Every field that identifies or describes a survivor is stored as AES-GCM ciphertext tagged with
the id of the key that wrote it, so keys can be rotated while the service runs: new writes use the
active key, old rows stay readable until `liaison keys rotate` has re-encrypted them.
Look-ups by phone number or chat id go through an HMAC blind index, never the plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc1"
FOLLOW_SECONDS = 5.0  # how often a running process looks for a key `liaison keys rotate` added


class KeyFileError(Exception):
    """The key file is missing, unreadable or malformed (the message never holds key material)."""


class DecryptionError(Exception):
    """A ciphertext could not be opened: unknown key id or tampered data."""


@dataclass(frozen=True)
class DataKey:
    key_id: str
    secret: bytes
    created_at: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))


class KeyRing:
    """The keys from one key file: data keys by id, the active one, and the blind-index key."""

    def __init__(self, path: Path, keys: dict[str, DataKey], active_id: str, index_key: bytes,
                 pseudonym_key: bytes) -> None:
        if active_id not in keys:
            raise KeyFileError(f"{path}: active key id {active_id!r} is not among the keys")
        self.path = path
        self.keys = keys
        self.active_id = active_id
        self.index_key = index_key
        self.pseudonym_key = pseudonym_key
        # written into a key file made by `liaison demo`: production refuses it by this mark and by
        # content (see bot.startup_checks), not by where the file lies
        self.development = False
        self._lock = threading.Lock()
        self._checked_at = time.monotonic()
        self._mtime = path.stat().st_mtime if path.exists() else 0.0

    # -- key file ---------------------------------------------------------------------------
    @classmethod
    def generate(cls, path: Path, *, development: bool = False) -> KeyRing:
        """A fresh key file; refuses to overwrite one (that would make every record unreadable)."""
        if path.exists():
            raise KeyFileError(f"{path} already exists; use `liaison keys rotate` to add a key")
        key = DataKey(_new_key_id(), AESGCM.generate_key(bit_length=256), _now())
        ring = cls(path, {key.key_id: key}, key.key_id, secrets.token_bytes(32), secrets.token_bytes(32))
        ring.development = development
        ring.save()
        return ring

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        try:
            raw = json.loads(path.read_text())
            keys = {
                k["id"]: DataKey(k["id"], _unb64(k["key"]), k.get("created_at", ""))
                for k in raw["keys"]
            }
            ring = cls(path, keys, raw["active"], _unb64(raw["index_key"]), _unb64(raw["pseudonym_key"]))
            ring.development = raw.get("purpose") == "development"
            return ring
        except FileNotFoundError:
            raise KeyFileError(f"key file {path} not found; create one with `liaison keys generate`") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyFileError(f"key file {path} is malformed ({type(exc).__name__})") from None

    def save(self) -> None:
        """Write atomically with owner-only permissions."""
        data: dict[str, object] = {
            "active": self.active_id,
            "keys": [
                {"id": k.key_id, "key": _b64(k.secret), "created_at": k.created_at}
                for k in self.keys.values()
            ],
            "index_key": _b64(self.index_key),
            "pseudonym_key": _b64(self.pseudonym_key),
        }
        if self.development:
            data["purpose"] = "development"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
        os.replace(tmp, self.path)

    def add_key(self) -> str:
        """Add a new data key, make it active and save; old keys stay for reading."""
        key = DataKey(_new_key_id(), AESGCM.generate_key(bit_length=256), _now())
        with self._lock:
            self.keys = {**self.keys, key.key_id: key}
            self.active_id = key.key_id
        self.save()
        self._mtime = self.path.stat().st_mtime
        return key.key_id

    def reload(self) -> None:
        fresh = KeyRing.load(self.path)
        with self._lock:
            self.keys, self.active_id = fresh.keys, fresh.active_id
            self._mtime = fresh._mtime

    def _follow_rotation(self) -> None:
        """Pick up a key added by `liaison keys rotate` in another process (checked every 5 s)."""
        now = time.monotonic()
        if now - self._checked_at < FOLLOW_SECONDS:
            return
        self._checked_at = now
        try:
            if self.path.stat().st_mtime != self._mtime:
                self.reload()
        except (OSError, KeyFileError):
            pass  # keep working with the keys we hold; the next check tries again

    # -- encryption ------------------------------------------------------------------------
    def encrypt(self, plaintext: str) -> str:
        self._follow_rotation()
        key = self.keys[self.active_id]
        nonce = os.urandom(12)
        sealed = AESGCM(key.secret).encrypt(nonce, plaintext.encode("utf-8"), key.key_id.encode())
        return f"{PREFIX}:{key.key_id}:{_b64(nonce + sealed)}"

    def decrypt(self, token: str) -> str:
        try:
            prefix, key_id, body = token.split(":", 2)
        except ValueError:
            raise DecryptionError("not a ciphertext of this service") from None
        if prefix != PREFIX:
            raise DecryptionError("not a ciphertext of this service")
        if key_id not in self.keys:
            self.reload()  # another process may have rotated keys while we run
        key = self.keys.get(key_id)
        if key is None:
            raise DecryptionError(f"unknown key id {key_id!r}")
        raw = _unb64(body)
        try:
            return AESGCM(key.secret).decrypt(raw[:12], raw[12:], key_id.encode()).decode("utf-8")
        except Exception as exc:  # InvalidTag: wrong key or tampered data
            raise DecryptionError(f"ciphertext under key {key_id!r} failed authentication") from exc

    @staticmethod
    def key_id_of(token: str) -> str | None:
        parts = token.split(":", 2)
        return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None

    # -- keyed hashes ----------------------------------------------------------------------
    def blind_index(self, kind: str, value: str) -> str:
        """Deterministic HMAC of a normalised identifier, used for look-ups instead of plaintext."""
        msg = f"{kind}:{value.strip()}".encode()
        return hmac.new(self.index_key, msg, hashlib.sha256).hexdigest()

    def subkey(self, label: str) -> bytes:
        """A key for one purpose, derived from the blind-index key under its own label: it lives only
        in the key file (never in the database), and no two purposes share one."""
        return hmac.new(self.index_key, f"liaison {label}".encode(), hashlib.sha256).digest()

    @property
    def audit_key(self) -> bytes:
        """The key of the audit log's MACs (bot.storage.audit)."""
        return self.subkey("audit chain mac v1")

    def pseudonym(self, namespace: str, value: str) -> str:
        """A stable keyed pseudonym that evaluators cannot reverse (a separate key from the index)."""
        msg = f"{namespace}:{value}".encode()
        return hmac.new(self.pseudonym_key, msg, hashlib.sha256).hexdigest()[:16]


def _new_key_id() -> str:
    return "k" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

