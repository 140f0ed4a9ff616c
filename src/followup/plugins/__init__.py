"""The plugin system: hook specifications, the plugin manager, calling hooks, the built-in plugin list.

Owns the hook specifications (:mod:`followup.plugins.hookspecs`, the only place hooks
are defined), :data:`hookimpl` (all a plugin author imports), the built-in plugins
(:data:`DEFAULT_PLUGINS`, registered exactly like third-party ones, and the
:data:`ESSENTIAL_PLUGINS` among them that cannot be disabled), loading entry points
of the ``followup`` group and the ``FOLLOWUP_*_PLUGINS`` variables (``_manager``),
calling hooks through pluggy (:func:`call_hook`, :func:`notify`), the one collector
(:func:`collect`) every area builds its registry with, and the process-wide manager
and registries (``_registry``).

May import: ``followup._errors`` only. This is the bottom layer: the areas import it
to find their plugins (``rules`` the vocabulary, ``delivery`` the channels,
``stores`` the stores, ``cli`` the commands); it imports none of them. Built-in
plugins are imported by name when the manager is built, never at import time.
"""

from __future__ import annotations

from . import hookspecs
from ._calls import call_hook, collect, notify, registrations
from ._manager import (
    DEFAULT_PLUGINS,
    ESSENTIAL_PLUGINS,
    REGISTER_HOOKS,
    PluginInfo,
    PluginLoadError,
    PluginManager,
    build_plugin_manager,
    describe,
    hook_problems,
    hookimpl,
    list_plugins,
)
from ._registry import forget_registries, get_plugin_manager, load_errors, registry, reset

__all__ = [
    "DEFAULT_PLUGINS",
    "ESSENTIAL_PLUGINS",
    "REGISTER_HOOKS",
    "PluginInfo",
    "PluginLoadError",
    "PluginManager",
    "build_plugin_manager",
    "call_hook",
    "collect",
    "describe",
    "forget_registries",
    "get_plugin_manager",
    "hook_problems",
    "hookimpl",
    "hookspecs",
    "list_plugins",
    "load_errors",
    "notify",
    "registrations",
    "registry",
    "reset",
]
