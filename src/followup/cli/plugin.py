"""Followup's own commands, registered through ``followup_register_commands`` like any plugin's."""

from __future__ import annotations

from collections.abc import Callable

import click

from ..plugins import hookimpl


@hookimpl
def followup_register_commands(register: Callable[[click.Command], None]) -> None:
    from . import _activation, _agenda, _authoring, _channels, _journal, _mail, _plugins, _record, _store, _web

    _record.attach_log_commands(_store.log_group)
    for module in (_agenda, _authoring, _journal, _record, _channels, _store, _mail, _activation, _web, _plugins):
        for command in module.COMMANDS:
            register(command)
