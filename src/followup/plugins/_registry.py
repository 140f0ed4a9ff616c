"""The process-wide plugin manager and the registries collected from it, each built once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ._manager import PluginManager, build_plugin_manager

__all__ = ["forget_registries", "get_plugin_manager", "load_errors", "registry", "reset"]

T = TypeVar("T")

_manager: PluginManager | None = None
_registries: dict[str, Any] = {}
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


def registry(name: str, collect: Callable[[PluginManager], T]) -> T:
    """What ``collect`` gathers from the process-wide manager, collected once and kept under ``name``.

    Each area keeps its registry here (``rules`` the vocabulary, ``delivery`` the
    channels, ``stores`` the stores), so :func:`forget_registries` forgets them all.
    """
    if name not in _registries:
        _registries[name] = collect(get_plugin_manager())
    value: T = _registries[name]
    return value


def forget_registries() -> None:
    """Forget every collected registry (after registering or unregistering a plugin)."""
    _registries.clear()


def reset() -> None:
    """Forget the process-wide manager and everything collected from it (tests, or after installing a plugin)."""
    global _manager
    _manager = None
    forget_registries()
    load_errors.clear()
