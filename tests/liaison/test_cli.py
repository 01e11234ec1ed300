"""The `liaison` command holds every group, each added in liaison/cli.py from the package it belongs to."""

from __future__ import annotations

from click.testing import CliRunner

from liaison.cli import cli

EVERY_COMMAND = {"serve", "demo", "migrate", "keys", "invite", "callbacks", "erase", "reverify", "retention", "staff",
                 "audit", "nlu", "programme", "waves", "eval"}


def test_the_liaison_command_lists_every_group() -> None:
    assert set(cli.commands) == EVERY_COMMAND


def test_help_names_every_group() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in EVERY_COMMAND:
        assert f"  {name} " in result.output
