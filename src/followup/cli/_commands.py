"""Collecting the commands that plugins (followup's own included) register."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import pluggy

__all__ = ["collect_commands"]


def collect_commands(
    pm: pluggy.PluginManager, taken: Mapping[str, object] = {}, *, lazy: bool = False
) -> dict[str, click.Command]:
    """The subcommands the plugins of ``pm`` register, by name: followup's own (a built-in plugin) and others.

    :param taken: names already in use that no plugin may register.
    :param lazy: leave followup's own commands as the names they are registered by
        (:class:`~followup.cli.plugin.BuiltinCommand`, imported by
        :func:`~followup.cli.plugin.loaded` when one is used).
    :raises PluginLoadError: a plugin registers something that is not a click
        command, or a name already taken (naming the plugin and the other owner).
    """
    from ..plugins import DEFAULT_PLUGINS, collect, describe

    def problem(command: Any) -> str | None:
        if not isinstance(command, click.Command) or not command.name:
            return f"registered {command!r}, which is not a named click.Command"
        if command.name in taken:
            return _taken(command.name)
        return None

    def clash(name: str, first: str, second: str) -> str:
        for builtin, other in ((first, second), (second, first)):
            if builtin in DEFAULT_PLUGINS and other not in DEFAULT_PLUGINS:
                return f"{describe(pm, other)} {_taken(name)}"
        return f"the command {name!r} is added by both {describe(pm, first)} and {describe(pm, second)}"

    commands = collect(pm, "followup_register_commands", problem=problem, keys=lambda command: [command.name], clash=clash)
    if not lazy:
        from .plugin import loaded

        commands = [loaded(command) for command in commands]
    return {command.name: command for command in commands}


def _taken(name: str) -> str:
    return (
        f"adds the command {name!r}, which followup already has; the plugin must use "
        "another name (or leave it out with FOLLOWUP_DISABLE_PLUGINS)"
    )
