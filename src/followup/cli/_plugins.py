"""``followup plugins``: the installed plugins, what each registers, and every problem."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from .._errors import InvalidInput

if TYPE_CHECKING:
    import pluggy

__all__ = ["COMMANDS", "plugin_report"]


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
    from ._commands import collect_commands

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


@click.command("plugins")
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


COMMANDS: tuple[click.Command, ...] = (plugins_command,)
