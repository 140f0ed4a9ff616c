"""Recording what happened without editing YAML: ``followup add ...`` and ``followup log reply|call|note|confirm``.

The options of each command are made from the state schema (one option per field a
command line can carry: text, choices, numbers, flags, repeated texts), so a field the
schema gains is an option at once. A required field left out is asked for when the
command runs in a terminal, and is an error naming the option otherwise. Everything
is written through :mod:`followup.journal`: to a state file (``--state``; comments and
layout kept, under the file's lock) or to a store (``--store``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

import click

from .._errors import InvalidInput, Problem
from ._complete import complete_application_ids
from ._journal import _Opened
from ._options import at_option, instant, state_option, store_option

__all__ = ["COMMANDS", "attach_log_commands"]

#: contact fields the journal or the command sets itself
_BOOKKEEPING = ("at", "kind", "direction", "action", "until")


def _schema(*path: str) -> dict[str, Any]:
    from ..state import STATE_SCHEMA

    node: dict[str, Any] = STATE_SCHEMA
    for step in path:
        node = node["properties"][step]
        if node.get("type") == "array":
            node = node["items"]
    return node


def _options(schema: Mapping[str, Any], skip: tuple[str, ...] = ()) -> list[tuple[str, click.Option, bool]]:
    """(field, option, required) for every field of ``schema`` a command line can carry."""
    required = set(schema.get("required", ()))
    made = []
    for name, spec in schema["properties"].items():
        if name in skip:
            continue
        flag = "--" + name.replace("_", "-")
        help = str(spec.get("description", ""))
        if "enum" in spec:
            option = click.Option([flag, name], type=click.Choice([str(v) for v in spec["enum"]]), help=help)
        elif spec.get("type") == "boolean" or spec.get("const") is True:
            option = click.Option([flag, name], is_flag=True, default=False, help=help)
        elif spec.get("type") == "integer":
            option = click.Option([flag, name], type=int, help=help)
        elif spec.get("type") == "string":
            option = click.Option([flag, name], help=help + (" (required)" if name in required else ""))
        elif spec.get("type") == "array" and spec.get("items", {}).get("type") == "string":
            option = click.Option([flag, name], multiple=True, help=help + " Repeat for each.")
        else:
            continue
        made.append((name, option, name in required))
    return made


def _fields(options: list[tuple[str, click.Option, bool]], values: Mapping[str, Any], tz: Any) -> dict[str, Any]:
    """The given options as state-document fields; required ones asked for in a terminal."""
    from ..journal import on_clock

    fields: dict[str, Any] = {}
    missing = []
    for name, option, required in options:
        value = values.get(name)
        if value in (None, (), False) and required:
            if sys.stdin.isatty():
                value = click.prompt(name.replace("_", " "), type=option.type)
            else:
                missing.append(option.opts[0])
                continue
        if value in (None, (), False):
            continue
        if isinstance(value, tuple):
            fields[name] = list(value)
        elif isinstance(value, str):
            fields[name] = on_clock(value, tz)
        else:
            fields[name] = value
    if missing:
        raise InvalidInput([Problem(flag, 0, 0, "is required (or run in a terminal to be asked)") for flag in missing])
    return fields


def _command(
    name: str,
    help: str,
    options: list[tuple[str, click.Option, bool]],
    arguments: tuple[str, ...],
    write: Callable[[Any, dict[str, Any], dict[str, Any]], str],
    extra: tuple[click.Parameter, ...] = (),
) -> click.Command:
    """A command taking ARGUMENTS, --state/--store, ``extra`` and the schema's ``options``."""

    def callback(**values: Any) -> None:
        with _Opened(values.pop("state_path"), values.pop("store_url")) as opened:
            tz = opened.journal.load().candidate.calendar.tz
            fields = _fields(options, values, tz)
            said = write(opened.journal, {**values, "tz": tz}, fields)
            click.echo(f"{said} in {opened.where}")

    command = click.Command(name, callback=callback, help=help)
    command.params.extend(
        click.Argument([argument], shell_complete=complete_application_ids if argument == "application" else None)
        for argument in arguments
    )
    for decorate in (state_option, store_option):
        decorate(command)
    command.params.extend(extra)
    command.params.extend(option for _, option, _ in options)
    return command


# ---------------------------------------------------------------------------
# followup add
# ---------------------------------------------------------------------------


@click.group("add")
def add_group() -> None:
    """Add an application, an interview, a person met or a reference (no YAML editing)."""


def _add_application(journal: Any, values: dict[str, Any], fields: dict[str, Any]) -> str:
    from ..journal import add_application

    add_application(journal, fields, where="followup add application")
    return f"added application {fields['id']}"


def _add_interview(journal: Any, values: dict[str, Any], fields: dict[str, Any]) -> str:
    from ..journal import add_interview

    add_interview(journal, values["application"], fields, where="followup add interview")
    return f"added interview {fields['id']} to {values['application']}"


def _add_person(journal: Any, values: dict[str, Any], fields: dict[str, Any]) -> str:
    from ..journal import add_person

    add_person(journal, values["application"], values["interview"], fields, where="followup add person")
    return f"added {fields['id']} to interview {values['interview']} of {values['application']}"


def _add_reference(journal: Any, values: dict[str, Any], fields: dict[str, Any]) -> str:
    from ..journal import add_reference

    add_reference(journal, fields, where="followup add reference")
    return f"added reference {fields['id']}"


for _name, _help, _path, _arguments, _write in (
    ("application", "Add an application: one position at one employer.", ("applications",), (), _add_application),
    ("interview", "Add an interview to APPLICATION (its people with `followup add person`).", ("applications", "interviews"), ("application",), _add_interview),
    ("person", "Add someone who interviewed you to INTERVIEW of APPLICATION.", ("applications", "interviews", "interviewers"), ("application", "interview"), _add_person),
    ("reference", "Add a reference: someone who agreed to vouch for you.", ("candidate", "references"), (), _add_reference),
):
    add_group.add_command(_command(_name, _help, _options(_schema(*_path)), _arguments, _write))


# ---------------------------------------------------------------------------
# followup log reply | call | note
# ---------------------------------------------------------------------------


def _logger(kind: str | None, direction: str) -> Callable[[Any, dict[str, Any], dict[str, Any]], str]:
    def write(journal: Any, values: dict[str, Any], fields: dict[str, Any]) -> str:
        from ..journal import record_contact

        application = None if values["application"] == "-" else values["application"]
        at = instant("--at", values.get("at"), values["tz"])
        entry_kind = kind or values.get("kind") or "status_call"
        document = {"at": at.isoformat(timespec="seconds"), "kind": entry_kind, **fields}
        if direction == "in":
            document["direction"] = "in"
        if kind is None:
            document.setdefault("channel", "phone")
        entry = record_contact(journal, application, document, where=f"followup log {'reply' if direction == 'in' else entry_kind}")
        return f"logged {entry.contact.kind.replace('_', ' ')} for {values['application']}"

    return write


def _confirm(journal: Any, values: dict[str, Any], fields: dict[str, Any]) -> str:
    from ..journal import confirm

    application = None if values["application"] == "-" else values["application"]
    if values.get("acknowledgement") and fields:
        raise InvalidInput.single("--acknowledgement", f"says the reply said nothing, but --{next(iter(fields)).replace('_', '-')} says it did; give one")
    said = {} if values.get("acknowledgement") else (fields or None)
    entry = confirm(journal, application, values.get("message_id"), said)
    meaning = {k: v for k, v in entry.to_document().items() if k in _REPLY}
    what = ", ".join(k.replace("_", " ") if v is True else f"{k.replace('_', ' ')} {v}" for k, v in meaning.items())
    return f"confirmed the reply {entry.contact.message_id} for {values['application']}: {what or 'an acknowledgement'}"


#: the fields of a reply that say something (what a confirmation may set)
_REPLY = ("decision_expected_by", "follow_up_requested_on", "medium", "next_round", "on_hold", "outcome", "respond_by")


def _log_commands() -> list[click.Command]:
    contact = _options(_schema("applications", "contacts"), skip=_BOOKKEEPING)
    said = [option for option in contact if option[0] in _REPLY]
    acknowledgement = click.Option(["--acknowledgement"], is_flag=True, default=False, help="The reply said nothing more than thanks.")
    message_id = click.Argument(["message_id"], required=False)
    at = at_option(click.Command("x")).params[0]
    kind = click.Option(["--kind"], default="status_call", show_default=True, help="What the call was (a contact kind of the rules).")
    return [
        _command("reply", "Log a reply from the employer to APPLICATION, with what it said.", contact, ("application",), _logger("reply", "in"), (at,)),
        _command("call", "Log a phone call you made about APPLICATION.", contact, ("application",), _logger(None, "out"), (at, kind)),
        _command("note", "Log a note for later about APPLICATION ('-': your own log).", contact, ("application",), _logger("note", "out"), (at,)),
        _command(
            "confirm",
            "Confirm what a reply found by `followup mail sync` says: as proposed, or as the options given "
            "(--acknowledgement: it said nothing more). MESSAGE_ID may be left out when APPLICATION has one "
            "reply waiting; `followup agenda` lists them.",
            said,
            ("application",),
            _confirm,
            (message_id, acknowledgement),
        ),
    ]


def attach_log_commands(log_group: click.Group) -> None:
    """Add ``reply``, ``call`` and ``note`` to the ``followup log`` group."""
    for command in _log_commands():
        log_group.add_command(command)


COMMANDS: tuple[click.Command, ...] = (add_group,)
