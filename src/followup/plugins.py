"""The plugin manager: hookspecs, blocked plugins, entry points, built-ins, in that order.

Nothing is loaded at import time; :func:`get_plugin_manager` builds the manager on
first use. Environment variables:

``FOLLOWUP_LOAD_PLUGINS``
    comma-separated allow-list of entry-point plugin names; only these load.
``FOLLOWUP_DISABLE_PLUGINS``
    comma-separated plugin names (entry points or built-ins such as
    ``followup.builtins.vocabulary``) that must not load.
``FOLLOWUP_TRACE_PLUGINS``
    set to ``1`` to print every hook call and its result to standard error.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import replace
from typing import Any

import pluggy

from . import hookspecs
from ._errors import FollowupError
from ._vocabulary import Fact, Operator, Vocabulary, VocabularyConflict

__all__ = ["DEFAULT_PLUGINS", "PluginLoadError", "get_plugin_manager", "get_vocabulary", "hookimpl", "reset"]

log = logging.getLogger("followup.plugins")

hookimpl = pluggy.HookimplMarker(hookspecs.PROJECT)

#: built-in plugins, registered with the same call as third-party ones
DEFAULT_PLUGINS: tuple[str, ...] = (
    "followup.builtins.vocabulary",
    "followup.messages",
    "followup.builtins.checks",
    "followup.channels",
    "followup.builtins.stores",
)


class PluginLoadError(FollowupError):
    """A plugin could not be loaded; the message names it and its distribution."""


_manager: pluggy.PluginManager | None = None
_vocabulary: Vocabulary | None = None
#: plugins that failed to load, with the reason, for ``followup plugins``
load_errors: list[str] = []


def _names(variable: str) -> set[str]:
    return {part.strip() for part in os.environ.get(variable, "").split(",") if part.strip()}


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    from importlib.metadata import entry_points

    allowed = _names("FOLLOWUP_LOAD_PLUGINS")
    for entry in entry_points(group=hookspecs.PROJECT):
        if allowed and entry.name not in allowed:
            continue
        if pm.is_blocked(entry.name) or pm.get_plugin(entry.name) is not None:
            continue
        distribution = entry.dist.name if entry.dist is not None else "unknown distribution"
        try:
            plugin = entry.load()
            pm.register(plugin, name=entry.name)
        except Exception as exc:  # noqa: BLE001 - any import error is reported and skipped
            message = f"plugin {entry.name!r} from {distribution} could not be loaded: {type(exc).__name__}: {exc}"
            log.warning(message)
            load_errors.append(message)
            continue
        _DISTRIBUTIONS[entry.name] = distribution


_DISTRIBUTIONS: dict[str, str] = {}


def distribution_of(name: str) -> str:
    """The distribution a plugin came from (``followup`` for built-ins)."""
    return _DISTRIBUTIONS.get(name, "followup")


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first use."""
    global _manager
    if _manager is None:
        _manager = build_plugin_manager()
    return _manager


def build_plugin_manager(*, entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh plugin manager: hookspecs, blocked names, entry points, built-ins, check."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in sorted(_names("FOLLOWUP_DISABLE_PLUGINS")):
        pm.set_blocked(name)
    if entry_points:
        _load_entry_points(pm)
    for name in DEFAULT_PLUGINS:
        if pm.is_blocked(name):
            continue
        pm.register(importlib.import_module(name), name=name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        plugin_name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginLoadError(
            f"plugin {plugin_name!r} from {distribution_of(plugin_name)} implements a hook followup "
            f"does not have: {exc}"
        ) from None
    if os.environ.get("FOLLOWUP_TRACE_PLUGINS"):
        _trace(pm)
    return pm


def _trace(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, hook_impls: Any, kwargs: Any) -> None:
        names = ", ".join(impl.plugin_name for impl in hook_impls)
        print(f"followup: calling {hook_name} on [{names}]", file=sys.stderr)

    def after(outcome: Any, hook_name: str, hook_impls: Any, kwargs: Any) -> None:
        try:
            result = outcome.get_result()
        except BaseException as exc:  # noqa: BLE001 - reported, then re-raised by pluggy
            print(f"followup: {hook_name} raised {type(exc).__name__}: {exc}", file=sys.stderr)
            return
        print(f"followup: {hook_name} -> {result!r}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)


def collect_vocabulary(pm: pluggy.PluginManager) -> Vocabulary:
    """Every operator and fact the plugins of ``pm`` register."""
    vocabulary = Vocabulary()
    problems: list[str] = []

    def registrar(kind: str, plugin_name: str) -> Any:
        def register(item: Any) -> None:
            if kind == "operator":
                if not isinstance(item, Operator):
                    problems.append(f"plugin {plugin_name!r} registered {item!r}, which is not a followup.Operator")
                    return
                try:
                    vocabulary.add_operator(replace(item, plugin=plugin_name))
                except VocabularyConflict as exc:
                    problems.append(str(exc))
            else:
                if not isinstance(item, Fact):
                    problems.append(f"plugin {plugin_name!r} registered {item!r}, which is not a followup.Fact")
                    return
                try:
                    vocabulary.add_fact(replace(item, plugin=plugin_name))
                except VocabularyConflict as exc:
                    problems.append(str(exc))

        return register

    for impl in reversed(pm.hook.followup_register_operators.get_hookimpls()):
        impl.function(register=registrar("operator", impl.plugin_name))
    for impl in reversed(pm.hook.followup_register_facts.get_hookimpls()):
        impl.function(register=registrar("fact", impl.plugin_name))
    if problems:
        raise PluginLoadError("; ".join(problems))
    return vocabulary


def get_vocabulary() -> Vocabulary:
    """The facts and operators of the installed plugins (built-ins included)."""
    global _vocabulary
    if _vocabulary is None:
        _vocabulary = collect_vocabulary(get_plugin_manager())
    return _vocabulary


def reset() -> None:
    """Forget the process-wide manager and vocabulary (tests, or after installing a plugin)."""
    global _manager, _vocabulary
    _manager = None
    _vocabulary = None
    load_errors.clear()
