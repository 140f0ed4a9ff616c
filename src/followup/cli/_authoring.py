"""Commands for rule authors: ``test`` and ``simulate``.

``followup test`` and ``followup simulate``. Heavy modules are imported inside each
command so that ``followup --help`` stays fast.
"""

from __future__ import annotations

import json
import sys

import click

from .._errors import InvalidInput
from ._options import instant, rules_option

__all__ = ["COMMANDS"]


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-v", "--verbose", is_flag=True, help="Also list the checks that pass.")
@click.option("--schema", "show_schema", is_flag=True, help="Print the JSON Schema of rule-test files and exit.")
def test_command(paths: tuple[str, ...], verbose: bool, show_schema: bool) -> None:
    """Run rule-test files (or every *.yaml under a directory) and show a diff for each failure.

    Exit 0 when every check passes, 1 when one fails or a test file is invalid.
    """
    from ..ruletest import RULE_TEST_SCHEMA, run_paths

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


@click.command("simulate")
@click.argument("state", type=click.Path(dir_okay=False))
@rules_option
@click.option("--from", "start", required=True, metavar="DATE", help="Where to start: a date (its start in the candidate's zone) or an ISO 8601 datetime with offset.")
@click.option("--until", "until", required=True, metavar="DATE", help="Where to stop (included), in the same forms as --from.")
@click.option("--assume-done", is_flag=True, help="Pretend every due action is carried out on time and log its contact, so caps and patience play out.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file instead of standard output.")
@click.option("--max-steps", type=int, default=None, help="Give up after this many evaluations (default 10000).")
def simulate_command(
    state: str,
    rules: tuple[str, ...],
    start: str,
    until: str,
    assume_done: bool,
    fmt: str,
    output: str | None,
    max_steps: int | None,
) -> None:
    """Walk STATE forward from --from to --until, change by change, and show the timeline.

    Each row is an action that was scheduled, opened, went overdue, was held back by a
    cap (named), was done, or was dropped. The walk jumps from one change to the next,
    so long periods stay fast.
    """
    from ..engine import DEFAULT_MAX_STEPS, Engine, print_table, render_html, simulate
    from ..rules import load_rulebooks
    from ..state import load_state

    loaded = load_state(state)
    tz = loaded.candidate.calendar.tz
    begin = instant("--from", start, tz)
    end = instant("--until", until, tz)
    engine = Engine(load_rulebooks(list(rules)))
    timeline = simulate(
        engine, loaded, begin, end, assume_done=assume_done, max_steps=max_steps or DEFAULT_MAX_STEPS
    )
    if fmt == "json":
        text = json.dumps(timeline.to_dict(), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "html":
        text = render_html(timeline)
    else:
        import io

        from rich.console import Console

        if output is None:
            print_table(timeline)
            return
        buffer = io.StringIO()
        print_table(timeline, Console(file=buffer, width=160, color_system=None))
        text = buffer.getvalue()
    if output is None:
        click.echo(text, nl=False)
        return
    _write_output(output, text)
    click.echo(f"wrote {output}", err=True)


def _write_output(path: str, text: str) -> None:
    from pathlib import Path

    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput.single(path, f"cannot be written: {exc.strerror}") from None


COMMANDS: tuple[click.Command, ...] = (test_command, simulate_command)
