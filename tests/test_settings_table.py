"""The README says what a new user needs: every setting (the table made from Settings, kept in step
here), that `serve` needs `migrate` first, what restarting `make demo` keeps and resets, and the test
command shows why a test was skipped."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings
from bot.settings_table import END, START, markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_settings_table_is_the_one_made_from_settings() -> None:
    start, end = README.index(START), README.index(END) + len(END)
    assert README[start:end] == markdown(), "run: .venv/bin/python -m bot.settings_table --write README.md"


def test_every_setting_is_in_the_readme() -> None:
    missing = [f.alias for f in Settings.model_fields.values() if f"`{f.alias}`" not in README]
    assert missing == []


def test_the_readme_says_serve_needs_migrate_first_and_what_a_demo_restart_keeps() -> None:
    assert "Needs `liaison migrate` first" in README
    assert "Restarting `make demo` keeps what exists" in README and "revokes the site token" in README
    assert "chat page is held in memory" in README


def test_the_test_command_names_skips_failures_and_errors_in_its_summary() -> None:
    """CI keeps only the tail of the output: the summary must name what failed or errored, not only skips."""
    makefile = (ROOT / "Makefile").read_text()
    for target in ("test", "test-times"):
        recipe = re.search(rf"^{target}:.*\n\t(.+)$", makefile, re.M)
        report = re.search(r" -r([a-zA-Z]+) ", recipe.group(1)) if recipe else None
        assert report and set("fEs") <= set(report.group(1)), target
