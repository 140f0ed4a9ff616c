"""Every command of the `followup` group has its section in docs/cli.md."""

from __future__ import annotations

import click

from conftest import ROOT
from followup.cli import _main as cli


def test_every_command_is_documented() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text()
    for name, command in cli.cli.plugin_commands().items():  # type: ignore[attr-defined]
        assert f"### followup {name}\n" in doc, name
        assert isinstance(command, click.Command)
