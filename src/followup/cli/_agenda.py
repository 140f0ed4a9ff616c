"""The commands that read a state and a rulebook: ``agenda``, ``explain``, ``validate``, ``schema``."""

from __future__ import annotations

import json
import sys

import click

from .._errors import FollowupError, InvalidInput
from ._complete import complete_action_keys
from ._options import EXIT_INVALID, load_rules, now_option, parse_now, rules_option

__all__ = ["COMMANDS"]


@click.command()
@click.argument("state", type=click.Path(dir_okay=False))
@rules_option
@now_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "ics"]), default="table", show_default=True, help="ics: your own tasks (calls, reminders) as iCalendar events.")
@click.option("--all", "show_all", is_flag=True, help="Also list actions that are already done.")
@click.option("--wide", is_flag=True, help="The table with every column: the medium, the reason and the full key.")
def agenda(state: str, rules: tuple[str, ...], now: str | None, fmt: str, show_all: bool, wide: bool) -> None:
    """List the follow-up actions for STATE: due, overdue, held back, upcoming."""
    from ..engine import Engine
    from ..state import load_state

    loaded = load_state(state)
    rulebook = load_rules(rules)
    moment = parse_now(now, loaded.candidate.calendar.tz)
    result = Engine(rulebook).evaluate(loaded, moment)
    from ..journal import proposal_to_dict, proposals

    tz = loaded.candidate.calendar.tz
    waiting = [proposal_to_dict(application, reply, tz) for application, reply in proposals(loaded)]
    if fmt == "json":
        document = result.to_dict(include_done=show_all)
        if waiting:
            document["to_confirm"] = waiting
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    if fmt == "ics":
        from ..delivery.channels.ical import agenda_ics

        click.echo(agenda_ics(loaded, result, moment, include_done=show_all)[0].decode("utf-8"), nl=False)
        return
    from ._table import agenda_table

    agenda_table(result, tz, show_all=show_all, wide=wide)
    if waiting:
        click.echo(f"\nReplies found in your mailbox, to confirm ({len(waiting)}):")
        for row in waiting:
            click.echo(f"  {row['application'] or 'your own log'}: {row['subject'] or 'a reply'} ({row['at']}) — proposed: {row['meaning']}")
            if row["evidence"]:
                click.echo(f"    “{row['evidence']}”")
            click.echo(f"    {row['confirm']}  (or give what it said: --outcome, --decision-expected-by …, --acknowledgement)")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(paths: tuple[str, ...]) -> None:
    """Check rulebooks and state files; print every problem as path:line:column: message."""
    from ..rules import load_rulebook
    from ..state import load_document, state_from_document

    failed = False
    for path in paths:
        try:
            document = load_document(path)
            if isinstance(document, dict) and "candidate" in document:
                state_from_document(document, path)
                what = "state"
            elif isinstance(document, dict) and ({"rules", "caps", "extends"} & set(document)):
                load_rulebook(path)
                what = "rulebook"
            else:
                raise InvalidInput.single(
                    path, "neither a state (it has no 'candidate') nor a rulebook (no 'rules', 'caps' or 'extends')", 1, 1
                )
        except FollowupError as exc:
            failed = True
            click.echo(str(exc), err=True)
            continue
        click.echo(f"{path}: valid {what}")
    if failed:
        sys.exit(EXIT_INVALID)


@click.command()
@click.argument("state", type=click.Path(dir_okay=False))
@click.argument("key", shell_complete=complete_action_keys)
@rules_option
@now_option
def explain(state: str, key: str, rules: tuple[str, ...], now: str | None) -> None:
    """Show how the action KEY's conditions, window, log matches and caps were worked out."""
    from ..engine import Engine
    from ..engine import explain as explain_action
    from ..state import load_state

    loaded = load_state(state)
    moment = parse_now(now, loaded.candidate.calendar.tz)
    for line in explain_action(Engine(load_rules(rules)), loaded, moment, key):
        click.echo(line)


@click.command()
@click.argument("which", type=click.Choice(["state", "rules"]))
def schema(which: str) -> None:
    """Print the JSON Schema of a state document or of a rulebook."""
    if which == "state":
        from ..state import STATE_SCHEMA

        document = STATE_SCHEMA
    else:
        from ..rules import get_vocabulary, published_rules_schema

        document = published_rules_schema(get_vocabulary())
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


COMMANDS: tuple[click.Command, ...] = (agenda, explain, validate, schema)
