"""``followup plugins``, and the command group that adds the commands plugins register.

Plugin commands are looked up lazily: ``followup agenda`` never loads a plugin to
find ``agenda``; only a name followup does not have itself (or ``followup --help``)
asks the plugins for their ``followup_register_commands``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from .._errors import InvalidInput

if TYPE_CHECKING:
    import pluggy

__all__ = ["PluginGroup", "collect_commands", "plugin_report", "register"]


def collect_commands(pm: pluggy.PluginManager, taken: Mapping[str, object] = {}) -> dict[str, click.Command]:
    """The subcommands the plugins of ``pm`` add, by name.

    :param taken: the names already in use (the built-in commands).
    :raises PluginLoadError: a plugin registers something that is not a click
        command, or a name already taken (naming the plugin and the other owner).
    """
    from ..plugins import collect

    def problem(command: Any) -> str | None:
        if not isinstance(command, click.Command) or not command.name:
            return f"registered {command!r}, which is not a named click.Command"
        if command.name in taken:
            return (
                f"adds the command {command.name!r}, which followup already has; the plugin must use "
                "another name (or leave it out with FOLLOWUP_DISABLE_PLUGINS)"
            )
        return None

    def clash(name: str, first: str, second: str) -> str:
        return f"the command {name!r} is added by both {first} and {second}"

    commands = collect(pm, "followup_register_commands", problem=problem, keys=lambda command: [command.name], clash=clash)
    return {command.name: command for command in commands}


class PluginGroup(click.Group):
    """A :class:`click.Group` that also offers the commands of installed plugins.

    A plugin command whose name a built-in command already has is an error naming
    the plugin (raised when the plugin commands are first needed).
    """

    _plugin_commands: dict[str, click.Command] | None = None

    def plugin_commands(self) -> dict[str, click.Command]:
        """The commands plugins add, collected once."""
        if self._plugin_commands is None:
            from ..plugins import get_plugin_manager

            self._plugin_commands = collect_commands(get_plugin_manager(), taken=self.commands)
        return self._plugin_commands

    def forget_plugin_commands(self) -> None:
        """Ask the plugins again next time (after :func:`followup.plugins.reset`)."""
        self._plugin_commands = None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            command = self.plugin_commands().get(cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.plugin_commands()})


def _contributions(pm: pluggy.PluginManager) -> dict[str, dict[str, list[str]]]:
    """What each plugin registers through the ``register`` hooks: plugin -> kind -> names."""
    from ..plugins import REGISTER_HOOKS, registrations

    found: dict[str, dict[str, list[str]]] = {}
    for hook_name in REGISTER_HOOKS:
        kind = hook_name.removeprefix("followup_register_")
        for plugin_name, items in registrations(pm, hook_name):
            names = found.setdefault(plugin_name, {}).setdefault(kind, [])
            for item in items:
                schemes = getattr(item, "schemes", None)
                if schemes is not None and not isinstance(schemes, str):
                    names.extend(f"{scheme}:" for scheme in schemes)
                else:
                    names.append(str(getattr(item, "name", item)))
    return found


def plugin_report(pm: pluggy.PluginManager, *, builtins: bool, hook: str | None) -> dict[str, Any]:
    """The data ``followup plugins`` shows: the plugins, what they register, and every problem.

    :param builtins: include the plugins that ship with followup.
    :param hook: only plugins implementing this hook.
    """
    from .. import plugins as plugin_module
    from ..delivery import collect_channels
    from ..rules import collect_vocabulary
    from ..stores import collect_stores

    problems = list(getattr(pm, "load_errors", []))
    for collect in (collect_vocabulary, collect_channels, collect_stores, collect_commands):
        try:
            collect(pm)
        except plugin_module.PluginLoadError as exc:
            problems.extend(exc.problems)
    contributions = _contributions(pm)
    rows = []
    for info in plugin_module.list_plugins(pm, builtins=builtins):
        if hook is not None and hook not in info.hooks:
            continue
        rows.append(
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "builtin": info.builtin,
                "hooks": list(info.hooks),
                "registers": {kind: names for kind, names in contributions.get(info.name, {}).items() if names},
            }
        )
    return {
        "plugins": rows,
        "left_out": sorted(getattr(pm, "skipped", [])),
        "problems": list(dict.fromkeys(problems)),
    }


def _summary(registers: dict[str, list[str]]) -> str:
    parts = []
    for kind, names in registers.items():
        if len(names) <= 4:
            parts.append(f"{kind}: {', '.join(names)}")
        else:
            parts.append(f"{len(names)} {kind}")
    return "; ".join(parts)


def register(group: click.Group) -> None:
    """Add ``followup plugins`` to ``group``."""

    @group.command("plugins")
    @click.option("--all", "show_all", is_flag=True, help="Also list the plugins that ship with followup.")
    @click.option("--hook", metavar="NAME", help="Only plugins implementing this hook, e.g. followup_register_channels.")
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    def plugins_command(show_all: bool, hook: str | None, fmt: str) -> None:
        """List the installed plugins: distribution, version, hooks and what each registers.

        Plugins that could not be loaded are listed as problems on standard error
        (and under "problems" in JSON); the others keep working.
        """
        from ..plugins import get_plugin_manager, hookspecs

        if hook is not None:
            known = sorted(name for name in dir(hookspecs) if name.startswith(f"{hookspecs.PROJECT}_"))
            if hook not in known:
                import difflib

                close = difflib.get_close_matches(hook, known, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise InvalidInput.single("--hook", f"{hook!r} is not a followup hook; {hint}the hooks are: {', '.join(known)}")
        report = plugin_report(get_plugin_manager(), builtins=show_all or hook is not None, hook=hook)
        if fmt == "json":
            click.echo(json.dumps(report, indent=2))
            return
        rows = report["plugins"]
        if not rows:
            click.echo(
                "No plugins implement that hook." if hook else "No third-party plugins installed; --all lists the built-in ones."
            )
        else:
            from rich.console import Console
            from rich.table import Table

            table = Table(box=None, pad_edge=False)
            for title in ("plugin", "distribution", "version", "hooks", "registers"):
                table.add_column(title, overflow="fold")
            for row in rows:
                hooks = ", ".join(name.removeprefix("followup_") for name in row["hooks"])
                table.add_row(row["name"], row["distribution"], row["version"], hooks, _summary(row["registers"]))
            console = Console() if sys.stdout.isatty() else Console(width=200)
            console.print(table)
        if report["left_out"]:
            click.echo(f"Left out by FOLLOWUP_LOAD_PLUGINS/FOLLOWUP_DISABLE_PLUGINS: {', '.join(report['left_out'])}")
        for problem in report["problems"]:
            click.echo(f"problem: {problem}", err=True)
