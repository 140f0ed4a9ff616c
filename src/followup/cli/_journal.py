"""The everyday journal commands: ``done``, ``snooze``, ``dismiss``, ``retire``.

Each writes one entry to a state file (``--state``) or to the store (``--store``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ._complete import complete_action_keys, complete_application_ids
from ._options import at_option, instant, rules_option, state_option, store_option

__all__ = ["COMMANDS"]


class _Opened:
    """The journal a command writes to, and how to name it and close it."""

    def __init__(self, state_path: str | None, store_url: str | None) -> None:
        from ..journal import Journal, StateFile, StoreJournal

        self.store: Any = None
        self.journal: Journal
        if state_path is not None and store_url is not None:
            from click.core import ParameterSource

            source = click.get_current_context().get_parameter_source
            if source("store_url") == ParameterSource.ENVIRONMENT:
                store_url = None  # an explicit --state wins over FOLLOWUP_STORE (and FOLLOWUP_STATE over FOLLOWUP_STORE)
            elif source("state_path") == ParameterSource.ENVIRONMENT:
                state_path = None  # an explicit --store wins over FOLLOWUP_STATE
            else:
                raise click.UsageError("give --state FILE or --store URL, not both")
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
    from .._time import format_local

    contact = entry.contact
    what = contact.kind.replace("_", " ")
    if contact.to:
        what += f" to {contact.to}"
    subject = f" for {contact.action}" if contact.action else f" for {entry.application}"
    until = f" until {format_local(contact.until, tz)}" if contact.until else ""
    click.echo(f"logged {what}{subject}{until} at {format_local(contact.at, tz)} in {where}")


@click.command("done")
@click.argument("key", shell_complete=complete_action_keys)
@state_option
@store_option
@rules_option
@at_option
@click.option("--note", help="What was said or sent (kept with the entry).")
def done_command(key: str, state_path: str | None, store_url: str | None, rules: tuple[str, ...], at: str | None, note: str | None) -> None:
    """Log the contact that carries out the action KEY (see `followup agenda` for keys)."""
    from ..engine import Engine
    from ..journal import mark_done
    from ..rules import load_rulebooks

    with _Opened(state_path, store_url) as opened:
        tz = opened.journal.load().candidate.calendar.tz
        entry = mark_done(opened.journal, Engine(load_rulebooks(list(rules))), key, at=instant("--at", at, tz), note=note)
        _say(entry, opened.where, tz)


@click.command("snooze")
@click.argument("key", shell_complete=complete_action_keys)
@click.option("--until", "until", required=True, metavar="WHEN", help="When the action may come back: a date or an ISO 8601 datetime.")
@state_option
@store_option
@rules_option
@at_option
def snooze_command(key: str, until: str, state_path: str | None, store_url: str | None, rules: tuple[str, ...], at: str | None) -> None:
    """Put the action KEY off until --until; it shows as upcoming till then."""
    from ..engine import Engine
    from ..journal import snooze
    from ..rules import load_rulebooks

    with _Opened(state_path, store_url) as opened:
        tz = opened.journal.load().candidate.calendar.tz
        moment = instant("--at", at, tz)
        entry = snooze(opened.journal, Engine(load_rulebooks(list(rules))), key, until=instant("--until", until, tz), at=moment)
        _say(entry, opened.where, tz)


@click.command("dismiss")
@click.argument("key", shell_complete=complete_action_keys)
@click.option("--why", required=True, help="Why you decided against it; shown with the action in `followup agenda --all`.")
@state_option
@store_option
@rules_option
@at_option
def dismiss_command(key: str, why: str, state_path: str | None, store_url: str | None, rules: tuple[str, ...], at: str | None) -> None:
    """Decide against the action KEY; it is settled, with your reason."""
    from ..engine import Engine
    from ..journal import dismiss
    from ..rules import load_rulebooks

    with _Opened(state_path, store_url) as opened:
        tz = opened.journal.load().candidate.calendar.tz
        entry = dismiss(opened.journal, Engine(load_rulebooks(list(rules))), key, why=why, at=instant("--at", at, tz))
        _say(entry, opened.where, tz)


@click.command("retire")
@click.argument("application", shell_complete=complete_application_ids)
@state_option
@store_option
@at_option
@click.option("--note", help="Why (kept with the entry).")
def retire_command(application: str, state_path: str | None, store_url: str | None, at: str | None, note: str | None) -> None:
    """Stop every follow-up of APPLICATION from now (or --at) on."""
    from ..journal import retire

    with _Opened(state_path, store_url) as opened:
        tz = opened.journal.load().candidate.calendar.tz
        entry = retire(opened.journal, application, at=instant("--at", at, tz), note=note)
        _say(entry, opened.where, tz)


COMMANDS: tuple[click.Command, ...] = (done_command, snooze_command, dismiss_command, retire_command)
