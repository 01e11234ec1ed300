"""The packages point one way: the import-linter contracts in pyproject.toml, imports inside functions
included (bench/import_graph.py draws the graph and names any cycle)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_points_down_the_layers() -> None:
    # in its own process: import-linter configures logging (dictConfig), which would silence ours here
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_module_outside_the_flows_imports_itself_round_a_circle() -> None:
    """Inside a package too: the console and the service, the Telegram channel's files, staff accounts
    and sessions once went in circles (the flows' own circle is the conversation engine's to undo)."""
    import json

    done = subprocess.run([sys.executable, str(ROOT / "bench" / "import_graph.py"), "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    cycles = json.loads(done.stdout)["module_cycles"]
    assert [c for c in cycles if not all(m.startswith("flows.") for m in c)] == []


def test_no_room_of_a_package_imports_one_that_imports_it_back() -> None:
    """Rooms: the sub-packages and modules just inside a package. Her bot's outbox once imported the
    waves and the notices that import it, and a channel's webhook reached up into the outbox; now the
    outbox tells its listeners through its own delivery events (bot/outbox/events.py)."""
    import json

    done = subprocess.run([sys.executable, str(ROOT / "bench" / "import_graph.py"), "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["room_arrows_in_knots"] == {}
