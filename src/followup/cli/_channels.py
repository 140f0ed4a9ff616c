"""Commands about delivery: ``followup channels``, ``followup preview``, ``followup calendar``."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from .._errors import InvalidInput
from .._time import format_local
from ._complete import complete_action_keys
from ._options import config_option, load_rules, now_option, parse_now, rules_option

if TYPE_CHECKING:
    from ..delivery import ChannelSpec, Config

__all__ = ["COMMANDS", "channel_rows", "channel_specs"]

def channel_specs() -> list[ChannelSpec]:
    """Every channel the installed plugins register, in name order; duplicates are an error naming both plugins."""
    from ..delivery import collect_channels
    from ..plugins import get_plugin_manager

    found = collect_channels(get_plugin_manager())
    return [found[name] for name in sorted(found)]


def channel_rows(config: Config, specs: list[ChannelSpec] | None = None) -> list[dict[str, Any]]:
    """One row per installed channel: media, idempotent, configured, and what is wrong with its settings."""
    from ..delivery import validate_channel_settings

    rows: list[dict[str, Any]] = []
    for spec in specs if specs is not None else channel_specs():
        settings = config.channel_settings(spec.name)
        problem = None
        if config.has_channel_section(spec.name):
            try:
                validate_channel_settings(spec.name, settings, spec.config_schema, config.where)
            except InvalidInput as exc:
                problem = "; ".join(p.message for p in exc.problems)
        rows.append(
            {
                "name": spec.name,
                "plugin": spec.plugin,
                "media": sorted(spec.media),
                "idempotent": spec.idempotent,
                "configured": problem is None and bool(spec.is_configured(settings)),
                "problem": problem,
                "description": spec.description,
            }
        )
    return rows


def _config(path: str | None) -> Config:
    from ..delivery import load_config

    return load_config(path)


def _evaluate(state: str, rules: tuple[str, ...], now: str | None) -> tuple[Any, Any, Any]:
    from ..engine import Engine
    from ..state import load_state

    loaded = load_state(state)
    moment = parse_now(now, loaded.candidate.calendar.tz)
    return loaded, Engine(load_rules(rules)).evaluate(loaded, moment), moment


@click.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def channels(config_file: str | None, fmt: str) -> None:
    """List the delivery channels: media, idempotent or not, configured or not, and the routes."""
    from ..delivery import routes as decide_routes

    config = _config(config_file)
    specs = channel_specs()
    rows = channel_rows(config, specs)
    routes = decide_routes(config, {spec.name: spec for spec in specs})
    if fmt == "json":
        document = {"config": config.where, "channels": rows, "routes": routes}
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    from ._table import new_table

    console, table = new_table(
        f"followup channels (configuration: {config.where})",
        ("channel", "media", "idempotent", "configured", "plugin", "what"),
    )
    for row in rows:
        table.add_row(
            row["name"],
            ", ".join(row["media"]),
            "yes" if row["idempotent"] else "no",
            "yes" if row["configured"] else "[red]invalid[/]" if row["problem"] else "[red]no[/]",
            row["plugin"],
            row["description"],
        )
    console.print(table)
    for row in rows:
        if row["problem"]:
            console.print(f"[red]{row['name']}[/]: {row['problem']}", markup=True, highlight=False)
    known = {row["name"] for row in rows}
    for medium, name in routes.items():
        missing = "" if name in known else "  [red](no such channel installed)[/]"
        console.print(f"{medium} → {name}{missing}")

@click.command()
@click.argument("state", type=click.Path(dir_okay=False))
@click.argument("key", required=False, shell_complete=complete_action_keys)
@rules_option
@now_option
@config_option
@click.option("--html", "show_html", is_flag=True, help="Print the letter (HTML) of a postal or fax message.")
@click.option(
    "--all", "show_all", is_flag=True, help="Preview every action that is due, overdue or upcoming (instead of KEY)."
)
def preview(
    state: str,
    key: str | None,
    rules: tuple[str, ...],
    now: str | None,
    config_file: str | None,
    show_html: bool,
    show_all: bool,
) -> None:
    """Render the message of action KEY without sending it, and run the message checks.

    With --all instead of KEY, every action that is due, overdue or upcoming is
    previewed in agenda order, one after the other. Exits with status 1 when a
    check blocks a message (the reasons go to standard error).
    """
    from ..delivery import route_name
    from ..delivery.messages import build_context
    from ..plugins import get_plugin_manager

    if (key is None) == (not show_all):
        raise InvalidInput.single("preview", "give either an action KEY or --all (not both)")
    config = _config(config_file)
    loaded, agenda, moment = _evaluate(state, rules, now)
    if show_all:
        actions = list(agenda.with_status("due", "overdue", "upcoming"))
    else:
        assert key is not None
        action = agenda.get(key)
        if action is None:
            close = sorted(a.key for a in agenda if key.split(":")[0] in a.key)[:5]
            hint = (
                f"; actions of that rule: {', '.join(close)}" if close else "; `followup agenda --all` lists the keys"
            )
            raise InvalidInput.single(state, f"no action with key {key!r}{hint}")
        actions = [action]
    pm = get_plugin_manager()
    specs = {s.name: s for s in channel_specs()}
    blocked = False
    for number, action in enumerate(actions):
        if number:
            click.echo("\n" + "-" * 72)
        context = build_context(loaded, action, config.as_context(), now=moment)
        message = pm.hook.followup_render_message(action=action, context=context)
        if message is None:
            raise InvalidInput.single(action.key, f"no installed renderer writes messages of kind {action.kind!r}")
        recipient = message.recipient
        to = ""
        if recipient is not None:
            detail = {"email": recipient.email, "postal": recipient.postal_address, "fax": recipient.fax}.get(
                message.medium
            )
            to = f"{recipient.name or ''} <{detail}>" if detail else recipient.name or ""
        click.echo(f"Action:  {action.key} ({action.status}, due {format_local(action.due_at, loaded.candidate.calendar.tz)})")
        route = route_name(message.medium, config, specs, requested=action.channel)
        click.echo(f"Medium:  {message.medium} → channel {route}")
        if to:
            click.echo(f"To:      {to.replace(chr(10), ', ')}")
        click.echo(f"Subject: {message.subject}")
        click.echo("")
        click.echo(message.html if show_html and message.html else message.body, nl=False)
        blocks = [
            block
            for result in pm.hook.followup_check_message(message=message, context=context) or []
            for block in result or []
        ]
        for block in blocks:
            blocked = True
            click.echo(f"blocked by {block.check}: {block.reason}", err=True)
    if blocked:
        sys.exit(1)

@click.command()
@click.argument("state", type=click.Path(dir_okay=False))
@rules_option
@now_option
@config_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    show_default=True,
    help="Where to write the iCalendar file ('-' for standard output).",
)
@click.option("--include-done", is_flag=True, help="Also add tasks already done.")
def calendar(
    state: str, rules: tuple[str, ...], now: str | None, config_file: str | None, output: str, include_done: bool
) -> None:
    """Write the tasks you must do yourself (calls, reminders) as an iCalendar file.

    One event per action, in the candidate's time zone, with a stable UID, so
    importing the file again updates events instead of duplicating them.
    """
    from ..delivery.channels.ical import agenda_ics

    config = _config(config_file)
    loaded, agenda, moment = _evaluate(state, rules, now)
    data, count = agenda_ics(loaded, agenda, moment, config, include_done=include_done)
    if output == "-":
        click.echo(data.decode("utf-8"), nl=False)
        return
    from pathlib import Path

    from .._private import write_private

    try:
        write_private(Path(output), data)
    except OSError as exc:
        raise InvalidInput.single(output, f"cannot write the calendar: {exc.strerror or exc}") from None
    click.echo(f"{output}: {count} event{'s' if count != 1 else ''}", err=True)


COMMANDS: tuple[click.Command, ...] = (channels, preview, calendar)
