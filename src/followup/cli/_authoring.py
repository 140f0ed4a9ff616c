"""Commands for rule authors and for everyday use.

``followup test``, ``followup simulate``, and the journal commands ``done``,
``snooze``, ``dismiss`` and ``retire``. Heavy modules are imported inside each
command so that ``followup --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import click

from .._errors import InvalidInput

__all__ = ["register"]


def _instant(option: str, value: str | None, tz: dt.tzinfo) -> dt.datetime:
    """An option's instant: ISO 8601 with offset, a date (its start in ``tz``), or ``now``."""
    from ._main import parse_now

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
@click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A rulebook; repeat to stack overlays. Default: the packaged default rulebook.",
)
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
    begin = _instant("--from", start, tz)
    end = _instant("--until", until, tz)
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


# ---------------------------------------------------------------------------
# Everyday journal commands
# ---------------------------------------------------------------------------

_state_option = click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    envvar="FOLLOWUP_STATE",
    help="Write to this state file (YAML or JSON) [env FOLLOWUP_STATE]. Without it, to the store.",
)
_store_option = click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="Write to this store (sqlite:///PATH, postgresql://…) [env FOLLOWUP_STORE; default: the store `followup init` made].",
)
_rules_option = click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="The rulebook(s) the keys come from; repeat to stack overlays. Default: the packaged default rulebook.",
)
_at_option = click.option(
    "--at",
    "at",
    metavar="WHEN",
    help="When it happened: ISO 8601 with offset, or a date (its start in the candidate's zone). Default: now.",
)


class _Opened:
    """The journal a command writes to, and how to name it and close it."""

    def __init__(self, state_path: str | None, store_url: str | None) -> None:
        from ..journal import Journal, StateFile, StoreJournal

        self.store: Any = None
        self.journal: Journal
        if state_path is not None and store_url is not None:
            from click.core import ParameterSource

            if click.get_current_context().get_parameter_source("state_path") != ParameterSource.ENVIRONMENT:
                raise click.UsageError("give --state FILE or --store URL, not both")
            state_path = None  # an explicit --store wins over FOLLOWUP_STATE
        if state_path is not None:
            self.journal = StateFile(state_path)
            self.where = state_path
        else:
            from ..stores import open_store

            self.store = open_store(store_url, create=False)
            self.journal = StoreJournal(self.store)
            self.where = self.store.url

    def __enter__(self) -> _Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.store is not None:
            self.store.close()


def _say(entry: Any, where: str, tz: dt.tzinfo) -> None:
    from ..engine._caps import _format_local

    contact = entry.contact
    what = contact.kind.replace("_", " ")
    if contact.to:
        what += f" to {contact.to}"
    subject = f" for {contact.action}" if contact.action else f" for {entry.application}"
    until = f" until {_format_local(contact.until, tz)}" if contact.until else ""
    click.echo(f"logged {what}{subject}{until} at {_format_local(contact.at, tz)} in {where}")


@click.command("done")
@click.argument("key")
@_state_option
@_store_option
@_rules_option
@_at_option
@click.option("--note", help="What was said or sent (kept with the entry).")
def done_command(key: str, state_path: str | None, store_url: str | None, rules: tuple[str, ...], at: str | None, note: str | None) -> None:
    """Log the contact that carries out the action KEY (see `followup agenda` for keys)."""
    from ..engine import Engine
    from ..journal import mark_done
    from ..rules import load_rulebooks

    with _Opened(state_path, store_url) as opened:
        tz = opened.journal.load().candidate.calendar.tz
        entry = mark_done(opened.journal, Engine(load_rulebooks(list(rules))), key, at=_instant("--at", at, tz), note=note)
        _say(entry, opened.where, tz)


@click.command("snooze")
@click.argument("key")
@click.option("--until", "until", required=True, metavar="WHEN", help="When the action may come back: a date or an ISO 8601 datetime.")
@_state_option
@_store_option
@_rules_option
@_at_option
def snooze_command(key: str, until: str, state_path: str | None, store_url: str | None, rules: tuple[str, ...], at: str | None) -> None:
    """Put the action KEY off until --until; it shows as upcoming till then."""
    from ..engine import Engine
    from ..journal import snooze
    from ..rules import load_rulebooks

    with _Opened(state_path, store_url) as opened:
        tz = opened.journal.load().candidate.calendar.tz
        moment = _instant("--at", at, tz)
        entry = snooze(opened.journal, Engine(load_rulebooks(list(rules))), key, until=_instant("--until", until, tz), at=moment)
        _say(entry, opened.where, tz)


@click.command("dismiss")
@click.argument("key")
@click.option("--why", required=True, help="Why you decided against it; shown with the action in `followup agenda --all`.")
@_state_option
@_store_option
@_rules_option
@_at_option
def dismiss_command(key: str, why: str, state_path: str | None, store_url: str | None, rules: tuple[str, ...], at: str | None) -> None:
    """Decide against the action KEY; it is settled, with your reason."""
    from ..engine import Engine
    from ..journal import dismiss
    from ..rules import load_rulebooks

    with _Opened(state_path, store_url) as opened:
        tz = opened.journal.load().candidate.calendar.tz
        entry = dismiss(opened.journal, Engine(load_rulebooks(list(rules))), key, why=why, at=_instant("--at", at, tz))
        _say(entry, opened.where, tz)


@click.command("retire")
@click.argument("application")
@_state_option
@_store_option
@_at_option
@click.option("--note", help="Why (kept with the entry).")
def retire_command(application: str, state_path: str | None, store_url: str | None, at: str | None, note: str | None) -> None:
    """Stop every follow-up of APPLICATION from now (or --at) on."""
    from ..journal import retire

    with _Opened(state_path, store_url) as opened:
        tz = opened.journal.load().candidate.calendar.tz
        entry = retire(opened.journal, application, at=_instant("--at", at, tz), note=note)
        _say(entry, opened.where, tz)


def register(group: click.Group) -> None:
    """Add the authoring and journal commands to ``group``."""
    for command in (test_command, simulate_command, done_command, snooze_command, dismiss_command, retire_command):
        group.add_command(command)

