"""The plugin manager: hookspecs, blocked plugins, entry points, built-ins, in that order.

Nothing is loaded at import time; :func:`get_plugin_manager` builds the manager on
first use, and :func:`get_vocabulary`, :func:`get_channels` and :func:`get_stores`
collect what the plugins register, once. Environment variables:

``FOLLOWUP_LOAD_PLUGINS``
    comma-separated allow-list of entry-point plugins (entry-point names or
    distribution names); only these load. Set but empty, no third-party plugin
    loads. Built-ins always load unless disabled.
``FOLLOWUP_DISABLE_PLUGINS``
    comma-separated plugins that must not load: entry-point names, distribution
    names, or built-ins such as ``followup.delivery.channels.console``.
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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pluggy

from .._errors import FollowupError
from ..delivery import MEDIA, ChannelSpec
from ..rules import Fact, Operator, Vocabulary, VocabularyConflict
from ..stores import StoreSpec
from . import hookspecs

if TYPE_CHECKING:
    import click

__all__ = [
    "DEFAULT_PLUGINS",
    "REGISTER_HOOKS",
    "PluginInfo",
    "PluginLoadError",
    "PluginManager",
    "build_plugin_manager",
    "collect_channels",
    "collect_commands",
    "collect_stores",
    "collect_vocabulary",
    "describe",
    "forget_registries",
    "get_channels",
    "get_plugin_manager",
    "get_stores",
    "get_vocabulary",
    "hookimpl",
    "list_plugins",
    "load_errors",
    "notify",
    "reset",
]

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
)

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
        problems = _hook_problems(self, plugin)
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


def _hook_problems(pm: pluggy.PluginManager, plugin: object) -> list[str]:
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


def _registrations(pm: pluggy.PluginManager, hook_name: str) -> Iterator[tuple[str, list[Any]]]:
    """Call each implementation of a ``register`` hook, in call order; yield what each registered.

    An implementation that raises is reported (naming the plugin) and skipped, so
    the other plugins still register theirs.
    """
    tracing = _trace_enabled(pm)
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        items: list[Any] = []
        arguments = {"register": items.append}
        try:
            impl.function(*[arguments[name] for name in impl.argnames])
        except Exception as exc:  # noqa: BLE001 - one broken plugin does not stop the others
            message = f"{describe(pm, impl.plugin_name)} raised {type(exc).__name__} in {hook_name}: {exc}; skipped"
            log.warning("%s", message)
            if isinstance(pm, PluginManager) and message not in pm.load_errors:
                pm.load_errors.append(message)
            if tracing:
                print(f"followup: {hook_name} on {impl.plugin_name} raised {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        if tracing:
            shown = ", ".join(_label(item) for item in items) or "nothing"
            print(f"followup: {hook_name} on {impl.plugin_name} registered {shown}", file=sys.stderr)
        yield impl.plugin_name, items


def _label(item: Any) -> str:
    if isinstance(item, StoreSpec):
        return "store " + "/".join(f"{scheme}:" for scheme in item.schemes)
    if isinstance(item, ChannelSpec):
        return f"channel {item.name!r}"
    if isinstance(item, Operator):
        return f"operator {item.name!r}"
    if isinstance(item, Fact):
        return f"fact {item.name!r}"
    name = getattr(item, "name", None)
    return f"{type(item).__name__} {name!r}" if name else repr(item)


def collect_vocabulary(pm: pluggy.PluginManager) -> Vocabulary:
    """Every operator and fact the plugins of ``pm`` register.

    :raises PluginLoadError: something registered is not an Operator/Fact, or a
        name is registered twice (naming both plugins).
    """
    vocabulary = Vocabulary()
    problems: list[str] = []
    adders: tuple[tuple[str, type, Callable[[Any], None]], ...] = (
        ("followup_register_operators", Operator, vocabulary.add_operator),
        ("followup_register_facts", Fact, vocabulary.add_fact),
    )
    for hook_name, kind, add in adders:
        for plugin_name, items in _registrations(pm, hook_name):
            for item in items:
                if not isinstance(item, kind):
                    problems.append(
                        f"{describe(pm, plugin_name)} registered {item!r}, which is not a followup.{kind.__name__}"
                    )
                    continue
                stamped: Any = item
                try:
                    add(replace(stamped, plugin=plugin_name))
                except VocabularyConflict as exc:
                    problems.append(str(exc))
    if problems:
        raise PluginLoadError(*problems)
    return vocabulary


def collect_channels(pm: pluggy.PluginManager) -> dict[str, ChannelSpec]:
    """Every channel the plugins of ``pm`` register, by name, each stamped with its plugin's name.

    :raises PluginLoadError: a channel is malformed, or two plugins register the
        same name (the message names both and their distributions).
    """
    found: dict[str, ChannelSpec] = {}
    problems: list[str] = []
    for plugin_name, items in _registrations(pm, "followup_register_channels"):
        who = describe(pm, plugin_name)
        for spec in items:
            problem = _channel_problem(spec)
            if problem is not None:
                problems.append(f"{who} registered a channel that cannot be used: {problem}")
                continue
            other = found.get(spec.name)
            if other is not None:
                problems.append(
                    f"channel {spec.name!r} is registered by both {describe(pm, other.plugin)} and {who}; "
                    "uninstall one, or leave one out with FOLLOWUP_DISABLE_PLUGINS"
                )
                continue
            found[spec.name] = replace(spec, plugin=plugin_name)
    if problems:
        raise PluginLoadError(*problems)
    return dict(sorted(found.items()))


def _channel_problem(spec: Any) -> str | None:
    if not isinstance(spec, ChannelSpec):
        return f"{spec!r} is not a followup.ChannelSpec"
    if not isinstance(spec.name, str) or not spec.name or spec.name.strip() != spec.name or " " in spec.name:
        return f"name {spec.name!r} must be a non-empty word without spaces"
    unknown = sorted(set(spec.media) - MEDIA) if isinstance(spec.media, (set, frozenset)) else None
    if unknown is None or not spec.media or unknown:
        return (
            f"channel {spec.name!r}: media {sorted(spec.media) if unknown is not None else spec.media!r} must be a "
            f"non-empty frozenset of {', '.join(sorted(MEDIA))}"
        )
    if not isinstance(spec.idempotent, bool):
        return f"channel {spec.name!r}: idempotent must be True or False, not {spec.idempotent!r}"
    if not callable(spec.build):
        return f"channel {spec.name!r}: build must be callable, not {spec.build!r}"
    return None


def collect_stores(pm: pluggy.PluginManager) -> dict[str, StoreSpec]:
    """Every store the plugins of ``pm`` register, by URL scheme.

    :raises PluginLoadError: a spec is malformed, or two plugins claim the same
        scheme (the message names both and their distributions).
    """
    found: dict[str, StoreSpec] = {}
    problems: list[str] = []
    for plugin_name, items in _registrations(pm, "followup_register_stores"):
        who = describe(pm, plugin_name)
        for spec in items:
            if not isinstance(spec, StoreSpec):
                problems.append(f"{who} registered {spec!r}, which is not a followup.StoreSpec")
                continue
            if isinstance(spec.schemes, str) or not spec.schemes or not callable(spec.open):
                problems.append(
                    f"{who} registered a store with schemes {spec.schemes!r}: schemes must be a non-empty tuple "
                    "such as ('sqlite',) and open a callable taking the URL"
                )
                continue
            stamped = replace(spec, plugin=plugin_name)
            for scheme in spec.schemes:
                other = found.get(scheme)
                if other is not None:
                    problems.append(
                        f"store scheme {scheme!r} is registered by both {describe(pm, other.plugin)} and {who}; "
                        "uninstall one, or leave one out with FOLLOWUP_DISABLE_PLUGINS"
                    )
                    continue
                found[scheme] = stamped
    if problems:
        raise PluginLoadError(*problems)
    return dict(sorted(found.items()))


def collect_commands(pm: pluggy.PluginManager, taken: Mapping[str, object] = {}) -> dict[str, click.Command]:
    """The subcommands the plugins of ``pm`` add, by name.

    :param taken: the names already in use (the built-in commands).
    :raises PluginLoadError: a plugin registers something that is not a click
        command, or a name already taken (naming the plugin and the other owner).
    """
    import click

    found: dict[str, click.Command] = {}
    owners: dict[str, str] = {}
    problems: list[str] = []
    for plugin_name, items in _registrations(pm, "followup_register_commands"):
        who = describe(pm, plugin_name)
        for command in items:
            if not isinstance(command, click.Command) or not command.name:
                problems.append(f"{who} registered {command!r}, which is not a named click.Command")
                continue
            if command.name in taken:
                problems.append(
                    f"{who} adds the command {command.name!r}, which followup already has; the plugin must use "
                    "another name (or leave it out with FOLLOWUP_DISABLE_PLUGINS)"
                )
                continue
            if command.name in found:
                problems.append(
                    f"the command {command.name!r} is added by both {describe(pm, owners[command.name])} and {who}"
                )
                continue
            found[command.name] = command
            owners[command.name] = plugin_name
    if problems:
        raise PluginLoadError(*problems)
    return found


def notify(hook_name: str, /, *, pm: pluggy.PluginManager | None = None, **kwargs: Any) -> None:
    """Tell every plugin about a lifecycle event; one that raises is logged and the others still hear it.

    :param hook_name: ``followup_action_due``, ``followup_action_delivered``,
        ``followup_action_failed`` or ``followup_action_suppressed``.
    :param pm: the plugin manager (default: the process-wide one).
    :param kwargs: the hook's arguments, all of them.
    """
    manager = pm if pm is not None else get_plugin_manager()
    caller = getattr(manager.hook, hook_name, None)
    if caller is None or caller.spec is None or not hook_name.startswith("followup_action_"):
        events = ", ".join(name for name in dir(hookspecs) if name.startswith("followup_action_"))
        raise ValueError(f"{hook_name!r} is not a lifecycle event; the events are: {events}")
    missing = set(caller.spec.argnames) - set(kwargs)
    if missing:
        raise TypeError(f"{hook_name} needs {', '.join(sorted(missing))}")
    tracing = _trace_enabled(manager)
    for impl in reversed(caller.get_hookimpls()):
        try:
            result = impl.function(*[kwargs[name] for name in impl.argnames])
        except Exception as exc:
            log.exception("%s raised in %s; the other plugins were still notified", describe(manager, impl.plugin_name), hook_name)
            if tracing:
                print(f"followup: {hook_name} on {impl.plugin_name} raised {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        if tracing:
            print(f"followup: {hook_name} on {impl.plugin_name} -> {result!r}", file=sys.stderr)


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


# ---------------------------------------------------------------------------
# The process-wide manager and its registries
# ---------------------------------------------------------------------------

_manager: PluginManager | None = None
_vocabulary: Vocabulary | None = None
_channels: dict[str, ChannelSpec] | None = None
_stores: dict[str, StoreSpec] | None = None
#: plugins of the process-wide manager that were left out, with the reason, for ``followup plugins``
load_errors: list[str] = []


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager, built on first use."""
    global _manager
    if _manager is None:
        _manager = build_plugin_manager()
        load_errors[:] = _manager.load_errors
        _manager.load_errors = load_errors  # one list: problems found later (in register hooks) show too
    return _manager


def get_vocabulary() -> Vocabulary:
    """The facts and operators of the installed plugins (built-ins included)."""
    global _vocabulary
    if _vocabulary is None:
        _vocabulary = collect_vocabulary(get_plugin_manager())
    return _vocabulary


def get_channels() -> dict[str, ChannelSpec]:
    """The delivery channels of the installed plugins (built-ins included), by name."""
    global _channels
    if _channels is None:
        _channels = collect_channels(get_plugin_manager())
    return _channels


def get_stores() -> dict[str, StoreSpec]:
    """The stores of the installed plugins (built-ins included), by URL scheme."""
    global _stores
    if _stores is None:
        _stores = collect_stores(get_plugin_manager())
    return _stores


def forget_registries() -> None:
    """Forget the collected vocabulary, channels and stores (after registering or unregistering a plugin)."""
    global _vocabulary, _channels, _stores
    _vocabulary = None
    _channels = None
    _stores = None


def reset() -> None:
    """Forget the process-wide manager and everything collected from it (tests, or after installing a plugin)."""
    global _manager
    _manager = None
    forget_registries()
    load_errors.clear()
