"""What production refuses to start with, and why: each a one-line reason for `serve` to print and
for /healthz to report (503), never a start that looks healthy and serves no one or everyone.

Pure checks over settings, the key ring and the channels built; no I/O except reading the
development key file, when one lies at its default place, to compare it by content.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.channels.registry import entry
from bot.settings import DEFAULT_KEY_FILE, Settings
from safety.crypto import KeyFileError, KeyRing


def is_development_key(ring: KeyRing, dev_key_file: Path = Path(DEFAULT_KEY_FILE)) -> bool:
    """A key file `liaison demo` generated: marked so, or holding the same keys as the development
    key file (a copy moved elsewhere, or one written before the mark existed)."""
    if ring.development:
        return True
    if not dev_key_file.exists():
        return False
    try:
        dev = KeyRing.load(dev_key_file)
    except KeyFileError:
        return False
    dev_secrets = {k.secret for k in dev.keys.values()} | {dev.index_key}
    return bool(dev_secrets & ({k.secret for k in ring.keys.values()} | {ring.index_key}))


def production_problems(settings: Settings, ring: KeyRing, channel_names: Iterable[str],
                        dev_key_file: Path = Path(DEFAULT_KEY_FILE)) -> list[str]:
    """Reasons this configuration must not serve in production (empty outside production)."""
    if settings.environment != "production":
        return []
    problems = []
    if settings.simulator_enabled:
        problems.append("production refuses the simulator (LIAISON_SIMULATOR=true): its web API is "
                        "unauthenticated and would read and write real survivors' messages")
    if is_development_key(ring, dev_key_file):
        problems.append(f"production refuses the development key file {ring.path}: generate a real one "
                        "with `liaison keys generate` and keep it in custody")
    if not [n for n in channel_names if not entry(n).for_testing]:
        problems.append("production has no channel configured (set TELEGRAM_BOT_TOKEN or "
                        "TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN): no survivor could reach the service")
    return problems
