"""Commands for rule authors and for everyday use.

``followup test``, ``followup simulate``, and the journal commands ``done``,
``snooze``, ``dismiss`` and ``retire``. Heavy modules are imported inside each
command so that ``followup --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import click

from ._errors import InvalidInput

__all__ = ["register"]


def _instant(option: str, value: str | None, tz: dt.tzinfo) -> dt.datetime:
    """An option's instant: ISO 8601 with offset, a date (its start in ``tz``), or ``now``."""
    from .cli import parse_now

    try:
        return parse_now(value, tz)
    except InvalidInput as exc:
        raise InvalidInput.single(option, str(exc.problems[0].message)) from None


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-v", "--verbose", is_flag=True, help="Also list the checks that pass.")
@click.option("--schema", "show_schema", is_flag=True, help="Print the JSON Schema of rule-test files and exit.")
def test_command(paths: tuple[str, ...], verbose: bool, show_schema: bool) -> None:
    """Run rule-test files (or every *.yaml under a directory) and show a diff for each failure.

    Exit 0 when every check passes, 1 when one fails or a test file is invalid.
    """
    from .ruletest import RULE_TEST_SCHEMA, run_paths

    if show_schema:
        click.echo(json.dumps(RULE_TEST_SCHEMA, indent=2, ensure_ascii=False))
        return
    if not paths:
        raise click.UsageError("give at least one rule-test file or directory (e.g. rules/tests)")
    report = run_paths(paths)
    colour = sys.stdout.isatty()
    for line in report.lines(verbose=verbose):
        if colour and line.startswith("FAIL"):
            line = click.style(line, fg="red", bold=True)
        click.echo(line)
    if not report.passed:
        raise click.exceptions.Exit(1)


def register(group: click.Group) -> None:
    """Add the authoring and journal commands to ``group``."""
    for command in (test_command,):
        group.add_command(command)

