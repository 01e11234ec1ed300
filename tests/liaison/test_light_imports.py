"""`serve` keeps no plotting or statistics in memory, and `liaison --help` imports nothing heavy.

matplotlib and scipy came in with the evaluators' report page (about 100 MB resident with Telegram on,
and 0.8 s before `--help` printed anything); scikit-learn trains the NLU in a child process. They are
imported where the report is rendered. Each probe runs in a fresh interpreter: in the test process they
may be imported already."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLOTTING_AND_STATISTICS = ("matplotlib", "scipy", "sklearn")
HEAVY_FOR_HELP = (*PLOTTING_AND_STATISTICS, "numpy", "alembic", "aiogram", "aiohttp", "tqdm", "jinja2")

SERVE_PATH = """
import json, sys
from liaison.cli import cli, serve          # what `liaison serve` imports
from liaison.service import create_service  # and builds
from bot.settings import load_settings
from safety.crypto import KeyRing

ring = KeyRing.generate(__import__("pathlib").Path(sys.argv[1]) / "keys.json")
settings = load_settings(DATABASE_URL="sqlite:///" + sys.argv[1] + "/l.db", LIAISON_ENV="test",
                         TELEGRAM_BOT_TOKEN="123456:TEST-token-not-real", TELEGRAM_WEBHOOK_SECRET="s3cret",
                         TELEGRAM_API_BASE="http://127.0.0.1:9", NLU_CACHE_DIR=sys.argv[1])
service = create_service(settings, keyring=ring)
service.web_app()
print(json.dumps(sorted(m for m in sys.modules if "." not in m)))
"""

HELP = """
import json, sys
from liaison.cli import cli
try:
    cli(["--help"])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if "." not in m)))
"""


def modules_after(code: str, *args: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True,
                         timeout=240, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_serve_path_with_telegram_on_imports_no_plotting_or_statistics() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        loaded = modules_after(SERVE_PATH, tmp)
    assert "aiogram" in loaded  # the probe did build the Telegram channel
    assert not loaded & set(PLOTTING_AND_STATISTICS), sorted(loaded & set(PLOTTING_AND_STATISTICS))
    assert "psycopg" not in loaded  # on SQLite the PostgreSQL driver (10 MB resident) is never loaded
    assert "requests" not in loaded  # twilio's HTTP stack (5 MB resident) only where SMS or calls are on


def test_liaison_help_imports_nothing_heavy() -> None:
    loaded = modules_after(HELP)
    assert "click" in loaded
    assert not loaded & set(HEAVY_FOR_HELP), sorted(loaded & set(HEAVY_FOR_HELP))
