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
