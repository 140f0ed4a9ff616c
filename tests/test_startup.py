"""`followup agenda` imports only what it uses, and `followup --help` still lists every command.

Each command runs in a fresh interpreter (a subprocess) that reports the modules it
imported; no timing is measured here (bench/startup.py does that).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import ROOT
from followup.cli import cli
from followup.cli.plugin import BUILTIN_COMMANDS

EXAMPLE = str(ROOT / "examples" / "job-search.yaml")
#: what rendering, sending, web serving or reporting an invalid document needs
NOT_FOR_AGENDA = (
    "jinja2",
    "jsonschema",
    "smtplib",
    "http.server",
    "urllib.request",
    "followup.delivery._dispatcher",
    "followup.delivery._activation",
    "followup.delivery.messages._render",
    "followup.delivery.channels._mime",
    "followup.delivery.channels.smtp",
    "followup.delivery.channels.webhook",
    "followup.delivery.channels.ical",
    "followup.delivery.channels.outbox",
    "followup.delivery.channels.fax",
    "followup.cli._store",
    "followup.cli._web",
    "followup.web",
)


def _modules_imported(argv: list[str], cache: Path) -> set[str]:
    code = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
        f"sys.argv = {['followup', *argv]!r}\n"
        "from followup.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "FOLLOWUP_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_agenda_imports_no_renderer_channel_or_schema_validator(tmp_path: Path) -> None:
    argv = ["agenda", EXAMPLE, "--now", "2026-11-30T09:30:00+01:00"]
    first = _modules_imported(argv, tmp_path)
    assert "followup.engine" in first and "followup.state" in first  # it did run
    assert sorted(m for m in NOT_FOR_AGENDA if m in first) == []
    # the holiday dates of the example's calendar are on disk now: the package is not needed
    again = _modules_imported(argv, tmp_path)
    assert "holidays" not in again
    assert sorted(m for m in NOT_FOR_AGENDA if m in again) == []


def test_an_invalid_state_still_gets_worded_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ncandidate:\n  name: Ada\n  timezone: UTC\n  colour: blue\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:5:3" in result.output and "unknown field 'colour'" in result.output


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:", 1)[1].splitlines() if line.strip()}
    assert listed == set(BUILTIN_COMMANDS)


def test_the_table_of_builtin_commands_matches_the_modules() -> None:
    modules = {module for module in BUILTIN_COMMANDS.values()}
    defined = {
        command.name: module
        for module in modules
        for command in importlib.import_module(f"followup.cli.{module}").COMMANDS
    }
    assert defined == BUILTIN_COMMANDS
