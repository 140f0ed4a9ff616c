"""The ``followup`` command: a thin shell over the public API.

Exit codes: 0 fine, 1 invalid input (a message naming file, line and value, no
traceback), 2 usage error, 3 an internal error (a bug: set ``FOLLOWUP_DEBUG=1`` to
see the traceback and please report it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from .._errors import FollowupError, InvalidInput
from ._plugins import PluginGroup

__all__ = ["cli", "main"]

EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


def fail(error: FollowupError) -> NoReturn:
    click.echo(str(error), err=True)
    sys.exit(EXIT_INVALID)


def parse_now(value: str | None, tz: dt.tzinfo | None) -> dt.datetime:
    """``--now``: ISO 8601 with offset, a date (start of day in ``tz``), or now."""
    from .._time import UTC
    from ..state import parse_instant

    if value is None or value == "now":
        moment = dt.datetime.now(UTC)
        return moment.astimezone(tz) if tz is not None else moment
    try:
        return parse_instant(value, tz)
    except ValueError as exc:
        raise InvalidInput.single("--now", str(exc)) from None


def load_rules(paths: Sequence[str]) -> Any:
    from ..rules import load_rulebooks

    return load_rulebooks(list(paths))


rules_option = click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A rulebook; repeat to stack overlays. Default: the packaged default rulebook.",
)
now_option = click.option(
    "--now",
    metavar="ISO8601",
    help="Evaluate as of this instant (an offset is required; a plain date means its start in the candidate's zone). Default: the current time.",
)


@click.group(cls=PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="followup", prog_name="followup")
def cli() -> None:
    """Interview follow-ups, worked out from rules: what is due, when, to whom, how."""


@cli.command()
@click.argument("state", type=click.Path(dir_okay=False))
@rules_option
@now_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "ics"]), default="table", show_default=True, help="ics: your own tasks (calls, reminders) as iCalendar events.")
@click.option("--all", "show_all", is_flag=True, help="Also list actions that are already done.")
def agenda(state: str, rules: tuple[str, ...], now: str | None, fmt: str, show_all: bool) -> None:
    """List the follow-up actions for STATE: due, overdue, held back, upcoming."""
    from ..engine import Engine
    from ..state import load_state

    loaded = load_state(state)
    rulebook = load_rules(rules)
    moment = parse_now(now, loaded.candidate.calendar.tz)
    result = Engine(rulebook).evaluate(loaded, moment)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(include_done=show_all), indent=2, ensure_ascii=False))
        return
    if fmt == "ics":
        from ._channels import agenda_ics

        click.echo(agenda_ics(loaded, result, moment, include_done=show_all)[0].decode("utf-8"), nl=False)
        return
    from ._table import agenda_table

    agenda_table(result, loaded.candidate.calendar.tz, show_all=show_all)


@cli.command()
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


@cli.command()
@click.argument("state", type=click.Path(dir_okay=False))
@click.argument("key")
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


@cli.command()
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


#: modules whose ``register(group)`` adds more commands, in order
COMMAND_MODULES: tuple[str, ...] = (
    "followup.cli._authoring",
    "followup.cli._channels",
    "followup.cli._store",
    "followup.cli._web",
    "followup.cli._plugins",
)


def _add_commands(group: click.Group) -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(group)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line; never lets a traceback reach the user."""
    _add_commands(cli)
    try:
        code = cli.main(args=list(argv) if argv is not None else None, prog_name="followup", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_INVALID)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INVALID)
    except FollowupError as exc:
        fail(exc)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except Exception as exc:
        if os.environ.get("FOLLOWUP_DEBUG"):
            raise
        click.echo(
            f"followup: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug. Run again with FOLLOWUP_DEBUG=1 for the traceback, and please report it.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])

