"""The packages point one way: the import-linter contracts in pyproject.toml, imports inside functions
included (bench/import_graph.py draws the graph and names any cycle)."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_points_down_the_layers() -> None:
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert status == EXIT_STATUS_SUCCESS, "a package imports one above it: the broken contract is printed above"
