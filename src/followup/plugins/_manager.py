"""The plugin manager: hookspecs, blocked plugins, entry points, built-ins, in that order.

Nothing is loaded at import time; :func:`~followup.plugins.get_plugin_manager` builds
the process-wide manager on first use. Environment variables:

``FOLLOWUP_LOAD_PLUGINS``
    comma-separated allow-list of entry-point plugins (entry-point names or
    distribution names); only these load. Set but empty, no third-party plugin
    loads. Built-ins always load unless disabled.
``FOLLOWUP_DISABLE_PLUGINS``
    comma-separated plugins that must not load: entry-point names, distribution
    names, or built-ins such as ``followup.delivery.channels.console``. The
    :data:`ESSENTIAL_PLUGINS` always load.
``FOLLOWUP_TRACE_PLUGINS``
    set to ``1`` to print every hook call, the plugins it reached and what they
    returned or registered, to standard error.

A plugin that cannot be used (its entry point fails to import, a hook name or an
argument name is misspelled) is left out with a message naming it and its
distribution, in :data:`load_errors` and the ``followup.plugins`` log; the other
plugins keep working. Two plugins registering the same channel name, store scheme,
operator or fact is an error naming both, raised when that registry is collected.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

import pluggy

from .._errors import FollowupError
from . import hookspecs

log = logging.getLogger("followup.plugins")

#: the marker for hook implementations; ``followup.hookimpl`` is the same object
hookimpl = pluggy.HookimplMarker(hookspecs.PROJECT)

#: built-in plugins, registered with the same call as third-party ones
DEFAULT_PLUGINS: tuple[str, ...] = (
    "followup.rules.plugin",
    "followup.delivery.messages",
    "followup.delivery.messages.checks",
    "followup.delivery.channels",
    "followup.stores.plugin",
    "followup.delivery.channels.console",
    "followup.cli.plugin",
)

#: built-in plugins the core cannot work without (like pytest's essential plugins):
#: ``FOLLOWUP_DISABLE_PLUGINS`` naming one is reported and ignored
ESSENTIAL_PLUGINS: tuple[str, ...] = ("followup.rules.plugin", "followup.cli.plugin")

#: hooks whose implementations receive a ``register`` callback
REGISTER_HOOKS = (
    "followup_register_operators",
    "followup_register_facts",
    "followup_register_channels",
    "followup_register_stores",
    "followup_register_commands",
)


class PluginLoadError(FollowupError):
    """A plugin could not be loaded or clashes with another; the message names it and its distribution.

    :ivar problems: one sentence per problem (the message joins them with ``; ``).
    """

    def __init__(self, *problems: str) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """One registered plugin, as ``followup plugins`` shows it."""

    name: str
    distribution: str
    version: str
    builtin: bool
    hooks: tuple[str, ...]


class PluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers where each plugin came from and what failed to load."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        #: plugin name -> (distribution, version)
        self.origins: dict[str, tuple[str, str]] = {}
        #: one message per plugin left out, naming it and its distribution
        self.load_errors: list[str] = []
        #: names left out by FOLLOWUP_DISABLE_PLUGINS / FOLLOWUP_LOAD_PLUGINS
        self.skipped: list[str] = []
        #: FOLLOWUP_TRACE_PLUGINS was set when the manager was built
        self.tracing = bool(os.environ.get("FOLLOWUP_TRACE_PLUGINS"))

    def describe(self, name: str) -> str:
        """``plugin 'NAME' (distribution VERSION)``: how every message names a plugin."""
        distribution, version = self.origins.get(name, ("followup", _version("followup")))
        return f"plugin {name!r} ({distribution} {version})".replace(" )", ")")

    def add_plugin(self, plugin: object, name: str, *, distribution: str | None = None, version: str = "") -> bool:
        """Register ``plugin`` under ``name``: the one call used for built-ins and third-party plugins alike.

        A plugin whose hooks do not match the hookspecs is left out, with a message
        in :attr:`load_errors`; the return value says whether it was registered.
        """
        if distribution is not None:
            self.origins[name] = (distribution, version)
        problems = hook_problems(self, plugin)
        if problems:
            self.refuse(name, problems)
            return False
        try:
            registered = self.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:  # anything the check above did not foresee
            self.refuse(name, [str(exc).replace("\n", " ")])
            return False
        except ValueError as exc:  # this plugin, or another under this name, is already registered
            self.refuse(name, [str(exc)])
            return False
        if registered is None:  # blocked by FOLLOWUP_DISABLE_PLUGINS
            self.skipped.append(name)
            return False
        return True

    def refuse(self, name: str, problems: list[str]) -> None:
        """Record that plugin ``name`` was left out, and why (logged and kept in :attr:`load_errors`)."""
        message = f"{self.describe(name)} was not loaded: {'; '.join(problems)}"
        log.warning("%s", message)
        self.load_errors.append(message)


@functools.lru_cache(maxsize=64)
def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return ""


def hook_problems(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """What is wrong with ``plugin``'s hook implementations, checked before registering it.

    Covers a hook name followup does not have (with the closest real one), an
    argument the hook does not pass, and a ``followup_*`` function left without
    ``@hookimpl`` (pluggy would ignore it silently).
    """
    problems: list[str] = []
    known = [name for name in dir(hookspecs) if name.startswith(f"{hookspecs.PROJECT}_")]
    for attribute in dir(plugin):
        if not attribute.startswith(f"{hookspecs.PROJECT}_"):
            continue
        try:
            function = getattr(plugin, attribute)
        except Exception:  # noqa: BLE001 - a property that raises is not a hook
            continue
        if not callable(function):
            continue
        options = pm.parse_hookimpl_opts(plugin, attribute)
        caller = getattr(pm.hook, attribute, None)
        spec = caller.spec if caller is not None else None
        if options is None:
            if spec is not None:
                problems.append(f"{attribute} is not marked with @followup.hookimpl, so it would never be called")
            continue
        if spec is None:
            if options.get("optionalhook"):
                continue
            close = difflib.get_close_matches(attribute, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; followup's hooks are: {', '.join(known)}"
            problems.append(f"{attribute} is not a followup hook{hint}")
            continue
        try:
            parameters = [
                p.name
                for p in inspect.signature(function).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            ]
        except (TypeError, ValueError):
            continue
        expected = list(spec.argnames)
        for parameter in parameters:
            if parameter not in expected and parameter != "self":
                close = difflib.get_close_matches(parameter, expected, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(
                    f"{attribute} takes an argument {parameter!r} that the hook does not pass ({hint}"
                    f"it passes: {', '.join(expected)})"
                )
    return problems


def _names(variable: str) -> set[str] | None:
    """The comma-separated names in an environment variable; ``None`` when it is not set."""
    value = os.environ.get(variable)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _load_entry_points(pm: PluginManager, disabled: set[str]) -> None:
    from importlib.metadata import entry_points

    allowed = _names("FOLLOWUP_LOAD_PLUGINS")
    for entry in sorted(entry_points(group=hookspecs.PROJECT), key=lambda e: e.name):
        distribution = entry.dist.name if entry.dist is not None else "an unknown distribution"
        version = entry.dist.version if entry.dist is not None else ""
        aliases = {entry.name, distribution}
        if (allowed is not None and not aliases & allowed) or aliases & disabled:
            pm.skipped.append(entry.name)
            continue
        if entry.name in pm.origins:
            first = pm.origins[entry.name][0]
            if first != distribution:  # the same distribution found twice on the path is harmless
                message = (
                    f"plugin {entry.name!r} ({distribution} {version}) was not loaded: {first} already has a plugin "
                    "of that name; uninstall one of them"
                )
                log.warning("%s", message)
                pm.load_errors.append(message)
            continue
        pm.origins[entry.name] = (distribution, version)
        try:
            plugin = entry.load()
        except Exception as exc:  # noqa: BLE001 - any import error is reported and the plugin skipped
            pm.refuse(entry.name, [f"importing {entry.value} raised {type(exc).__name__}: {exc}"])
            continue
        pm.add_plugin(plugin, entry.name)


def build_plugin_manager(*, entry_points: bool = True) -> PluginManager:
    """A fresh plugin manager: hookspecs, blocked names, entry points, built-ins, check.

    :param entry_points: load the third-party plugins of the ``followup`` entry-point
        group (tests pass ``False`` to get the built-ins alone).
    """
    pm = PluginManager()
    disabled = _names("FOLLOWUP_DISABLE_PLUGINS") or set()
    for name in sorted(disabled & set(ESSENTIAL_PLUGINS)):
        message = (
            f"FOLLOWUP_DISABLE_PLUGINS names {name!r}, which followup cannot work without; it is loaded anyway "
            f"(the essential plugins: {', '.join(ESSENTIAL_PLUGINS)})"
        )
        log.warning("%s", message)
        pm.load_errors.append(message)
    disabled -= set(ESSENTIAL_PLUGINS)
    for name in sorted(disabled):
        pm.set_blocked(name)
    if entry_points:
        _load_entry_points(pm, disabled)
    for name in DEFAULT_PLUGINS:
        if pm.is_blocked(name):
            pm.skipped.append(name)
            continue
        pm.add_plugin(importlib.import_module(name), name)
    try:
        pm.check_pending()  # every plugin was checked on the way in; this is the last guard
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginLoadError(f"{pm.describe(name)} implements a hook followup does not have: {exc}") from None
    if pm.tracing:
        _trace(pm)
    return pm


def _trace(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, hook_impls: Any, kwargs: Any) -> None:
        names = ", ".join(impl.plugin_name for impl in hook_impls)
        print(f"followup: calling {hook_name} on [{names}]", file=sys.stderr)

    def after(outcome: Any, hook_name: str, hook_impls: Any, kwargs: Any) -> None:
        if outcome.exception is not None:
            exc = outcome.exception
            print(f"followup: {hook_name} raised {type(exc).__name__}: {exc}", file=sys.stderr)
            return
        print(f"followup: {hook_name} -> {outcome.get_result()!r}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)


def _trace_enabled(pm: pluggy.PluginManager) -> bool:
    return bool(getattr(pm, "tracing", False)) or bool(os.environ.get("FOLLOWUP_TRACE_PLUGINS"))


def describe(pm: pluggy.PluginManager, name: str) -> str:
    """How messages name a plugin of ``pm``: ``plugin 'NAME' (distribution VERSION)``."""
    if isinstance(pm, PluginManager):
        return pm.describe(name)
    return f"plugin {name!r}"


def list_plugins(pm: pluggy.PluginManager, *, builtins: bool = True) -> list[PluginInfo]:
    """The registered plugins of ``pm``: third-party ones first, then built-ins, each sorted by name."""
    found: list[PluginInfo] = []
    origins = pm.origins if isinstance(pm, PluginManager) else {}
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        builtin = name in DEFAULT_PLUGINS
        if builtin and not builtins:
            continue
        distribution, version = origins.get(name, ("followup", _version("followup")))
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()))
        found.append(PluginInfo(name, distribution, version, builtin, hooks))
    return sorted(found, key=lambda info: (info.builtin, info.name))
