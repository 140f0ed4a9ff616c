"""Followup's own commands, registered through ``followup_register_commands`` like any plugin's.

Each is registered by name, as a :class:`BuiltinCommand` that imports the module
defining it only when the command is looked up to run or to show its help, so
``followup agenda`` does not import what ``followup run`` or ``followup serve`` need.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import click

from ..plugins import hookimpl

__all__ = ["BUILTIN_COMMANDS", "BuiltinCommand", "followup_register_commands"]

#: every built-in command, by name: the module of :mod:`followup.cli` whose ``COMMANDS``
#: defines it (a test keeps this table and the modules in step)
BUILTIN_COMMANDS: dict[str, str] = {
    "agenda": "_agenda",
    "explain": "_agenda",
    "validate": "_agenda",
    "schema": "_agenda",
    "test": "_authoring",
    "simulate": "_authoring",
    "done": "_journal",
    "snooze": "_journal",
    "dismiss": "_journal",
    "retire": "_journal",
    "add": "_record",
    "channels": "_channels",
    "preview": "_channels",
    "calendar": "_channels",
    "init": "_store",
    "import": "_store",
    "export": "_store",
    "log": "_store",
    "run": "_store",
    "outbox": "_store",
    "rules": "_activation",
    "config": "_activation",
    "mail": "_mail",
    "digest": "_mail",
    "serve": "_web",
    "plugins": "_plugins",
}


class BuiltinCommand(click.Command):
    """A built-in command known by its name until :meth:`load` imports its module."""

    def __init__(self, name: str, module: str) -> None:
        super().__init__(name)
        self.module = module

    def load(self) -> click.Command:
        """The command itself, from its module (imported now, once)."""
        module = importlib.import_module(f"{__package__}.{self.module}")
        if self.module == "_store":  # `followup log` also has the recording commands
            from . import _record

            _record.attach_log_commands(module.log_group)
        command: click.Command = next(c for c in module.COMMANDS if c.name == self.name)
        return command


def loaded(command: click.Command) -> click.Command:
    """``command``, with a :class:`BuiltinCommand` replaced by the command it names."""
    return command.load() if isinstance(command, BuiltinCommand) else command


@hookimpl
def followup_register_commands(register: Callable[[click.Command], None]) -> None:
    for name, module in BUILTIN_COMMANDS.items():
        register(BuiltinCommand(name, module))
