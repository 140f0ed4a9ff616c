"""The plugin system: hook specifications, the plugin manager, and what plugins registered.

Owns the hook specifications (:mod:`followup.plugins.hookspecs`, the only place hooks
are defined), :data:`hookimpl` (all a plugin author imports), the list of built-in
plugins (:data:`DEFAULT_PLUGINS`, registered exactly like third-party ones), loading
entry points of the ``followup`` group, ``FOLLOWUP_DISABLE_PLUGINS`` and
``FOLLOWUP_TRACE_PLUGINS``, the collectors that validate what plugins register, and the
process-wide manager and registries (``_core``).

May import: ``followup._errors`` and, for the collectors, the spec types of
``followup.rules``, ``followup.delivery`` and ``followup.stores``. Built-in plugins are
imported by name when the manager is built, never at import time.
"""

from __future__ import annotations

from ._core import (
    DEFAULT_PLUGINS,
    REGISTER_HOOKS,
    PluginInfo,
    PluginLoadError,
    PluginManager,
    build_plugin_manager,
    collect_channels,
    collect_commands,
    collect_stores,
    collect_vocabulary,
    describe,
    forget_registries,
    get_channels,
    get_plugin_manager,
    get_stores,
    get_vocabulary,
    hookimpl,
    list_plugins,
    load_errors,
    notify,
    reset,
)

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
