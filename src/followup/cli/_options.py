"""What the commands share: the options used by more than one command, instants, exit codes.

Each option is defined here once; a command module imports the ones it takes.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from .._errors import FollowupError, InvalidInput

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_INVALID",
    "EXIT_USAGE",
    "at_option",
    "config_option",
    "fail",
    "instant",
    "load_rules",
    "now_option",
    "parse_now",
    "rules_option",
    "state_option",
    "store_option",
]

EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

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
    help="Act as of this instant (an offset is required; a plain date means its start in the candidate's zone). Default: the current time.",
)
at_option = click.option(
    "--at",
    "at",
    metavar="WHEN",
    help="When it happened: ISO 8601 with offset, or a date (its start in the candidate's zone). Default: now.",
)
store_option = click.option(
    "--store",
    "store_url",
    metavar="URL",
    envvar="FOLLOWUP_STORE",
    help="The store: sqlite:///FILE, memory:, postgresql://HOST/DB. Default: $FOLLOWUP_STORE, else the SQLite file `followup init` made in the user data folder.",
)
state_option = click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    envvar="FOLLOWUP_STATE",
    help="Write to this state file (YAML or JSON) [env FOLLOWUP_STATE]. Without it, to the store.",
)
config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="The configuration file (TOML). Default: $FOLLOWUP_CONFIG, else config.toml in the user config folder.",
)


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


def instant(option: str, value: str | None, tz: dt.tzinfo) -> dt.datetime:
    """The instant an option names: ISO 8601 with offset, a date (its start in ``tz``), or ``now``."""
    try:
        return parse_now(value, tz)
    except InvalidInput as exc:
        raise InvalidInput.single(option, str(exc.problems[0].message)) from None


def load_rules(paths: Sequence[str]) -> Any:
    """The rulebooks named by ``--rules``, stacked; the packaged default one without any."""
    from ..rules import load_rulebooks

    return load_rulebooks(list(paths))
