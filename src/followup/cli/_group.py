"""The ``followup`` command group, whose commands all come from the ``followup_register_commands`` hook."""

from __future__ import annotations

import click

from ._commands import collect_commands

__all__ = ["PluginGroup"]


class PluginGroup(click.Group):
    """The ``followup`` group: every command comes from the ``followup_register_commands`` hook.

    Followup's own commands are registered by the built-in plugin
    :mod:`followup.cli.plugin`, exactly as a third-party plugin registers its own.
    To find one of them the group asks that plugin alone (in a manager of its own),
    so ``followup validate`` loads no third-party plugin; any other name, and
    ``followup --help``, asks every installed plugin. A plugin command whose name
    followup already has is an error naming the plugin. Followup's own commands are
    imported when one is looked up (see :class:`~followup.cli.plugin.BuiltinCommand`).
    """

    _own_commands: dict[str, click.Command] | None = None
    _plugin_commands: dict[str, click.Command] | None = None

    def own_commands(self) -> dict[str, click.Command]:
        """Followup's own commands, from the built-in command plugin alone."""
        if self._own_commands is None:
            from ..plugins import PluginManager
            from . import plugin

            pm = PluginManager()
            pm.add_plugin(plugin, plugin.__name__)
            self._own_commands = collect_commands(pm, lazy=True)
        return self._own_commands

    def plugin_commands(self) -> dict[str, click.Command]:
        """Every command the installed plugins register (followup's own included), collected once."""
        if self._plugin_commands is None:
            from ..plugins import get_plugin_manager

            self._plugin_commands = collect_commands(get_plugin_manager(), taken=self.commands, lazy=True)
        return self._plugin_commands

    def forget_plugin_commands(self) -> None:
        """Ask the plugins again next time (after :func:`followup.plugins.reset`)."""
        self._plugin_commands = None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name) or self.own_commands().get(cmd_name)
        if command is None:
            command = self.plugin_commands().get(cmd_name)
        if command is None:
            return None
        from .plugin import loaded  # (importing followup.cli imports no plugin machinery)

        return loaded(command)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.plugin_commands()})
